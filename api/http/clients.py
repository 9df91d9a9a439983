"""Who a request is charged to, and the budget each route draws on (route dependencies).

The client address is the connection's, or with ``VNLAW_TRUSTED_PROXIES`` the one those
proxies name in X-Forwarded-For (uvicorn's ProxyHeadersMiddleware, added in ``api.main``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import APIKeyHeader

from api.service.budgets import Budgets, Client, Kind, RateLimited
from api.service.metrics import RATE_LIMITED

_api_key = APIKeyHeader(
    name="X-API-Key", auto_error=False, description="optional: a service's key (VNLAW_API_KEYS)"
)
ApiKeyHeader = Annotated[str | None, Depends(_api_key)]


def _budgets(request: Request) -> Budgets:
    budgets: Budgets = request.app.state.budgets
    return budgets


def client(request: Request, api_key: ApiKeyHeader) -> Client:
    address = request.client.host if request.client else "unknown"
    return _budgets(request).client(address, api_key)


ClientDep = Annotated[Client, Depends(client)]


def charge(request: Request, who: Client, kind: Kind) -> None:
    try:
        _budgets(request).charge(who, kind)
    except RateLimited:
        RATE_LIMITED.labels(kind).inc()
        raise


def limited(kind: Kind) -> Callable[[Request, Client], Client]:
    """A dependency that charges one request of ``kind`` before the body is validated."""

    def charged(request: Request, who: ClientDep) -> Client:
        charge(request, who, kind)
        return who

    return charged
