"""Hybrid retrieval: lexical (BM25 over underthesea words) and dense (e5) scores, fused with
tuned weights, aggregated by article, with direct lookup of provisions a question names."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from ingest.embed import Embedder
from ingest.normalize import normalize_query
from ingest.segment import tokenize
from ingest.units import Unit

from .index import LoadedIndex
from .references import Reference, ReferenceFinder

Scores = npt.NDArray[np.float32]

# Question words and particles ("là gì", "bao nhiêu", "như thế nào") carry no topic; left in,
# BM25 rewards clauses that happen to repeat them. Measured on the development set: +0.02 MRR.
_STOPWORDS = """là và của có được cho các những một thì trong theo với không khi nào gì bao_nhiêu
như thế sao ai ở tại về này đó để do bị hay hoặc phải nếu đã sẽ đang rằng mà từ đến
ra vào ạ vậy còn hay_không như_thế_nào thế_nào bao_lâu"""
STOPWORDS = frozenset(_STOPWORDS.split())


@dataclass(frozen=True)
class Filters:
    doc_ids: frozenset[str] = frozenset()
    doc_types: frozenset[str] = frozenset()
    in_force_only: bool = False


@dataclass(frozen=True)
class FusionWeights:
    """Tuned on the development set with ``python -m api.eval --sweep`` (see README)."""

    lexical: float = 0.3
    candidates: int = 200
    # An article's score is its best unit's plus this share of its second best (0 measured
    # best: long articles would otherwise win on volume).
    second_unit: float = 0.0
    units_per_article: int = 2


@dataclass
class Hit:
    unit: Unit
    score: float
    lexical: float
    dense: float
    direct: bool = False


@dataclass
class SearchResult:
    query: str
    hits: list[Hit]
    reference: Reference | None = None
    top_dense: float = 0.0
    top_lexical: float = 0.0


def _path_matches(path: tuple[tuple[str, str], ...], ref: tuple[tuple[str, str], ...]) -> bool:
    for i, step in enumerate(path):
        if step == ref[0]:
            return path[i : i + len(ref)] == ref
    return False


class Retriever:
    def __init__(self, index: LoadedIndex, embedder: Embedder, weights: FusionWeights | None = None) -> None:
        self.index = index
        self.embedder = embedder
        self.weights = weights or FusionWeights()
        self.references = ReferenceFinder([d.meta for d in index.documents.values()])
        self._row_doc = np.array([u.doc_id for u in index.rows])

    def search(self, question: str, top_k: int = 10, filters: Filters | None = None) -> SearchResult:
        query = normalize_query(question)
        folded = query.lower()
        tokens = [t for t in tokenize(query) if t in self.index.vocab and t not in STOPWORDS]
        lexical = self._lexical(tokens)
        dense = self._dense(query)
        mask = self._mask(filters or Filters())
        reference = self.references.find(folded)
        result = self._fuse(query, lexical, dense, mask, top_k)
        if reference is not None and (not mask.size or self._doc_allowed(reference.doc_id, mask)):
            result.reference = reference
            result.hits = self._direct(reference, result.hits, top_k)
        return result

    def _lexical(self, tokens: list[str]) -> Scores:
        if not tokens:
            return np.zeros(len(self.index.rows), dtype=np.float32)
        return np.asarray(self.index.lexical.get_scores(tokens), dtype=np.float32)

    def _dense(self, query: str) -> Scores:
        vector = self.embedder.query(query)
        return np.asarray(self.index.vectors @ vector, dtype=np.float32)

    def _mask(self, filters: Filters) -> npt.NDArray[np.bool_]:
        if not (filters.doc_ids or filters.doc_types or filters.in_force_only):
            return np.zeros(0, dtype=bool)
        allowed = {
            doc_id
            for doc_id, doc in self.index.documents.items()
            if (not filters.doc_ids or doc_id in filters.doc_ids)
            and (not filters.doc_types or (doc.meta.doc_type or "") in filters.doc_types)
            and (not filters.in_force_only or _in_force(doc.meta.status))
        }
        return np.isin(self._row_doc, list(allowed))

    def _doc_allowed(self, doc_id: str, mask: npt.NDArray[np.bool_]) -> bool:
        return bool(mask[self._row_doc == doc_id].any())

    def _fuse(
        self, query: str, lexical: Scores, dense: Scores, mask: npt.NDArray[np.bool_], top_k: int
    ) -> SearchResult:
        w = self.weights
        if mask.size:
            lexical = np.where(mask, lexical, 0.0).astype(np.float32)
            dense = np.where(mask, dense, -1.0).astype(np.float32)
        n = min(w.candidates, len(dense))
        cand = np.union1d(np.argpartition(-dense, n - 1)[:n], np.argpartition(-lexical, n - 1)[:n])
        if mask.size:
            cand = cand[mask[cand]]
        result = SearchResult(query, [])
        if not cand.size:
            return result
        lex, den = lexical[cand], dense[cand]
        result.top_lexical = float(lex.max())
        result.top_dense = float(den.max())
        fused = w.lexical * _minmax(lex) + (1 - w.lexical) * _minmax(den)
        articles: dict[tuple[str, str], list[int]] = {}
        for pos in np.argsort(-fused):
            unit = self.index.rows[int(cand[pos])]
            articles.setdefault((unit.doc_id, unit.article or f"#{unit.ordinal}"), []).append(int(pos))
        ranked = sorted(
            articles.values(),
            key=lambda ps: -(fused[ps[0]] + (w.second_unit * fused[ps[1]] if len(ps) > 1 else 0.0)),
        )
        for positions in ranked:
            for pos in positions[: w.units_per_article]:
                unit = self.index.rows[int(cand[pos])]
                result.hits.append(Hit(unit, float(fused[pos]), float(lex[pos]), float(den[pos])))
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
        direct = [Hit(u, 1.0, 0.0, 0.0, direct=True) for u in named[:top_k]]
        return (direct + [h for h in hits if h.unit.uid not in seen])[:top_k]


def _minmax(x: Scores) -> Scores:
    lo, hi = float(x.min()), float(x.max())
    if hi - lo < 1e-9:
        return np.zeros_like(x)
    return (x - lo) / (hi - lo)


def _in_force(status: str | None) -> bool:
    # Metadata says "Còn hiệu lực", "Hết hiệu lực toàn bộ", "Hết hiệu lực một phần", ...
    return status is None or not status.lower().startswith("hết hiệu lực")


def allowed_types(values: Collection[str]) -> frozenset[str]:
    return frozenset(v.strip() for v in values if v.strip())
