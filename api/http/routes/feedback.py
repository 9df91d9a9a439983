from typing import Annotated

from fastapi import APIRouter, Depends, Query

from api.http.auth import admin_guard
from api.http.clients import limited
from api.http.feedback_schemas import MAX_PAGE, FeedbackCreated, FeedbackPage, FeedbackRequest
from api.http.feedback_store import FeedbackStore
from api.service.settings import Settings


def build_router(settings: Settings) -> APIRouter:
    """The routes bound to this app's store and admin token (nothing is opened until used)."""
    store = FeedbackStore(settings.feedback_db, settings.feedback_max_rows, settings.feedback_retention_days)
    router = APIRouter(tags=["feedback"])

    @router.post(
        "/feedback",
        status_code=201,
        summary="Góp ý 👍/👎 cho một câu trả lời",
        dependencies=[Depends(limited("feedback"))],
    )
    def add_feedback(body: FeedbackRequest) -> FeedbackCreated:
        return FeedbackCreated(id=store.add(body))

    @router.get(
        "/feedback",
        summary="Các góp ý, mới nhất trước (cần admin token)",
        dependencies=[Depends(admin_guard(settings.admin_token))],
    )
    def list_feedback(
        limit: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 50,
        offset: Annotated[int, Query(ge=0, le=2**62)] = 0,
    ) -> FeedbackPage:
        items, total = store.recent(limit, offset)
        return FeedbackPage(items=items, total=total, limit=limit, offset=offset)

    return router
