"""Each indexed document's validity on a given day, and hits ordered by it.

Computed when an index is loaded, from the loaded units (only the articles headed hiệu lực /
điều khoản thi hành are read, see ``ingest.structure.validity``), so an index built before this
existed gets it too. What decides, strongest first: the document's metadata status (the bundled
codes), the reviewed table (``api.retrieval.reviewed``), then the texts: a document B in force
that says it replaces or repeals A (by số hiệu) makes A "Hết hiệu lực" (or "một phần") with
B as its successor.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from typing import TYPE_CHECKING

from api.retrieval.filters import work_key
from api.retrieval.index import Document
from api.retrieval.reviewed import ReviewedRow, ReviewedTable
from ingest.structure.units import Unit
from ingest.structure.validity import (
    WHOLE,
    TextValidity,
    is_validity_heading,
    parse_day,
    read_validity,
    states_own_validity,
)
from ingest.text.normalize import match_form

if TYPE_CHECKING:
    from api.retrieval.retriever import Hit

WHOLLY_EXPIRED = "Hết hiệu lực toàn bộ"
PARTLY_EXPIRED = "Hết hiệu lực một phần"
NOT_YET = "Chưa có hiệu lực"
# The text says since when it applies and no indexed text replaces it: it may still have been
# replaced by one the index lacks, so it is not called "Còn hiệu lực".
IN_EFFECT = "Đã có hiệu lực"
UNKNOWN = "Chưa rõ hiệu lực"
YEAR = re.compile(r"\b(19\d\d|20\d\d)\b")  # a year a question or a số hiệu names


@dataclass(frozen=True)
class Successor:
    number: str
    doc_id: str | None  # when indexed


@dataclass(frozen=True)
class Validity:
    """A document's validity as citations show it."""

    status: str
    effective: str | None = None  # dd/mm/yyyy
    replaced_by: tuple[Successor, ...] = ()
    # Where the status comes from: "meta", "table" (the reviewed row's source), "text" (the
    # provision), or "none".
    source: str = "none"
    source_detail: str | None = None
    kept: tuple[str, ...] = ()  # article headings words that stay in force (table rows)
    successor_from: date | None = None  # when the earliest indexed successor took effect

    @property
    def in_force(self) -> bool:
        """What ``in_force_only`` keeps: as the metadata filter always did, a text partly
        repealed is left out with the wholly repealed ones, and so is one not yet in force."""
        return not self.status.lower().startswith(("hết hiệu lực", "chưa có hiệu lực"))

    @property
    def expired(self) -> bool:
        return self.status.lower().startswith("hết hiệu lực")


@dataclass
class _Facts:
    text: TextValidity
    issued: date | None

    @classmethod
    def of(cls, doc: Document) -> _Facts:
        return cls(read_validity(validity_provisions(doc), doc.meta.issued), parse_day(doc.meta.issued))


def validity_provisions(doc: Document) -> list[tuple[str, str]]:
    """(label, text) of the units of ``doc``'s validity article(s), in document order."""
    keys = []
    for key, ordinals in doc.articles.items():
        head = doc.units[ordinals[0]]
        opening = " ".join(doc.units[o].text for o in ordinals[:2])
        if head.borrowed:
            continue  # a pháp điển article enacted elsewhere speaks of that other document
        if is_validity_heading(head.heading) or states_own_validity(opening.split(".", 1)[-1]):
            keys.append(key)
    return [(doc.units[o].label, doc.units[o].text) for k in keys for o in doc.articles[k]]


@dataclass
class Validities:
    """Validity of every document of an index, resolved for the day ``today`` returns."""

    documents: Mapping[str, Document]
    table: ReviewedTable = field(default_factory=ReviewedTable)
    today: Callable[[], date] = date.today

    def __post_init__(self) -> None:
        self._facts = {doc_id: _Facts.of(doc) for doc_id, doc in self.documents.items()}
        self._by_number = {work_key(d.meta.number): i for i, d in self.documents.items() if d.meta.number}
        self._resolved: tuple[date, dict[str, Validity], bool] | None = None

    def in_force(self, doc_id: str) -> bool:
        return self.of(doc_id).in_force

    def of(self, doc_id: str) -> Validity:
        return self.resolved().get(doc_id, Validity(UNKNOWN))

    def resolved(self) -> dict[str, Validity]:
        return self._today()[1]

    @property
    def demotes_any(self) -> bool:
        """Whether any indexed document has an indexed successor (else ``order`` is a no-op)."""
        return self._today()[2]

    def _today(self) -> tuple[date, dict[str, Validity], bool]:
        day = self.today()
        if self._resolved is None or self._resolved[0] != day:
            resolved = self._resolve(day)
            demotes = any(v.expired and any(s.doc_id for s in v.replaced_by) for v in resolved.values())
            self._resolved = (day, resolved, demotes)
        return self._resolved

    def _doc_id(self, number: str) -> str | None:
        return self._by_number.get(work_key(number))

    def _started(self, doc_id: str, day: date) -> bool:
        facts = self._facts[doc_id]
        effective = parse_day(facts.text.effective)
        if effective is not None:
            return effective <= day
        # Without a stated date a text is taken to apply once signed.
        return facts.issued is not None and facts.issued <= day

    def _resolve(self, day: date) -> dict[str, Validity]:
        out: dict[str, Validity] = {}
        for doc_id, facts in self._facts.items():
            effective = facts.text.effective
            if effective is None:
                out[doc_id] = Validity(UNKNOWN)
            else:
                status = NOT_YET if not self._started(doc_id, day) else IN_EFFECT
                out[doc_id] = Validity(
                    status, effective, source="text", source_detail=facts.text.effective_source
                )
        for doc_id, facts in self._facts.items():
            if not self._started(doc_id, day):
                continue
            own = self.documents[doc_id].meta
            for r in facts.text.replaces:
                old = self._doc_id(r.number)
                if old is None or old == doc_id:
                    continue
                before = out[old]
                whole = r.scope == WHOLE or before.status == WHOLLY_EXPIRED
                successors = (*before.replaced_by, Successor(own.number or doc_id, doc_id))
                out[old] = Validity(
                    WHOLLY_EXPIRED if whole else PARTLY_EXPIRED,
                    before.effective,
                    successors,
                    "text",
                    r.source
                    if not before.replaced_by or (whole and not before.expired)
                    else before.source_detail,
                    successor_from=_earliest(
                        before.successor_from, parse_day(self._facts[doc_id].text.effective)
                    ),
                )
        for doc_id, doc in self.documents.items():
            row = self.table.row(doc.meta.number)
            if row is not None and _on_or_before(row.from_, day):
                out[doc_id] = self._from_row(row, out[doc_id])
            if doc.meta.status:
                out[doc_id] = Validity(
                    doc.meta.status,
                    doc.meta.effective or out[doc_id].effective,
                    out[doc_id].replaced_by,
                    "meta",
                    None,
                    out[doc_id].kept,
                    out[doc_id].successor_from,
                )
        return out

    def _from_row(self, row: ReviewedRow, inferred: Validity) -> Validity:
        return Validity(
            row.status,
            inferred.effective,
            tuple(Successor(n, self._doc_id(n)) for n in row.successors),
            "table",
            row.source,
            row.kept,
            parse_day(row.from_),
        )

    def superseded(self, unit: Unit) -> Validity | None:
        """The validity of ``unit``'s document when a successor in the index has replaced the
        unit's provision (None when it is current, or nothing indexed replaces it)."""
        v = self.of(unit.doc_id)
        if not v.expired or not any(s.doc_id for s in v.replaced_by):
            return None
        if v.status == WHOLLY_EXPIRED or v.status.lower() == "hết hiệu lực":
            return v
        # A partial repeal demotes only where a reviewed row says which parts stay.
        if not v.kept:
            return None
        where = " ".join([unit.heading, *unit.breadcrumbs]).lower()
        return None if any(word in where for word in v.kept) else v

    def order(self, hits: Sequence[Hit], question: str) -> list[Hit]:
        """``hits`` with those from replaced provisions after the current ones, in their order
        otherwise; unless the question names the old text's số hiệu or a year before its
        successor took effect (it asks about the law then)."""
        asked = match_form(question).upper()
        years = [int(y) for y in YEAR.findall(asked)]
        current: list[Hit] = []
        replaced: list[Hit] = []
        for hit in hits:
            v = self.superseded(hit.unit)
            keep = v is None or _names_old(asked, self.documents[hit.unit.doc_id], years, v)
            if keep:
                current.append(hit)
            else:
                successors = tuple(s.number for s in v.replaced_by if s.doc_id) if v else ()
                replaced.append(replace(hit, replaced_by=successors))
        return current + replaced


def _on_or_before(text: str, day: date) -> bool:
    start = parse_day(text)
    return start is not None and start <= day


def _earliest(a: date | None, b: date | None) -> date | None:
    return min((d for d in (a, b) if d is not None), default=None)


def _names_old(asked: str, doc: Document, years: list[int], v: Validity) -> bool:
    number = doc.meta.number
    if number:
        # "Nghị định 100/2019" names "100/2019/NĐ-CP".
        head = "/".join(work_key(number).split("/")[:2])
        if re.search(rf"(?<![\d/]){re.escape(head)}(?![\d])", "".join(asked.split())):
            return True
    return v.successor_from is not None and any(y < v.successor_from.year for y in years)
