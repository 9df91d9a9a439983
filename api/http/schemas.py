"""Request and response shapes of the HTTP contract (see ../shared/design.md)."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints

from api.service.settings import get_settings

_LIMITS = get_settings()


def printable(value: str) -> str:
    if any(ord(c) < 32 and c not in "\t\n\r" for c in value):
        raise ValueError("text must not contain control characters")
    return value


Question = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=_LIMITS.max_question_chars),
    AfterValidator(printable),
]
TopK = Annotated[int, Field(ge=1, le=_LIMITS.max_top_k)]
SourceKind = Literal["promulgated", "consolidated", "quotes"]
DocNumber = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=60)]
DocId = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$")]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)


class Filters(Strict):
    doc_ids: list[DocId] = Field(default_factory=list, max_length=100)
    doc_types: list[Annotated[str, StringConstraints(max_length=100)]] = Field(
        default_factory=list, max_length=20
    )
    # A document work: the số hiệu of the document a provision was enacted in. It matches that
    # document, and the articles the pháp điển filed under another document (by their note).
    doc_numbers: list[DocNumber] = Field(default_factory=list, max_length=50)
    in_force_only: bool = False


class SearchRequest(Strict):
    query: Question
    top_k: TopK = 10
    filters: Filters | None = None

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{"query": "Người lao động được nghỉ hằng năm bao nhiêu ngày?", "top_k": 5}]
        }
    )


class Turn(Strict):
    role: Literal["user", "assistant"]
    content: Annotated[
        str, StringConstraints(max_length=_LIMITS.max_question_chars * 4), AfterValidator(printable)
    ]


class AskRequest(Strict):
    question: Question
    top_k: TopK = 5
    history: list[Turn] = Field(default_factory=list, max_length=20)
    filters: Filters | None = None
    stream: bool = False

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {"question": "Mục tiêu đến năm 2025 về đào tạo đại học trực tuyến là gì?"},
                {
                    "question": "Còn người dưới 18 tuổi thì sao?",
                    "history": [
                        {"role": "user", "content": "Người lao động được nghỉ hằng năm bao nhiêu ngày?"},
                        {"role": "assistant", "content": "12 ngày làm việc ... [1]"},
                    ],
                },
            ]
        }
    )


class Successor(BaseModel):
    number: str
    doc_id: str | None  # when indexed


class Citation(BaseModel):
    doc_id: str
    doc_number: str | None
    doc_title: str
    path: list[tuple[str, str]]
    label: str
    heading: str
    quote: str
    score: float
    # Validity (api/retrieval/validity.py): always a plain label ("Chưa rõ hiệu lực" when
    # nothing says), its source ("meta", "table", "text" or "none") and the provision or
    # reviewed row it was read from; the effective date and the indexed successors.
    status: str = "Chưa rõ hiệu lực"
    status_source: str = "none"
    status_basis: str | None = None
    effective: str | None = None
    replaced_by: list[Successor] = []
    # What the cited text is: a partial document lacks provisions; a consolidated (pháp điển)
    # wording folds amendments in; quotes are passages quoted verbatim elsewhere.
    partial: bool = False
    source_kind: SourceKind | None = None
    source: str | None = None
    # From the pháp điển source note: the số hiệu the article was enacted in, and since when.
    origin_number: str | None = None
    origin_effective: str | None = None


class SearchResponse(BaseModel):
    results: list[Citation]
    ranking: str  # which model ordered them: "first-stage" or the second stage's id


class AskResponse(BaseModel):
    answer: str
    citations: list[Citation]
    abstained: bool
    ranking: str  # which model ordered the citations: "first-stage" or the second stage's id


class OutlineItem(BaseModel):
    path: list[tuple[str, str]]
    kind: str
    label: str
    heading: str


class DocumentInfo(BaseModel):
    doc_id: str
    title: str
    number: str | None
    doc_type: str | None
    issuer: str | None
    issued: str | None
    effective: str | None
    status: str | None
    searchable: bool
    articles: int
    units: int
    partial: bool = False
    source_kind: SourceKind | None = None
    source: str | None = None


class DocumentDetail(DocumentInfo):
    outline: list[OutlineItem]


class DocumentList(BaseModel):
    documents: list[DocumentInfo]
    index_version: str
