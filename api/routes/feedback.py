import logging
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Query

from ..auth import admin_guard
from ..feedback import FeedbackStore, FeedbackUnavailable
from ..feedback_schemas import MAX_PAGE, FeedbackCreated, FeedbackPage, FeedbackRequest
from ..settings import Settings

log = logging.getLogger(__name__)


def _unavailable(exc: FeedbackUnavailable) -> HTTPException:
    log.error("%s", exc)  # the cause (a path, a disk error) is for operators, not for clients
    return HTTPException(503, detail="Chưa lưu được góp ý lúc này, vui lòng thử lại sau.")


def build_router(settings: Settings) -> APIRouter:
    """The routes bound to this app's store and admin token (nothing is opened until used)."""
    store = FeedbackStore(settings.feedback_db)
    router = APIRouter(tags=["feedback"])

    @router.post("/feedback", status_code=201, summary="Góp ý 👍/👎 cho một câu trả lời")
    def add_feedback(body: FeedbackRequest) -> FeedbackCreated:
        try:
            return FeedbackCreated(id=store.add(body))
        except FeedbackUnavailable as exc:
            raise _unavailable(exc) from exc

    @router.get(
        "/feedback",
        summary="Các góp ý, mới nhất trước (cần admin token)",
        dependencies=[Depends(admin_guard(settings.admin_token))],
    )
    def list_feedback(
        limit: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 50,
        offset: Annotated[int, Query(ge=0, le=2**62)] = 0,
    ) -> FeedbackPage:
        try:
            items, total = store.recent(limit, offset)
        except FeedbackUnavailable as exc:
            raise _unavailable(exc) from exc
        return FeedbackPage(items=items, total=total, limit=limit, offset=offset)

    return router
