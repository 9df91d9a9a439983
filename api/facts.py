"""Applying the facts a question states ("trộm 3 triệu", "con 16 tuổi", "hợp đồng 6 tháng") to
the conditions of the provisions retrieved for it.

Retrieval finds the right article but not the right clause: the clauses of "Điều 173. Tội trộm
cắp tài sản" share their words and differ in the amount they apply to. Among the units of the
best articles, one whose condition contains the question's value is what applies; one whose
conditions all exclude it is about other cases.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from enum import IntEnum

from ingest.conditions import CONDITION
from ingest.quantities import Range
from ingest.units import Unit

from .index import Document


class Verdict(IntEnum):
    """How a unit's conditions meet the question's facts; sorts in the order shown."""

    APPLIES = 0
    SILENT = 1  # states no condition on what the question says
    EXCLUDES = 2


# Articles of the ranking whose clauses are weighed: the first few are where the answer is
# (dev set R@3 ≈ 0.75); further down, a clause matching a figure is more likely a coincidence.
ARTICLES_WEIGHED = 3


def verdict(conditions: Sequence[Range], facts: Sequence[Range]) -> Verdict:
    """APPLIES when, for some dimension the question states, a condition contains its value;
    EXCLUDES when, for some dimension, every condition misses every value."""
    result = Verdict.SILENT
    for dim in {f.dim for f in facts}:
        ranges = [r for r in conditions if r.dim == dim]
        values = [f for f in facts if f.dim == dim]
        if not ranges:
            continue
        if all(r.disjoint(v) for r in ranges for v in values):
            return Verdict.EXCLUDES
        if any(r.contains(v) for r in ranges for v in values):
            result = Verdict.APPLIES
    return result


def conditions_of(documents: Mapping[str, Document], unit: Unit) -> list[Range]:
    """The unit's own conditions and, for a point, its clause's: the points of "khoản 1" (trị
    giá từ 2.000.000 đồng đến dưới 50.000.000 đồng ...) share the clause's amount."""
    own = [c.range for c in unit.conditions if c.role == CONDITION]
    if unit.kind != "diem" or unit.article is None:
        return own
    doc = documents[unit.doc_id]
    parent = next(
        (doc.units[o] for o in doc.articles.get(unit.article, []) if doc.units[o].path == unit.path[:-1]),
        None,
    )
    return own + ([c.range for c in parent.conditions if c.role == CONDITION] if parent else [])


def apply_facts(
    documents: Mapping[str, Document], units: Sequence[Unit], facts: Sequence[Range], limit: int
) -> list[tuple[Unit, Verdict]]:
    """``units`` (a ranking) reordered by the facts: the units of the first articles that apply
    (in ranking order of their articles, then document order), then the rest of the ranking,
    then the units those facts exclude. Without facts, or when nothing applies, the ranking
    keeps its order and only excluded units move down."""
    if not facts:
        return [(u, Verdict.SILENT) for u in units[:limit]]
    articles: list[str] = []
    for unit in units:
        if unit.article_key not in articles:
            articles.append(unit.article_key)
    weighed = articles[:ARTICLES_WEIGHED]
    applying: list[Unit] = []
    for key in weighed:
        doc_id, _, article = key.partition("#")
        doc = documents.get(doc_id)
        if doc is None or article not in doc.articles:
            continue
        for ordinal in doc.articles[article]:
            unit = doc.units[ordinal]
            if unit.searchable and verdict(conditions_of(documents, unit), facts) is Verdict.APPLIES:
                applying.append(unit)
    seen = {u.uid for u in applying}
    rest = [(u, verdict(conditions_of(documents, u), facts)) for u in units if u.uid not in seen]
    ranked = [(u, Verdict.APPLIES) for u in applying] + sorted(rest, key=lambda p: p[1] is Verdict.EXCLUDES)
    return ranked[:limit]
