"""Request and response shapes of ``/feedback``: a citizen's rating of one answer."""

from __future__ import annotations

import math
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints

from api.http.schemas import DocId, Question, Strict, printable

MAX_ANSWER_CHARS = 20_000
MAX_COMMENT_CHARS = 2_000
MAX_CITATIONS = 20
MAX_PAGE = 200


def _finite(value: float) -> float:
    if not math.isfinite(value):
        raise ValueError("score must be a finite number")
    return value


def _text(max_length: int) -> StringConstraints:
    return StringConstraints(max_length=max_length)


Text200 = Annotated[str, _text(200), AfterValidator(printable)]
Text1k = Annotated[str, _text(1_000), AfterValidator(printable)]
Text2k = Annotated[str, _text(2_000), AfterValidator(printable)]
# [kind, number], e.g. ["dieu", "113"]: a list rather than a tuple because strict validation
# of a parsed JSON body accepts no list where a tuple is declared.
PathPart = Annotated[str, _text(32), AfterValidator(printable)]
PathStep = Annotated[list[PathPart], Field(min_length=2, max_length=2)]


class FeedbackCitation(Strict):
    """A citation as the widget received it from /ask (fields as in ``schemas.Citation``)."""

    doc_id: DocId
    doc_number: Text200 | None = None
    doc_title: Text1k
    path: list[PathStep] = Field(default_factory=list, max_length=12)
    label: Text1k
    heading: Text2k = ""
    quote: Annotated[str, _text(10_000), AfterValidator(printable)] = ""
    score: Annotated[float, AfterValidator(_finite)] = 0.0
    status: Text200 | None = None


class FeedbackRequest(Strict):
    question: Question
    answer: Annotated[
        str, StringConstraints(min_length=1, max_length=MAX_ANSWER_CHARS), AfterValidator(printable)
    ]
    citations: list[FeedbackCitation] = Field(default_factory=list, max_length=MAX_CITATIONS)
    rating: Literal["up", "down"]
    comment: (
        Annotated[
            str,
            StringConstraints(strip_whitespace=True, max_length=MAX_COMMENT_CHARS),
            AfterValidator(printable),
        ]
        | None
    ) = None

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "question": "Người lao động được nghỉ hằng năm bao nhiêu ngày?",
                    "answer": "Theo quy định:\n- Điểm a khoản 1 Điều 113 ...: 12 ngày làm việc ... [1]",
                    "citations": [],
                    "rating": "up",
                    "comment": "Dễ hiểu, có dẫn điều luật.",
                }
            ]
        }
    )


class FeedbackCreated(BaseModel):
    id: int


class FeedbackRecord(BaseModel):
    id: int
    created_at: str  # ISO 8601, UTC
    rating: Literal["up", "down"]
    question: str
    answer: str
    citations: list[FeedbackCitation]
    comment: str | None


class FeedbackPage(BaseModel):
    items: list[FeedbackRecord]
    total: int
    limit: int
    offset: int
