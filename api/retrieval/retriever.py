"""Hybrid retrieval: lexical (BM25 over underthesea words) and dense (e5) scores, fused with
tuned weights, aggregated by article, with direct lookup of provisions a question names."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Collection
from dataclasses import dataclass
from typing import Protocol

import bm25s
import numpy as np
import numpy.typing as npt

from api.retrieval.docprior import DocPrior
from api.retrieval.facts import ARTICLES_WEIGHED, Verdict, apply_facts, asked_dims
from api.retrieval.index import Document, LoadedIndex
from api.retrieval.outside import OutsideTopics
from api.retrieval.parties import HeadedSides, Parties
from api.retrieval.qamemory import QaMemory
from api.retrieval.references import Reference, ReferenceFinder
from api.retrieval.signals.crimes import CrimeNames
from api.retrieval.terms import Terms
from ingest.embedding.embed import Vectors
from ingest.structure.conditions import read_facts
from ingest.structure.quantities import Range
from ingest.structure.units import Unit
from ingest.text.normalize import match_form, normalize_query
from ingest.text.segment import tokenize

Scores = npt.NDArray[np.float32]

# Question words and particles ("là gì", "bao nhiêu", "như thế nào") carry no topic; left in,
# BM25 rewards clauses that happen to repeat them. Measured on the development set: +0.02 MRR.
_STOPWORDS = """là và của có được cho các những một thì trong theo với không khi nào gì bao_nhiêu
như thế sao ai ở tại về này đó để do bị hay hoặc phải nếu đã sẽ đang rằng mà từ đến
ra vào ạ vậy còn hay_không như_thế_nào thế_nào bao_lâu"""
STOPWORDS = frozenset(_STOPWORDS.split())
# "Điều 40. Tử hình", "II. MỤC TIÊU": the number says nothing of the subject.
_NUMBERED_HEADING = re.compile(r"^(?:Điều\s+\d+[a-zđ]?|[IVXLC]+|\d+)\s*[.:]\s*", re.IGNORECASE)
_HEADINGS_KEPT = 8192


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


@dataclass(frozen=True)
class FusionWeights:
    """Tuned on the development set with ``python -m api.eval --sweep`` (see README).

    Each channel is normalised per query against its own ``candidates``-th best score, so a
    weight means the same thing whatever the query's raw score range.
    """

    lexical: float = 0.3  # unit BM25 vs unit dense (1 - lexical)
    articles: float = 0.6  # article-level BM25, added to the article's best unit
    documents: float = 0.4  # times P(document | question) from the learned prior, added to its articles
    memory: float = 0.4  # times the article's share of the nearest earlier questions' votes
    # Times the log of how often answers cite the article's type of document (0 for laws,
    # -2.2 for circulars on the national index): chosen on the train half of the weak pairs
    # over the national index, flat between 0.15 and 0.25 (README: "Which type of document").
    cited_types: float = 0.15
    # Added to the articles of the corpus folder's documents when collections are indexed
    # beside them: the codes a dev question asks about then compete with decrees and laws
    # that restate them. National dev MRR 0.547 -> 0.586, train half of the pairs unchanged
    # (0.5: dev 0.626, train -0.005); README: "The core corpus first".
    core: float = 0.2
    # Added to the articles that state a figure of the kind the question asks for ("bao nhiêu
    # giờ": hours): the limit of overtime hours, not the overtime pay rate.
    figures: float = 0.2
    # Times the share of a crime's name the question holds, when it asks about a penalty
    # (``api.retrieval.signals.crimes``): dev MRR 0.703 -> 0.704, held-out pairs 0.432 -> 0.434,
    # first citation
    # on eval/facts.jsonl 84.6% -> 88.5% (0.6 measured the same).
    crimes: float = 0.3
    # Added to the articles headed by the one side of a relation the question names, taken
    # from the other side's (``api.retrieval.parties``): "Nghĩa vụ của người sử dụng lao động", not
    # "... của người lao động". Dev and held-out unchanged (8 and 19 questions fire); 0.5
    # moved three held-out pairs down.
    parties: float = 0.3
    candidates: int = 200
    article_candidates: int = 100
    units_per_article: int = 2


@dataclass
class Hit:
    unit: Unit
    score: float
    direct: bool = False
    verdict: Verdict = Verdict.SILENT  # how the unit's conditions meet the question's facts


@dataclass
class SearchResult:
    query: str
    hits: list[Hit]
    reference: Reference | None = None
    top_dense: float = 0.0
    top_outside: float = -1.0  # cosine to the nearest topic the corpus does not hold
    top_subject: float = 1.0  # cosine to the heading of the best unit's article


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
    ) -> None:
        self.index = index
        self.embedder = embedder
        self.weights = weights or FusionWeights()
        titles = [t for d in index.documents.values() for t in (d.meta.title, d.meta.short_title)]
        self.outside = outside.without(titles) if outside is not None else None
        self.references = ReferenceFinder([d.meta for d in index.documents.values()])
        self._row_doc = np.array([u.doc_id for u in index.rows])
        self._row_work = np.array([_work_of(u, index.documents[u.doc_id]) for u in index.rows])
        self.works = frozenset(self._row_work) - {""}
        self.doc_types = frozenset(d.meta.doc_type for d in index.documents.values() if d.meta.doc_type)
        self.doc_prior = doc_prior
        self._doc_ids = sorted(index.documents)
        positions = {d: i for i, d in enumerate(self._doc_ids)}
        article_doc = np.zeros(len(index.article_keys), dtype=np.int64)
        article_doc[index.article_of_row] = [positions[u.doc_id] for u in index.rows]
        self._article_doc = article_doc  # article position → position of its document
        self._type_rates = self._typed(index, doc_prior)
        in_core = np.isin(self._doc_ids, list(core))[article_doc]
        # Only against other documents: over the corpus folder alone it would lift every score.
        self._core = np.where(in_core.all(), False, in_core).astype(np.float32)
        self.memory = memory
        self.terms = terms or Terms([])
        self._figures: dict[str, npt.NDArray[np.bool_]] = {}  # kind of figure → articles stating one
        for unit, position in zip(index.rows, index.article_of_row, strict=True):
            for kind in unit.figures:
                self._figures.setdefault(kind, np.zeros(len(index.article_keys), dtype=bool))[position] = True
        self._article_at = {
            (u.doc_id, u.article): int(a)
            for u, a in zip(index.rows, index.article_of_row, strict=True)
            if u.article is not None and not u.borrowed
        }
        headings: dict[int, str] = {}  # article position → its heading, read once for both priors
        for u, a in zip(index.rows, index.article_of_row, strict=True):
            headings.setdefault(int(a), u.heading)
        self._crimes = CrimeNames(headings.items(), len(index.article_keys))
        self._sides = HeadedSides(parties or Parties([]), headings.items(), len(index.article_keys))
        self._everything = np.ones(len(index.rows), dtype=bool)
        self._headings: dict[str, Vectors] = {}

    def search(self, question: str, top_k: int = 10, filters: Filters | None = None) -> SearchResult:
        asked = normalize_query(question)
        # The signals read the statutory wording too; what the question names or states
        # (a provision, its figures) is read from its own words.
        query = normalize_query(self.terms.expand(asked))
        tokens = [t for t in tokenize(query) if t not in STOPWORDS]
        mask = self._mask(filters or Filters())
        lexical = _bm25(self.index.lexical, self.index.vocab, tokens, len(self.index.rows))
        articles = _bm25(self.index.articles, self.index.article_vocab, tokens, len(self.index.article_keys))
        vector = self.embedder.query(query)
        facts = read_facts(asked)
        # With facts to apply, the clauses of the first few articles are weighed, whatever top_k.
        fetch = max(top_k, ARTICLES_WEIGHED * self.weights.units_per_article) if facts else top_k
        prior = self._document_prior(tokens) + self._memory_prior(vector) + self._figure_prior(query)
        prior += self.weights.crimes * self._crimes.coverage(query)
        prior += self.weights.parties * self._sides.focus(query)
        result = self._fuse(query, lexical, self._dense(vector, mask), articles, mask, fetch, prior)
        if self.outside is not None:
            result.top_outside = self.outside.similarity(vector)
        reference = self.references.find(asked.lower())
        if reference is not None and mask[self._row_doc == reference.doc_id].any():
            result.reference = reference
            result.hits = self._direct(reference, result.hits, fetch)
        if facts:
            result.hits = self._apply(query, result.hits, facts, top_k)
        if self.outside is not None and result.hits:
            # The article the answer leads with, once the facts have chosen it.
            result.top_subject = float(self._heading_vector(result.hits[0].unit) @ vector)
        return result

    def _apply(self, query: str, hits: list[Hit], facts: list[Range], top_k: int) -> list[Hit]:
        """Hits reordered by the facts (``api.retrieval.facts``); a clause brought in from a ranked
        article takes that article's score and directness."""
        by_uid = {h.unit.uid: h for h in hits}
        by_article = {}
        for h in reversed(hits):
            by_article[h.unit.article_key] = h
        ranked = apply_facts(self.index.documents, [h.unit for h in hits], facts, top_k, asked_dims(query))
        out = []
        for unit, fit in ranked:
            known = by_uid.get(unit.uid) or by_article[unit.article_key]
            out.append(Hit(unit, known.score, known.direct, fit))
        return out

    def _heading_vector(self, unit: Unit) -> Vectors:
        """The heading of ``unit``'s article, without its number, embedded as a question is
        (like the outside topics it is compared with); a few thousand are kept."""
        heading = _NUMBERED_HEADING.sub("", normalize_query(unit.heading)) or unit.label
        vector = self._headings.get(heading)
        if vector is None:
            if len(self._headings) >= _HEADINGS_KEPT:
                self._headings.clear()
            vector = self._headings[heading] = self.embedder.query(heading)
        return vector

    def _typed(self, index: LoadedIndex, doc_prior: DocPrior | None) -> Scores:
        """Per article, how seldom answers cite its type of document (``DocPrior.type_rates``):
        0 for laws, below 0 for circulars."""
        if doc_prior is None:
            return np.zeros(len(self._article_doc), dtype=np.float32)
        types = {d: doc.meta.doc_type or "" for d, doc in index.documents.items()}
        articles = Counter(self._doc_ids[p] for p in self._article_doc)
        rates = doc_prior.type_rates(types, articles)
        per_doc = np.array([rates[types[d]] for d in self._doc_ids], dtype=np.float32)
        typed: Scores = per_doc[self._article_doc]
        return typed

    def _document_prior(self, tokens: list[str]) -> Scores:
        """What each article gains from the learned belief about which law the question is about,
        and by its document: its type, and whether it is one of the corpus folder's."""
        prior = self.weights.cited_types * self._type_rates + self.weights.core * self._core
        if self.doc_prior is None or not self.weights.documents:
            return prior
        # Renormalised among the indexed documents: a question about a law outside the index
        # still says which indexed one is nearest (on dev, MRR 0.714 against 0.702 with the
        # share among all documents the pairs cite).
        believed = self.doc_prior.posterior(tokens, among=self.index.documents)
        per_doc = np.array([believed.get(d, 0.0) for d in self._doc_ids], dtype=np.float32)
        prior += self.weights.documents * per_doc[self._article_doc]
        return prior

    def _memory_prior(self, vector: Vectors) -> Scores:
        """What each article gains from the votes of the nearest earlier questions
        (``api.retrieval.qamemory``), scaled so the most voted indexed article gains ``weights.memory``."""
        prior = np.zeros(len(self._article_doc), dtype=np.float32)
        if self.memory is None or not self.weights.memory:
            return prior
        for weight, cited in self.memory.nearest(vector):
            # Shared among the cited articles this index holds: on the bundled index, a
            # question citing one code article and three decrees votes for that article alone.
            held = [p for p in (self._article_at.get(a) for a in cited) if p is not None]
            for position in held:
                prior[position] += weight / len(held)
        top = float(prior.max())
        return prior * (self.weights.memory / top) if top > 0 else prior

    def _figure_prior(self, query: str) -> Scores:
        """``weights.figures`` for the articles stating a figure of a kind the question asks for."""
        stating = [self._figures[kind] for kind in asked_dims(query) if kind in self._figures]
        if not stating or not self.weights.figures:
            return np.zeros(len(self._article_doc), dtype=np.float32)
        prior: Scores = np.where(np.logical_or.reduce(stating), self.weights.figures, 0.0).astype(np.float32)
        return prior

    def _dense(self, vector: Vectors, mask: npt.NDArray[np.bool_]) -> Scores:
        """Cosine similarity of every allowed unit; outside the top candidates only the
        floor matters (normalisation clips there), so FAISS answers the unfiltered case."""
        if not mask.all():
            return np.where(mask, self.index.vectors @ vector, -1.0).astype(np.float32)
        k = min(self.weights.candidates, len(mask))
        scores, ids = self.index.dense.search(vector[None, :], k)
        dense = np.full(len(mask), scores[0, -1], dtype=np.float32)
        dense[ids[0]] = scores[0]
        return dense

    def _mask(self, filters: Filters) -> npt.NDArray[np.bool_]:
        if filters == Filters():
            return self._everything
        allowed = {
            doc_id
            for doc_id, doc in self.index.documents.items()
            if (not filters.doc_ids or doc_id in filters.doc_ids)
            and (not filters.doc_types or (doc.meta.doc_type or "") in filters.doc_types)
            and (not filters.in_force_only or _in_force(doc.meta.status))
        }
        mask = np.isin(self._row_doc, list(allowed))
        if filters.works:
            mask &= np.isin(self._row_work, list(filters.works))
        return mask

    def _fuse(
        self,
        query: str,
        lexical: Scores,
        dense: Scores,
        articles: Scores,
        mask: npt.NDArray[np.bool_],
        top_k: int,
        prior: Scores,
    ) -> SearchResult:
        w = self.weights
        if not mask.any():
            return SearchResult(query, [])
        result = SearchResult(query, [], top_dense=float(dense[mask].max()))
        unit = w.lexical * _top_norm(lexical, w.candidates) + (1 - w.lexical) * _top_norm(dense, w.candidates)
        unit = np.where(mask, unit, -np.inf)
        best = np.full(len(articles), -np.inf, dtype=np.float32)
        np.maximum.at(best, self.index.article_of_row, unit)
        article = best + w.articles * _top_norm(articles, w.article_candidates) + prior
        # Only the best units are walked: partitioning first spares sorting every unit of a
        # national index (~20 ms of a 284k-unit argsort per question).
        order = _best(unit, min(max(w.candidates, top_k * w.units_per_article), len(unit)))
        per_article: dict[int, list[int]] = {}
        for row in order[mask[order]]:
            per_article.setdefault(int(self.index.article_of_row[row]), []).append(int(row))
        for art in sorted(per_article, key=lambda a: -article[a]):
            for row in per_article[art][: w.units_per_article]:
                result.hits.append(Hit(self.index.rows[row], float(article[art])))
            if len(result.hits) >= top_k:
                break
        result.hits = result.hits[:top_k]
        return result

    def _direct(self, ref: Reference, hits: list[Hit], top_k: int) -> list[Hit]:
        doc = self.index.documents[ref.doc_id]
        named = [u for u in doc.units if u.searchable and _path_matches(u.path, ref.path)]
        if not named:
            return hits
        seen = {u.uid for u in named}
        direct = [Hit(u, 1.0, direct=True) for u in named[:top_k]]
        return (direct + [h for h in hits if h.unit.uid not in seen])[:top_k]


def _bm25(model: bm25s.BM25, vocab: dict[str, int], tokens: list[str], size: int) -> Scores:
    known = [t for t in tokens if t in vocab]
    if not known:
        return np.zeros(size, dtype=np.float32)
    return np.asarray(model.get_scores(known), dtype=np.float32)


def _above_floor(x: Scores) -> npt.NDArray[np.intp]:
    """Positions scoring above the lowest score. Most scores tie there (no query word, clipped
    to 0, outside the filter), and numpy's partition slows down on ties: 30 ms instead of 0.3
    for a national index's 284k scores, so only the rest is partitioned."""
    return np.flatnonzero(x > x.min())


def _best(x: Scores, n: int) -> npt.NDArray[np.intp]:
    """Positions of the ``n`` best scores, best first."""
    above = _above_floor(x)
    if len(above) <= n:
        chosen = np.concatenate([above, np.flatnonzero(x == x.min())[: n - len(above)]])
    else:
        chosen = above[np.argpartition(-x[above], n - 1)[:n]]
    best: npt.NDArray[np.intp] = chosen[np.argsort(-x[chosen], kind="stable")]
    return best


def _top_norm(x: Scores, k: int) -> Scores:
    """Scores rescaled so the k-th best is 0 and the best is 1; weaker ones are clipped to 0."""
    k = min(k, len(x))
    if k == 0:
        return x.astype(np.float32)
    above = x[_above_floor(x)]
    floor = float(np.partition(above, -k)[-k]) if len(above) >= k else float(x.min())
    top = float(x.max())
    if top - floor < 1e-9:
        return np.zeros_like(x)
    scaled: Scores = np.clip((x - floor) / (top - floor), 0.0, None).astype(np.float32)
    return scaled


def _in_force(status: str | None) -> bool:
    # Metadata says "Còn hiệu lực", "Hết hiệu lực toàn bộ", "Hết hiệu lực một phần", ...
    return status is None or not status.lower().startswith("hết hiệu lực")
