"""The admin bearer token (``VNLAW_ADMIN_TOKEN``) as a route dependency."""

from __future__ import annotations

import hmac
from collections.abc import Callable
from typing import Annotated

from fastapi import Depends, HTTPException
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import SecretStr

_bearer = HTTPBearer(auto_error=False, description="VNLAW_ADMIN_TOKEN")
Credentials = Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]


def admin_guard(token: SecretStr | None) -> Callable[[HTTPAuthorizationCredentials | None], None]:
    """A dependency that lets a request through only with ``Authorization: Bearer <token>``.

    No configured token closes the admin API (403) rather than leaving it open."""
    expected = token.get_secret_value().encode() if token is not None else None

    def require_admin(credentials: Credentials) -> None:
        if expected is None:
            raise HTTPException(403, detail="admin API is disabled")
        given = credentials.credentials.encode() if credentials is not None else b""
        if not hmac.compare_digest(given, expected):
            raise HTTPException(
                401, detail="invalid or missing admin token", headers={"WWW-Authenticate": "Bearer"}
            )

    return require_admin
