"""The data the index is made of: documents, their metadata, and retrievable units."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from ingest.structure.conditions import Condition

Path_ = tuple[tuple[str, str], ...]

# How each path kind is named in a citation label ("Điểm a khoản 1 Điều 113 ...").
KIND_NAMES = {
    "phan": "Phần",
    "chuong": "Chương",
    "muc": "Mục",
    "tieu_muc": "tiểu mục",
    "dieu": "Điều",
    "khoan": "khoản",
    "diem": "điểm",
}


@dataclass(frozen=True)
class DocumentMeta:
    doc_id: str
    title: str
    number: str | None = None
    doc_type: str | None = None
    issuer: str | None = None
    signer: str | None = None
    issued: str | None = None
    effective: str | None = None
    status: str | None = None
    fields: str | None = None
    partial: bool = False
    # Provenance of the text (the meta file's ``nguon``) and what kind of text that makes it:
    # "promulgated" (as signed), "consolidated" (pháp điển wording, amendments folded in) or
    # "quotes" (passages quoted verbatim elsewhere); None when the metadata does not say.
    provenance: str | None = None
    source_kind: str | None = None
    # Reference material (e.g. a Q&A article about a decision) is listed and served but not
    # retrieved: citations must point at legal provisions.
    searchable: bool = True

    @property
    def short_title(self) -> str:
        """The name used at the end of citation labels: "Bộ luật Lao động 2019"."""
        named = bool(self.doc_type) and str(self.doc_type).lower() in self.title.lower()
        if self.number and self.doc_type and (len(self.title) > 60 or not named):
            return f"{self.doc_type} {self.number}"
        return self.title

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class Unit:
    """A retrievable, citable piece of a document: a span of its stored text."""

    doc_id: str
    ordinal: int
    path: Path_
    kind: str
    start: int
    end: int
    text: str
    heading: str
    # Titles of the structural ancestors (chương, mục, điều, ...) from the root down.
    breadcrumbs: list[str] = field(default_factory=list)
    # Own text of the parent clause when this is a point ("... gồm các trường hợp sau:").
    intro: str = ""
    searchable: bool = True
    label: str = ""
    # From the pháp điển source note under the article heading: the số hiệu of the document
    # the article was enacted in, its effective date, and (on the article's own unit) the note.
    origin_number: str | None = None
    origin_effective: str | None = None
    origin_note: str = ""
    # The article was enacted in another document than the one holding it (pháp điển
    # regrouping left it there): its number must not be confused with the holder's own.
    borrowed: bool = False
    # Ranges the unit's own text states (see ``ingest.structure.conditions``), read at ingest.
    conditions: list[Condition] = field(default_factory=list)
    # The kinds of figure it states (``ingest.structure.quantities`` dimensions: "days", "hours", ...).
    figures: list[str] = field(default_factory=list)

    @property
    def uid(self) -> str:
        return f"{self.doc_id}#{self.ordinal}"

    @property
    def article(self) -> str | None:
        return next((num for kind, num in self.path if kind == "dieu"), None)

    @property
    def article_key(self) -> str:
        """What retrieval groups by: the article, or the unit itself outside any article."""
        if self.article is None:
            return self.uid
        if self.borrowed:
            return f"{self.doc_id}#{self.origin_number}#{self.article}"
        return f"{self.doc_id}#{self.article}"

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["path"] = [list(step) for step in self.path]
        data["conditions"] = [c.to_dict() for c in self.conditions]
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Unit:
        data = dict(data)
        data["path"] = tuple((kind, num) for kind, num in data["path"])
        data["conditions"] = [Condition.from_dict(c) for c in data.get("conditions", [])]
        return cls(**data)


def make_label(path: Path_, short_title: str) -> str:
    """Citation label from the deepest step up to the article: "Điểm a khoản 1 Điều 5 X"."""
    parts: list[str] = []
    for kind, num in reversed(path):
        name = KIND_NAMES.get(kind, kind)
        parts.append(f"{name} thứ {num}" if kind == "phan" and not num.isdigit() else f"{name} {num}")
        if kind == "dieu":
            break
    label = " ".join([*parts, short_title])
    return label[:1].upper() + label[1:]


@dataclass
class ParsedDocument:
    meta: DocumentMeta
    text: str
    units: list[Unit]
    content_hash: str
    source: str

    @property
    def searchable_count(self) -> int:
        return sum(u.searchable for u in self.units)

    def outline(self) -> list[dict[str, Any]]:
        return [
            {"path": [list(s) for s in u.path], "kind": u.kind, "label": u.label, "heading": u.heading}
            for u in self.units
        ]
