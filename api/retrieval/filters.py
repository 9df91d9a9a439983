"""Which units a search may return: by document, type of document, validity and số hiệu."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from api.retrieval.index import Document, LoadedIndex
from api.retrieval.scores import Mask
from ingest.structure.units import Unit
from ingest.text.normalize import match_form


@dataclass(frozen=True)
class Filters:
    doc_ids: frozenset[str] = frozenset()
    doc_types: frozenset[str] = frozenset()
    in_force_only: bool = False
    works: frozenset[str] = frozenset()  # work_key of the số hiệu asked for


def work_key(number: str) -> str:
    """A số hiệu as filters compare it: "31/2024/qh15 " and "31/2024/QH15" are one work."""
    return "".join(match_form(number).upper().split())


def _work_of(unit: Unit, doc: Document) -> str:
    # An article the pháp điển filed under another document belongs to the one it was enacted in.
    number = unit.origin_number if unit.borrowed else doc.meta.number
    return work_key(number) if number else ""


class RowFilter:
    """The rows of an index that filters allow."""

    def __init__(self, index: LoadedIndex, in_force: Callable[[str], bool]) -> None:
        """``in_force``: whether a document (by doc_id) is in force, for ``in_force_only``."""
        self.index = index
        self._in_force = in_force
        self.row_doc = np.array([u.doc_id for u in index.rows])
        self._row_work = np.array([_work_of(u, index.documents[u.doc_id]) for u in index.rows])
        self.works = frozenset(self._row_work) - {""}
        self.doc_types = frozenset(d.meta.doc_type for d in index.documents.values() if d.meta.doc_type)
        self._everything = np.ones(len(index.rows), dtype=bool)

    def allowed(self, filters: Filters) -> Mask:
        if filters == Filters():
            return self._everything
        allowed = {
            doc_id
            for doc_id, doc in self.index.documents.items()
            if (not filters.doc_ids or doc_id in filters.doc_ids)
            and (not filters.doc_types or (doc.meta.doc_type or "") in filters.doc_types)
            and (not filters.in_force_only or self._in_force(doc_id))
        }
        mask = np.isin(self.row_doc, list(allowed))
        if filters.works:
            mask &= np.isin(self._row_work, list(filters.works))
        return mask
