"""Request bodies bounded at the door, and clients too slow to send or to read.

A body over its limit is refused with 413 before anything parses it: at once when its
Content-Length says so, else as soon as the bytes received pass the limit. A client gets
``body_timeout`` seconds to send its whole body (408) and ``send_timeout`` seconds to take each
piece of the response, after which its connection is dropped: an unread answer stream would
otherwise hold its slot and a thread for ever.
"""

from __future__ import annotations

import logging
import time

import anyio
from fastapi import HTTPException
from fastapi.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

log = logging.getLogger(__name__)

UPLOAD_PATH = "/admin/documents"
# Room for the multipart framing and the optional metadata around an uploaded file.
UPLOAD_OVERHEAD = 256 * 1024


def too_large(limit: int) -> HTTPException:
    return HTTPException(413, detail=f"Nội dung yêu cầu quá lớn (tối đa {limit} byte).")


def too_slow() -> HTTPException:
    return HTTPException(408, detail="Nội dung yêu cầu được gửi quá chậm.")


class _SlowReader(Exception):
    """The client left a piece of the response unread for ``send_timeout`` seconds."""


class BodyLimits:
    def __init__(
        self,
        app: ASGIApp,
        max_bytes: int,
        upload_bytes: int,
        body_timeout: float,
        send_timeout: float,
    ) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.upload_bytes = upload_bytes + UPLOAD_OVERHEAD
        self.body_timeout = body_timeout
        self.send_timeout = send_timeout

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.upload_bytes if scope["path"] == UPLOAD_PATH else self.max_bytes
        declared = _content_length(scope)
        if declared is not None and declared > limit:
            exc = too_large(limit)
            await JSONResponse({"detail": exc.detail}, exc.status_code)(scope, receive, send)
            return
        deadline = time.monotonic() + self.body_timeout
        received = 0
        complete = False

        async def bounded_receive() -> Message:
            nonlocal received, complete
            if complete:  # the body is in: what is left is waiting for a disconnect
                return await receive()
            with anyio.move_on_after(deadline - time.monotonic()) as waited:
                message = await receive()
            if waited.cancelled_caught:
                raise too_slow()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise too_large(limit)
                complete = not message.get("more_body", False)
            return message

        async def bounded_send(message: Message) -> None:
            with anyio.move_on_after(self.send_timeout) as waited:
                await send(message)
            if waited.cancelled_caught:
                raise _SlowReader

        try:
            await self.app(scope, bounded_receive, bounded_send)
        except _SlowReader:
            log.info("dropped a client that left a response unread for %.0f s", self.send_timeout)


def _content_length(scope: Scope) -> int | None:
    for name, value in scope["headers"]:
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None  # h11 refuses a malformed length before the app sees the request
    return None
