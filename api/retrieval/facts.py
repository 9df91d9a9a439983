"""Applying the facts a question states ("trộm 3 triệu", "con 16 tuổi", "hợp đồng 6 tháng") to
the conditions of the provisions retrieved for it.

Retrieval finds the right article but not the right clause: the clauses of "Điều 173. Tội trộm
cắp tài sản" share their words and differ in the amount they apply to. Among the units of the
best articles, one whose condition contains the question's value is what applies; one whose
conditions all exclude it is about other cases.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from enum import IntEnum

from api.retrieval.index import Document
from ingest.structure.conditions import CONDITION
from ingest.structure.quantities import (
    AGE,
    DAYS,
    HOURS,
    MONEY,
    MONTHS,
    PERCENT,
    TIMES,
    Range,
    folded,
    quantities,
)
from ingest.structure.units import Unit


class Verdict(IntEnum):
    """How a unit's conditions meet the question's facts; sorts in the order shown."""

    APPLIES = 0
    SILENT = 1  # states no condition on what the question says
    EXCLUDES = 2


# Articles of the ranking whose clauses are weighed: further down, a clause matching a figure
# is more likely a coincidence. Three was set before measuring; five, chosen on
# eval/facts.jsonl once the priors had joined the ranking (first citation 82.7% -> 84.6%,
# figure 90.4% -> 94.2%), changed nothing on dev and one rank among 1,372 held-out pairs of the
# national index (README).
ARTICLES_WEIGHED = 5


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
        (doc.units[o] for o in doc.articles.get(unit.article_key, []) if doc.units[o].path == unit.path[:-1]),
        None,
    )
    return own + ([c.range for c in parent.conditions if c.role == CONDITION] if parent else [])


def apply_facts(
    documents: Mapping[str, Document],
    units: Sequence[Unit],
    facts: Sequence[Range],
    limit: int,
    wanted: frozenset[str] = frozenset(),
) -> list[tuple[Unit, Verdict]]:
    """``units`` (a ranking) reordered by the facts. The units of the best-ranked articles
    whose own conditions contain the question's values come first; further down, a unit the
    facts exclude gives its place to the units of its article that apply, or when none does,
    moves to the end. Without facts the ranking is kept.

    Within an article, a unit that states a figure of the kind asked for (``wanted``, see
    ``asked_dims``) comes first, then the tightest condition ("từ đủ 13 tuổi đến chưa đủ 15
    tuổi" before "chưa đủ 18 tuổi"), then document order, where base cases come before
    aggravated ones."""
    if not facts:
        return [(u, Verdict.SILENT) for u in units[:limit]]
    articles: list[str] = []
    for unit in units:
        if unit.article_key not in articles:
            articles.append(unit.article_key)
    fitting = {key: _applying(documents, key, facts, wanted) for key in articles}
    ranked = [(u, Verdict.APPLIES) for key in articles[:ARTICLES_WEIGHED] for u in fitting[key]]
    seen = {u.uid for u, _ in ranked}
    excluded = []
    for unit in units:
        if unit.uid in seen:
            continue
        fit = verdict(conditions_of(documents, unit), facts)
        if fit is Verdict.EXCLUDES:
            instead = [u for u in fitting[unit.article_key] if u.uid not in seen]
            if not instead:
                excluded.append((unit, fit))
                continue
            ranked += [(u, Verdict.APPLIES) for u in instead]
            seen.update(u.uid for u in instead)
        else:
            ranked.append((unit, fit))
            seen.add(unit.uid)
    return (ranked + excluded)[:limit]


def _applying(
    documents: Mapping[str, Document], article_key: str, facts: Sequence[Range], wanted: frozenset[str]
) -> list[Unit]:
    """The units of an article whose own conditions contain the facts, best first. Own
    conditions only: the points under "khoản 1" are its special cases and add nothing to the
    clause that states the amount and the penalty."""
    doc = documents.get(article_key.partition("#")[0])
    if doc is None or article_key not in doc.articles:
        return []
    found: list[tuple[bool, tuple[float, float], int, Unit]] = []
    for ordinal in doc.articles[article_key]:
        unit = doc.units[ordinal]
        own = [c.range for c in unit.conditions if c.role == CONDITION]
        if not unit.searchable or verdict(own, facts) is not Verdict.APPLIES:
            continue
        # The tightest range around the value: narrowest, then nearest lower bound ("20.000.000
        # đồng trở lên" before "5.000.000 đồng trở lên" for 25 triệu).
        tight = min((r.high - r.low, f.low - r.low) for r in own for f in facts if r.contains(f))
        states = any(q.dim in wanted for q in quantities(f"{unit.intro}\n{unit.text}"))
        found.append((not states, tight, ordinal, unit))
    return [f[-1] for f in sorted(found, key=lambda f: f[:3])]


# What a question asks for, by the words it asks with: "bao nhiêu giờ" wants a figure in hours,
# "bị phạt thế nào" a prison term or a fine.
_ASKS: list[tuple[re.Pattern[str], frozenset[str]]] = [
    (re.compile(r"(?:bao nhiêu|mấy) (?:giờ|tiếng)"), frozenset({HOURS})),
    (re.compile(r"(?:bao nhiêu|mấy) (?:ngày|tuần)"), frozenset({DAYS})),
    (re.compile(r"(?:bao nhiêu|mấy) (?:năm|tháng)"), frozenset({MONTHS})),
    (re.compile(r"bao lâu|thời hạn|thời hiệu|thời gian"), frozenset({MONTHS, DAYS, HOURS})),
    (re.compile(r"(?:bao nhiêu|mấy) tuổi|độ tuổi|tuổi nào"), frozenset({AGE})),
    (re.compile(r"bao nhiêu (?:tiền|đồng|triệu)|phạt tiền|mức phạt"), frozenset({MONEY})),
    (re.compile(r"(?:bao nhiêu|mấy) (?:phần trăm|%)|tỷ lệ|lãi suất"), frozenset({PERCENT})),
    (re.compile(r"(?:bao nhiêu|mấy) lần"), frozenset({TIMES})),
    (re.compile(r"phạt|tù|xử lý hình sự"), frozenset({MONTHS, MONEY})),
]


def asked_dims(question: str) -> frozenset[str]:
    """The dimensions of the figure a question asks for (empty when it asks for none)."""
    low = folded(question)
    return frozenset().union(*(dims for rx, dims in _ASKS if rx.search(low)))
