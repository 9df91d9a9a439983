"""Hybrid retrieval: the first stage's signals fused by article (``api.retrieval.fusion``), then
direct lookup of a provision the question names and the facts it states applied."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, replace
from functools import cached_property
from typing import Protocol

import numpy as np

from api.retrieval.docprior import DocPrior
from api.retrieval.facts import ARTICLES_WEIGHED, Verdict, apply_facts, asked_dims
from api.retrieval.filters import Filters, RowFilter
from api.retrieval.fusion import Fused, FusionWeights, fuse
from api.retrieval.headings import subject
from api.retrieval.index import LoadedIndex
from api.retrieval.outside import OutsideTopics
from api.retrieval.parties import Parties
from api.retrieval.qamemory import QaMemory
from api.retrieval.question import STOPWORDS, Question
from api.retrieval.references import Reference, ReferenceFinder
from api.retrieval.rerank.features import ArticleFeatures, Positions
from api.retrieval.rerank.stage import SecondStage
from api.retrieval.scores import Mask, Scores, best
from api.retrieval.signals.base import Signal
from api.retrieval.signals.bm25 import BM25
from api.retrieval.signals.core import CoreCorpus
from api.retrieval.signals.crimes import CrimeNames
from api.retrieval.signals.dense import Dense
from api.retrieval.signals.doc_types import CitedTypes
from api.retrieval.signals.documents import DocumentBelief
from api.retrieval.signals.figures import FiguresAsked
from api.retrieval.signals.memory import EarlierQuestions
from api.retrieval.signals.sides import HeadedSides
from api.retrieval.terms import Terms
from api.retrieval.validity import Validities
from ingest.embedding.embed import Vectors
from ingest.structure.conditions import read_facts
from ingest.structure.quantities import Range
from ingest.structure.units import Unit
from ingest.text.normalize import normalize_query
from ingest.text.segment import tokenize

_HEADINGS_KEPT = 8192


FIRST_STAGE = "first-stage"


@dataclass
class Hit:
    unit: Unit
    score: float
    direct: bool = False
    verdict: Verdict = Verdict.SILENT  # how the unit's conditions meet the question's facts
    # Units of the same list shown and cited with this one (the points under a lead-in clause);
    # set by the answer, never by retrieval.
    items: tuple[Unit, ...] = ()
    # The successors that replaced the unit's provision, when it is shown anyway (set by
    # ``api.retrieval.validity``): the answer marks it "đã hết hiệu lực".
    replaced_by: tuple[str, ...] | None = None


@dataclass
class SearchResult:
    query: str
    hits: list[Hit]
    reference: Reference | None = None
    top_dense: float = 0.0
    top_outside: float = -1.0  # cosine to the nearest topic the corpus does not hold
    top_subject: float = 1.0  # cosine to the heading of the best unit's article
    ranking: str = FIRST_STAGE  # which model ordered the hits: the first stage or a second stage's id
    # What the answer weighs the clauses of a retrieved article by: the question's vector and
    # the fused score of every unit (row order; empty when no unit was scored).
    vector: Vectors | None = None
    unit_scores: Scores | None = None


def _path_matches(path: tuple[tuple[str, str], ...], ref: tuple[tuple[str, str], ...]) -> bool:
    for i, step in enumerate(path):
        if step == ref[0]:
            return path[i : i + len(ref)] == ref
    return False


class QueryEncoder(Protocol):
    name: str

    def query(self, text: str) -> Vectors: ...


class Retriever:
    def __init__(
        self,
        index: LoadedIndex,
        embedder: QueryEncoder,
        weights: FusionWeights | None = None,
        outside: OutsideTopics | None = None,
        doc_prior: DocPrior | None = None,
        memory: QaMemory | None = None,
        terms: Terms | None = None,
        parties: Parties | None = None,
        core: Collection[str] = (),
        second_stage: SecondStage | None = None,
        validity: Validities | None = None,
    ) -> None:
        self.index = index
        self.embedder = embedder
        self.weights = weights or FusionWeights()
        titles = [t for d in index.documents.values() for t in (d.meta.title, d.meta.short_title)]
        self.outside = outside.without(titles) if outside is not None else None
        self.references = ReferenceFinder([d.meta for d in index.documents.values()])
        self.validity = validity or Validities(index.documents)
        self.rows = RowFilter(index, self.validity.in_force)
        self.works = self.rows.works
        self.doc_types = self.rows.doc_types
        self.terms = terms or Terms([])
        articles = len(index.article_keys)
        # In the order they are summed: unit channels, then the article channel and priors.
        self.signals: list[Signal] = [
            BM25("lexical", "unit", index.lexical, index.vocab, len(index.rows)),
            Dense(index, self.weights.candidates),
            BM25("articles", "article", index.articles, index.article_vocab, articles),
            *([CitedTypes(index, doc_prior)] if doc_prior is not None else []),
            CoreCorpus(index, core),
            *([DocumentBelief(index, doc_prior)] if doc_prior is not None else []),
            *([EarlierQuestions(index, memory)] if memory is not None else []),
            FiguresAsked(index),
            CrimeNames(index.headings.items(), articles),
            HeadedSides(parties or Parties([]), index.headings.items(), articles),
        ]
        self._headings: dict[str, Vectors] = {}
        self.second_stage = second_stage

    @cached_property
    def candidates(self) -> ArticleFeatures:
        """What a second stage reads of the index: built on first use (an argsort of every
        row), so a retriever with the second stage off never pays for it."""
        return ArticleFeatures(self.index, self.weights.candidates)

    @property
    def ranking(self) -> str:
        """Which model orders this retriever's hits: the first stage or the second stage's id."""
        return self.second_stage.id if self.second_stage is not None else FIRST_STAGE

    def analyse(self, question: str, filters: Filters | None = None) -> Question:
        """``question`` as the signals read it, over the rows ``filters`` allow."""
        asked = normalize_query(question)
        # The signals read the statutory wording too; what the question names or states
        # (a provision, its figures) is read from its own words.
        query = normalize_query(self.terms.expand(asked))
        return Question(
            asked=asked,
            query=query,
            tokens=[t for t in tokenize(query) if t not in STOPWORDS],
            vector=self.embedder.query(query),
            facts=read_facts(asked),
            figure_kinds=asked_dims(query),
            allowed=self.rows.allowed(filters or Filters()),
        )

    def search(self, question: str, top_k: int = 10, filters: Filters | None = None) -> SearchResult:
        q = self.analyse(question, filters)
        # With facts to apply, the clauses of the first few articles are weighed, whatever top_k.
        fetch = max(top_k, ARTICLES_WEIGHED * self.weights.units_per_article) if q.facts else top_k
        # Replaced provisions go last (api.retrieval.validity): twice as many hits are
        # gathered, so that current ones can take their place.
        demoting = self.validity.demotes_any
        fetch = 2 * fetch if demoting else fetch
        result = SearchResult(q.query, [], ranking=self.ranking)
        if q.allowed.any():
            fused = self.fused(q)
            result.top_dense = float(fused.features["dense"][q.allowed].max())
            result.vector, result.unit_scores = q.vector, fused.units
            reordered: Positions = np.zeros(0, dtype=np.intp)
            if self.second_stage is not None:
                fused, reordered = self._second_stage(self.second_stage, q, fused)
            result.hits = self._collect(fused, q.allowed, fetch, reordered)
        if self.outside is not None:
            result.top_outside = self.outside.similarity(q.vector)
        reference = self.references.find(q.asked.lower())
        if reference is not None and q.allowed[self.rows.row_doc == reference.doc_id].any():
            result.reference = reference
            result.hits = self._direct(reference, result.hits, fetch)
        if q.facts:
            result.hits = self._apply(result.hits, q.facts, fetch if demoting else top_k, q.figure_kinds)
        if demoting:
            result.hits = self.validity.order(result.hits, q.asked)[:top_k]
        if self.outside is not None and result.hits:
            # The article the answer leads with, once the facts have chosen it.
            result.top_subject = float(self._heading_vector(result.hits[0].unit) @ q.vector)
        return result

    def fused(self, q: Question) -> Fused:
        """The first stage's scores for ``q``."""
        return fuse([(s, self.weights.of(s.name)) for s in self.signals], q, self.index, self.weights)

    def first_candidates(self, fused: Fused, depth: int) -> Positions:
        """The first stage's ``depth`` best articles with an allowed unit, best first."""
        top = best(fused.articles, min(depth, len(fused.articles)))
        return top[np.isfinite(fused.articles[top])]

    def _second_stage(self, stage: SecondStage, q: Question, fused: Fused) -> tuple[Fused, Positions]:
        """``fused`` with the first stage's best articles in the second stage's order. The
        first stage's scores are dealt out again in that order, so they keep their scale (the
        answer cites the hits scoring at least half the first's)."""
        candidates = self.first_candidates(fused, stage.depth)
        if len(candidates) < 2:
            return fused, candidates
        order = candidates[np.argsort(-stage.scores(q, fused, candidates, self.candidates), kind="stable")]
        articles = fused.articles.copy()
        articles[order] = np.sort(fused.articles[candidates])[::-1]
        return replace(fused, articles=articles), order

    def _collect(self, fused: Fused, allowed: Mask, top_k: int, reordered: Positions) -> list[Hit]:
        """The best ``units_per_article`` units of the best articles, best article first; the
        ``reordered`` articles are all walked, whatever their units' own rank."""
        w = self.weights
        # Only the best units are walked: partitioning first spares sorting every unit of a
        # national index (~20 ms of a 284k-unit argsort per question).
        order = best(fused.units, min(max(w.candidates, top_k * w.units_per_article), len(fused.units)))
        per_article: dict[int, list[int]] = {}
        for row in order[allowed[order]]:
            per_article.setdefault(int(self.index.article_of_row[row]), []).append(int(row))
        for art in map(int, reordered):
            if art not in per_article:
                rows = self.candidates.rows_of(art)
                rows = rows[allowed[rows]]
                per_article[art] = [int(r) for r in rows[np.argsort(-fused.units[rows], kind="stable")]]
        hits: list[Hit] = []
        for art in sorted(per_article, key=lambda a: -fused.articles[a]):
            for row in per_article[art][: w.units_per_article]:
                hits.append(Hit(self.index.rows[row], float(fused.articles[art])))
            if len(hits) >= top_k:
                break
        return hits[:top_k]

    def _apply(self, hits: list[Hit], facts: list[Range], top_k: int, asked: frozenset[str]) -> list[Hit]:
        """Hits reordered by the facts (``api.retrieval.facts``); a clause brought in from a
        ranked article takes that article's score and directness."""
        by_uid = {h.unit.uid: h for h in hits}
        by_article = {}
        for h in reversed(hits):
            by_article[h.unit.article_key] = h
        ranked = apply_facts(self.index.documents, [h.unit for h in hits], facts, top_k, asked)
        out = []
        for unit, fit in ranked:
            known = by_uid.get(unit.uid) or by_article[unit.article_key]
            out.append(Hit(unit, known.score, known.direct, fit))
        return out

    def _heading_vector(self, unit: Unit) -> Vectors:
        """The heading of ``unit``'s article, without its number, embedded as a question is
        (like the outside topics it is compared with); a few thousand are kept."""
        heading = subject(unit.heading) or unit.label
        vector = self._headings.get(heading)
        if vector is None:
            if len(self._headings) >= _HEADINGS_KEPT:
                self._headings.clear()
            vector = self._headings[heading] = self.embedder.query(heading)
        return vector

    def _direct(self, ref: Reference, hits: list[Hit], top_k: int) -> list[Hit]:
        doc = self.index.documents[ref.doc_id]
        named = [u for u in doc.units if u.searchable and _path_matches(u.path, ref.path)]
        if not named:
            return hits
        seen = {u.uid for u in named}
        direct = [Hit(u, 1.0, direct=True) for u in named[:top_k]]
        return (direct + [h for h in hits if h.unit.uid not in seen])[:top_k]
