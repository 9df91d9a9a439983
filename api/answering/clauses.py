"""Which clauses and points of each cited article an extractive answer shows, and as what.

Retrieval ranks articles and returns each one's best units; a citizen reads bullets. Per
article, in the retrieval's article order:

- a lead-in ("... trong trường hợp sau đây:", "... một trong các hành vi vi phạm sau đây:")
  is never a bullet by itself: it is the intro of the item(s) under it, and the items that
  answer are found among all of them by their evidence (fused score, then cosine);
- the units under one lead-in make one bullet, so no two bullets repeat it;
- a list of at most ``MAX_LIST_ITEMS`` alternatives (limits by kind of job, conditions, the
  papers to file) is shown whole when the question does not say which applies, and narrowed
  to what applies when it does: the facts' verdicts (``api.retrieval.facts``), or the items
  sharing more of the question's words than the others do;
- bullets keep the retrieval's order (by fused score; with facts, the facts' order), one
  stating a figure of the kind asked first.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace

import numpy as np

from api.answering.grounding import content_words
from api.retrieval.facts import Verdict, asked_dims
from api.retrieval.index import Document, LoadedIndex
from api.retrieval.retriever import Hit, SearchResult
from ingest.structure.units import Unit
from ingest.text.normalize import normalize_query
from ingest.text.segment import sentence_spans

# Above this many items a list is not shown whole (Điều 35 BLLĐ's reasons to quit are 7, a
# code's aggravating circumstances 8 to 10, a list of rights often more): the best item then.
MAX_LIST_ITEMS = 8


def body(unit: Unit) -> str:
    """The unit's text without its heading line ("Điều 25. Thời gian thử việc"), which names
    the subject but answers nothing; the heading itself when there is nothing else."""
    if unit.heading and unit.text.startswith(unit.heading):
        return unit.text[len(unit.heading) :].strip() or unit.text
    return unit.text


def opens_list(unit: Unit) -> bool:
    """The unit's own text ends by announcing the items under it."""
    return body(unit).rstrip().endswith(":")


def only_lead_in(unit: Unit) -> bool:
    """The unit says nothing but that a list follows ("Người lao động có các quyền sau đây:"),
    unlike a clause that states its rule before announcing one ("Thời hiệu ... là 30 năm ...
    Trường hợp không có người thừa kế ... thì di sản được giải quyết như sau:")."""
    return opens_list(unit) and len(sentence_spans(body(unit))) <= 1


def statement(unit: Unit) -> str:
    """What the unit states itself: its body without the sentence announcing a list under it."""
    text = body(unit)
    spans = sentence_spans(text)
    if opens_list(unit) and len(spans) > 1:
        return text[: spans[-1][0]].strip()
    return text


def children(doc: Document, unit: Unit) -> list[Unit]:
    """The searchable units directly under ``unit`` in its article (a clause's points)."""
    if unit.article is None:
        return []
    depth = len(unit.path)
    found = (doc.units[o] for o in doc.articles.get(unit.article_key, []))
    return [u for u in found if u.searchable and len(u.path) == depth + 1 and u.path[:depth] == unit.path]


def parent(doc: Document, unit: Unit) -> Unit | None:
    """The unit directly above ``unit`` in its article (a point's clause, a clause's article)."""
    if unit.article is None or len(unit.path) < 2:
        return None
    above = unit.path[:-1]
    found = (doc.units[o] for o in doc.articles.get(unit.article_key, []))
    return next((u for u in found if u.path == above), None)


def lead_in_of(doc: Document, unit: Unit) -> Unit | None:
    """The lead-in ``unit`` is an item of, if its parent is one."""
    above = parent(doc, unit)
    return above if above is not None and opens_list(above) else None


@dataclass(frozen=True)
class Evidence:
    """How well each unit meets the question: whether it states a figure of the kind asked,
    then ``score`` (its fused lexical and dense score, then its cosine); and the question's
    words."""

    words: set[str]
    wanted: frozenset[str]
    score: Callable[[Unit], tuple[float, float]]

    @classmethod
    def of_result(cls, result: SearchResult, index: LoadedIndex) -> Evidence:
        def score(unit: Unit) -> tuple[float, float]:
            row = index.row_of.get(unit.uid)
            if row is None or result.unit_scores is None or result.vector is None:
                return -np.inf, -np.inf
            return float(result.unit_scores[row]), float(index.vectors[row] @ result.vector)

        return cls(content_words(result.query.lower()), asked_dims(result.query), score)

    def states(self, unit: Unit) -> bool:
        return bool(self.wanted & set(unit.figures))

    def of(self, unit: Unit) -> tuple[bool, float, float]:
        return (self.states(unit), *self.score(unit))

    def overlap(self, unit: Unit, lead: Unit) -> int:
        """The question's words in ``unit`` that its lead-in and its article's heading (what
        every item shares) do not already hold."""
        shared = words_of(lead) | content_words(normalize_query(unit.heading).lower())
        return len((self.words - shared) & words_of(unit))


def words_of(unit: Unit) -> set[str]:
    return content_words(normalize_query(body(unit)).lower())


def arrange(
    hits: Sequence[Hit], documents: Mapping[str, Document], evidence: Evidence, limit: int
) -> list[Hit]:
    """The bullets for ``hits`` (the cited units, best article first), at most ``limit``: each
    a hit whose unit is shown, or a lead-in whose ``items`` are shown under it."""
    bullets: list[Hit] = []
    for group in _by_article(hits):
        bullets += _article_bullets(group, documents[group[0].unit.doc_id], evidence)
        if len(bullets) >= limit:
            break
    return bullets[:limit]


def _by_article(hits: Iterable[Hit]) -> list[list[Hit]]:
    groups: dict[str, list[Hit]] = {}
    for hit in hits:
        groups.setdefault(hit.unit.article_key, []).append(hit)
    return list(groups.values())


def _article_bullets(group: list[Hit], doc: Document, evidence: Evidence) -> list[Hit]:
    facts = any(h.verdict is not Verdict.SILENT for h in group)
    # Each retrieved unit under the lead-in it belongs to (itself when it is only one), in
    # order; a unit that states something besides announcing a list is a bullet of its own.
    lists: dict[str, tuple[Unit, list[Hit]]] = {}
    alone: dict[str, Hit] = {}
    order: list[str] = []
    for hit in group:
        unit = hit.unit
        lead = unit if only_lead_in(unit) and children(doc, unit) else lead_in_of(doc, unit)
        key = f"list {lead.uid}" if lead is not None else unit.uid
        if key not in order:
            order.append(key)
        if lead is None:
            alone[key] = hit
        else:
            lists.setdefault(key, (lead, []))[1].append(hit)
    bullets = []
    for key in order:
        if key in alone:
            # A lead-in whose items the text lacks (a partial text's gap) says nothing alone.
            if not only_lead_in(alone[key].unit) or len(group) == 1:
                bullets.append(alone[key])
            continue
        lead, members = lists[key]
        bullets.append(_list_bullet(lead, members, doc, evidence, facts))
    bullets = _merged(bullets, doc)
    if not facts:
        # Retrieval ordered them by their fused score; one stating a figure of the kind asked
        # goes before those that state none.
        bullets.sort(key=lambda b: not any(evidence.states(u) for u in (b.unit, *b.items)))
    return bullets or group[:1]


def _merged(bullets: list[Hit], doc: Document) -> list[Hit]:
    """One bullet per list: a lead-in reached both as the item chosen from the list above it
    and through its own retrieved items is shown once, with the items of both. (A clause
    stating its rule before its list stays two bullets: the rule, and the list.)"""
    kept: dict[str, Hit] = {}
    for b in bullets:
        key = f"list {b.unit.uid}" if b.items else b.unit.uid
        seen = kept.get(key)
        if seen is None:
            kept[key] = b
        else:
            items = _in_order(children(doc, b.unit), (*seen.items, *b.items))
            kept[key] = replace(seen, items=tuple(items))
    return list(kept.values())


def _list_bullet(lead: Unit, members: list[Hit], doc: Document, evidence: Evidence, facts: bool) -> Hit:
    """One bullet for the retrieved units of the list ``lead`` opens."""
    items = children(doc, lead)
    found = [h for h in members if h.unit.uid != lead.uid]
    first = found[0] if found else members[0]
    applying = [h.unit for h in found if h.verdict is Verdict.APPLIES]
    lead_applies = any(h.unit.uid == lead.uid and h.verdict is Verdict.APPLIES for h in members)
    if facts and applying:
        # The facts' order puts the tightest applying item first: that one applies.
        chosen = applying[:1]
    elif facts and not lead_applies:
        chosen = [h.unit for h in found]
    elif len(items) <= MAX_LIST_ITEMS and not any(only_lead_in(u) and children(doc, u) for u in items):
        # No facts, or facts met by the lead-in's own condition ("trị giá từ 2.000.000 đồng
        # ... hoặc dưới 2.000.000 đồng nhưng thuộc một trong các trường hợp sau đây"): the
        # items are the alternatives it leaves open.
        chosen = _narrowed(lead, items, evidence) or items
    else:
        chosen = [h.unit for h in found]
    if not chosen:
        chosen = [max(items, key=evidence.of)]
    if len(chosen) == 1 and only_lead_in(chosen[0]) and children(doc, chosen[0]):
        # The item chosen is itself a lead-in ("3. Quản lý việc đánh dấu ...:" under "Việc
        # đánh dấu ... được thực hiện như sau:"): the bullet is the list it opens.
        return _list_bullet(chosen[0], [replace(first, unit=chosen[0], items=())], doc, evidence, facts)
    if len(chosen) == 1:
        # One item: it is what is cited, its lead-in shown as its intro.
        hit = next((h for h in found if h.unit.uid == chosen[0].uid), None)
        return hit or replace(first, unit=chosen[0], items=())
    base = next((h for h in members if h.unit.uid == lead.uid), first)
    return replace(base, unit=lead, items=tuple(_in_order(items, chosen)))


def _narrowed(lead: Unit, items: list[Unit], evidence: Evidence) -> list[Unit]:
    """The items sharing more of the question's words than the rest do ("con kết hôn" against
    "cha mẹ chết"); none when they all share as many, so the question does not say which."""
    overlaps = [evidence.overlap(u, lead) for u in items]
    if not overlaps or max(overlaps) == min(overlaps):
        return []
    return [u for u, n in zip(items, overlaps, strict=True) if n == max(overlaps)]


def _in_order(items: list[Unit], chosen: Iterable[Unit]) -> list[Unit]:
    wanted = {u.uid for u in chosen}
    return [u for u in items if u.uid in wanted]
