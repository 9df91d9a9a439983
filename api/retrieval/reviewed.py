"""The reviewed validity table (``corpus/validity.json``): what a person read about documents
whose indexed text does not say what replaced them (a verbatim-quote excerpt lacking the
successor's hiệu lực article, say). It wins over what the parser infers from the texts."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from api.retrieval.filters import work_key
from ingest.structure.validity import parse_day
from ingest.text.normalize import display_form

DEFAULT_NAME = "validity.json"  # in the corpus folder
STATUSES = ("Hết hiệu lực toàn bộ", "Hết hiệu lực một phần", "Còn hiệu lực", "Chưa có hiệu lực")


class ReviewedRow(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    number: str = Field(min_length=3)
    status: str
    successors: tuple[str, ...] = ()
    from_: str = Field(alias="from")  # dd/mm/yyyy: the row applies from this day on
    scope: str = Field(min_length=1)
    # Words of article headings that stay in force (a part the successor does not replace).
    kept: tuple[str, ...] = ()
    source: str = Field(min_length=10)
    reviewed: str

    @field_validator("number", "scope", "source", "status")
    @classmethod
    def _nfc(cls, value: str) -> str:
        return display_form(value).strip()

    @field_validator("status")
    @classmethod
    def _known_status(cls, value: str) -> str:
        if value not in STATUSES:
            raise ValueError(f"status must be one of {', '.join(STATUSES)}")
        return value

    @field_validator("from_", "reviewed")
    @classmethod
    def _day(cls, value: str) -> str:
        if parse_day(value) is None:
            raise ValueError(f"{value!r} is not a dd/mm/yyyy date")
        return value

    @field_validator("kept")
    @classmethod
    def _lower(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        return tuple(display_form(w).lower() for w in value)


@dataclass(frozen=True)
class ReviewedTable:
    rows: tuple[ReviewedRow, ...] = ()

    def row(self, number: str | None) -> ReviewedRow | None:
        """The row of số hiệu ``number`` (as filters compare numbers), if reviewed."""
        key = work_key(number) if number else ""
        return next((r for r in self.rows if work_key(r.number) == key), None) if key else None

    @classmethod
    def load(cls, path: Path) -> ReviewedTable:
        """The table at ``path``; a malformed one is a ValueError naming the row."""
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except json.JSONDecodeError as exc:
            raise ValueError(f"{path}: not valid JSON: {exc}") from exc
        rows = data.get("rows") if isinstance(data, dict) else None
        if not isinstance(rows, list):
            raise ValueError(f'{path}: expected {{"rows": [...]}}')
        parsed = []
        for n, row in enumerate(rows, 1):
            try:
                parsed.append(ReviewedRow.model_validate(row))
            except ValidationError as exc:
                raise ValueError(f"{path}: row {n}: {exc}") from exc
        return cls(tuple(parsed))
