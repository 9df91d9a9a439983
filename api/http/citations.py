"""Retrieved units → the citation shape shared by /search and /ask."""

from __future__ import annotations

from api.answering.answer import quote
from api.http.schemas import Citation, Filters, Successor
from api.retrieval.filters import Filters as CoreFilters
from api.retrieval.filters import work_key
from api.retrieval.retriever import Hit, Retriever
from ingest.errors import DocumentNotFound, UnknownFilterValue


def to_citation(retriever: Retriever, hit: Hit) -> Citation:
    meta = retriever.index.documents[hit.unit.doc_id].meta
    validity = retriever.validity.of(meta.doc_id)
    return Citation(
        doc_id=meta.doc_id,
        doc_number=meta.number,
        doc_title=meta.title,
        path=list(hit.unit.path),
        label=hit.unit.label,
        heading=hit.unit.heading,
        # A lead-in cited with the items the answer shows under it quotes them all.
        quote=quote("\n".join(u.text for u in (hit.unit, *hit.items))),
        score=round(hit.score, 4),
        status=validity.status,
        status_source=validity.source,
        status_basis=validity.source_detail,
        effective=validity.effective,
        replaced_by=[Successor(number=r.number, doc_id=r.doc_id) for r in validity.replaced_by],
        partial=meta.partial,
        source_kind=meta.source_kind,
        source=meta.provenance,
        origin_number=hit.unit.origin_number,
        origin_effective=hit.unit.origin_effective,
    )


def core_filters(retriever: Retriever, filters: Filters | None) -> CoreFilters | None:
    if filters is None:
        return None
    for doc_id in filters.doc_ids:
        if doc_id not in retriever.index.documents:
            raise DocumentNotFound(doc_id)
    for doc_type in filters.doc_types:
        if doc_type not in retriever.doc_types:
            raise UnknownFilterValue("doc_types", doc_type)
    for number in filters.doc_numbers:
        if work_key(number) not in retriever.works:
            raise UnknownFilterValue("doc_numbers", number)
    return CoreFilters(
        frozenset(filters.doc_ids),
        frozenset(filters.doc_types),
        filters.in_force_only,
        frozenset(work_key(n) for n in filters.doc_numbers),
    )
