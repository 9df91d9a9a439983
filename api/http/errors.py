"""Domain errors → HTTP, in one place. Clients get ``{"detail": "..."}``, never a trace."""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.http.feedback_store import FeedbackFull, FeedbackUnavailable
from api.service.budgets import RateLimited, UnknownApiKey
from api.service.jobs import JobNotFound
from api.service.streams import ClientStreamsBusy, StreamsBusy
from ingest.errors import (
    BuildInProgress,
    DocumentNotFound,
    IndexCorrupt,
    IndexNotFound,
    IngestError,
    LoadError,
    ModelMismatch,
    UnknownFilterValue,
)

log = logging.getLogger(__name__)

STATUS: dict[type[Exception], int] = {
    DocumentNotFound: 404,
    JobNotFound: 404,
    IndexNotFound: 503,
    IndexCorrupt: 503,
    ModelMismatch: 503,
    BuildInProgress: 409,
    LoadError: 422,
    UnknownFilterValue: 422,
}


def _status(exc: IngestError) -> int:
    return next((code for kind, code in STATUS.items() if isinstance(exc, kind)), 400)


async def _ingest_error(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, IngestError)
    code = _status(exc)
    headers = {"Retry-After": "5"} if code == 503 else None
    return JSONResponse({"detail": str(exc)}, status_code=code, headers=headers)


async def _feedback_unavailable(_: Request, exc: Exception) -> JSONResponse:
    log.error("%s", exc)  # the cause (a path, a disk error) is for operators, not for clients
    return JSONResponse({"detail": "Chưa lưu được góp ý lúc này, vui lòng thử lại sau."}, status_code=503)


async def _feedback_full(_: Request, exc: Exception) -> JSONResponse:
    log.error("%s", exc)
    return JSONResponse(
        {"detail": "Kho góp ý đã đầy, chưa nhận thêm góp ý được. Xin cảm ơn bạn."}, status_code=507
    )


async def _rate_limited(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RateLimited)
    return JSONResponse(
        {"detail": f"Bạn đã gửi quá nhiều yêu cầu. Vui lòng thử lại sau {exc.retry_after} giây."},
        status_code=429,
        headers={"Retry-After": str(exc.retry_after)},
    )


async def _client_streams_busy(_: Request, __: Exception) -> JSONResponse:
    return JSONResponse(
        {"detail": "Bạn đang chờ quá nhiều câu trả lời cùng lúc. Vui lòng đợi câu trả lời trước xong."},
        status_code=429,
        headers={"Retry-After": "5"},
    )


async def _streams_busy(_: Request, __: Exception) -> JSONResponse:
    return JSONResponse(
        {"detail": "Hệ thống đang trả lời nhiều người cùng lúc. Vui lòng thử lại sau ít giây."},
        status_code=503,
        headers={"Retry-After": "5"},
    )


async def _unknown_api_key(_: Request, __: Exception) -> JSONResponse:
    return JSONResponse({"detail": "Khóa API không hợp lệ."}, status_code=401)


async def _validation_error(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    # The default body echoes the input back, which may be huge or hold NUL bytes.
    errors = [
        {"loc": list(e.get("loc", ())), "msg": e.get("msg", ""), "type": e.get("type", "")}
        for e in exc.errors()
    ]
    return JSONResponse({"detail": errors}, status_code=422)


class UnexpectedErrors:
    """Any other exception → 500 with a ``detail``, logged with its trace.

    A middleware rather than an exception handler: Starlette runs handlers for ``Exception``
    outside every middleware, so their 500 carried no CORS headers and a page on another
    origin could not even read that the service failed. Added first, this runs inside CORS.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def tracked(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, receive, tracked)
        except Exception:
            if started:  # a response is under way: nothing sound can be sent any more
                raise
            log.exception("unhandled error")
            await JSONResponse({"detail": "Lỗi máy chủ nội bộ."}, status_code=500)(scope, receive, send)


def install(app: FastAPI) -> None:
    """Add before any other middleware (see ``UnexpectedErrors``)."""
    app.add_exception_handler(IngestError, _ingest_error)
    app.add_exception_handler(FeedbackUnavailable, _feedback_unavailable)
    app.add_exception_handler(FeedbackFull, _feedback_full)
    app.add_exception_handler(RateLimited, _rate_limited)
    app.add_exception_handler(ClientStreamsBusy, _client_streams_busy)
    app.add_exception_handler(StreamsBusy, _streams_busy)
    app.add_exception_handler(UnknownApiKey, _unknown_api_key)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_middleware(UnexpectedErrors)
