"""What the second stage reads of each candidate article: the first stage's signals folded
to the article, each beside its gap to the best candidate (the same question's scale), plus a
few things of the article itself that no signal says (how much of its heading the question
names, where it sits in its document).
"""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt

from api.retrieval.fusion import Fused
from api.retrieval.headings import subject
from api.retrieval.index import LoadedIndex
from api.retrieval.question import STOPWORDS, Question
from api.retrieval.scores import best
from api.retrieval.validity import YEAR
from ingest.structure.units import DocumentMeta
from ingest.text.normalize import normalize_query
from ingest.text.segment import tokenize

Matrix = npt.NDArray[np.float32]  # one row per candidate, one column per feature
Positions = npt.NDArray[np.intp]

# The unit-level signals, folded to an article by its best allowed unit.
UNIT_SIGNALS = ("lexical", "dense")
ARTICLE_SIGNALS = (
    "articles",
    "cited_types",
    "core",
    "documents",
    "memory",
    "figures",
    "crimes",
    "parties",
)
# Each signal's value and its gap to the best candidate, then the article's own features. A
# signal the retriever does not have (no document prior) is NaN, which the trees route apart.
FEATURES = (
    "fused",
    "fused_gap",
    "fused_rank",
    *(f"{s}{suffix}" for s in (*UNIT_SIGNALS, *ARTICLE_SIGNALS) for suffix in ("", "_gap")),
    "cosine",  # the best unit's raw cosine: absolute, where "dense" is rescaled per question
    "cosine_gap",
    "cosine_second",  # the article's second-best unit: a clause of it, or only its heading
    "units_in_top",  # of the fused best units, how many are the article's
    "heading_asked",  # share of the question's words in the article's heading
    "heading_met",  # share of the heading's words in the question
    "article_units",
    "article_position",  # 0 for a document's first article, 1 for its last
    "lexical_rank",
    "dense_rank",
    # The article's document among the candidates': how many of its articles are there, how
    # far its best one falls behind the best candidate, its rank among their documents.
    "doc_share",
    "doc_gap",
    "doc_rank",
    "doc_title_asked",  # share of the question's words in the document's title
    "doc_year_gap",  # its year minus the newest candidate document's (NaN when unknown)
)


class ArticleFeatures:
    """Computes ``FEATURES`` for candidate articles of one index; what it reads of the index
    (each article's rows, headings' words) is prepared once per index version."""

    def __init__(self, index: LoadedIndex, top_units: int) -> None:
        self.index = index
        self.top_units = top_units
        order = np.argsort(index.article_of_row, kind="stable")
        counts = np.bincount(index.article_of_row, minlength=len(index.article_keys))
        self._rows = order
        self._starts = np.concatenate([[0], np.cumsum(counts)])
        self._position = self._article_positions()
        self._heading_words: dict[int, frozenset[str]] = {}
        self._doc = index.article_doc
        self._year = np.array([_year(index.documents[d].meta) for d in index.doc_ids])
        self._title_words: dict[int, frozenset[str]] = {}

    def rows_of(self, article: int) -> Positions:
        rows: Positions = self._rows[self._starts[article] : self._starts[article + 1]]
        return rows

    def matrix(self, question: Question, fused: Fused, candidates: Positions) -> Matrix:
        n = len(candidates)
        columns: dict[str, npt.NDArray[np.float64]] = {}
        fused_scores = fused.articles[candidates].astype(np.float64)
        columns["fused"] = fused_scores
        columns["fused_rank"] = _ranks(fused_scores)
        allowed = question.allowed
        article_rows = [self.rows_of(int(a)) for a in candidates]
        unit_rows = [r[allowed[r]] for r in article_rows]
        for name in UNIT_SIGNALS:
            term = fused.terms.get(name)
            columns[name] = (
                np.array([term[r].max() if len(r) else 0.0 for r in unit_rows])
                if term is not None
                else np.full(n, np.nan)
            )
        for name in ARTICLE_SIGNALS:
            term = fused.terms.get(name)
            columns[name] = term[candidates].astype(np.float64) if term is not None else np.full(n, np.nan)
        cosines = fused.features["dense"]
        tops = [np.sort(cosines[r])[::-1] if len(r) else np.array([-1.0]) for r in unit_rows]
        columns["cosine"] = np.array([t[0] for t in tops])
        columns["cosine_second"] = np.array([t[1] if len(t) > 1 else t[0] for t in tops])
        for name in ("fused", *UNIT_SIGNALS, *ARTICLE_SIGNALS, "cosine"):
            # A signal the retriever lacks is NaN throughout, and so is its gap.
            columns[f"{name}_gap"] = columns[name] - columns[name].max() if n else columns[name]
        order = best(fused.units, min(self.top_units, len(fused.units)))
        in_top = np.bincount(self.index.article_of_row[order], minlength=len(self.index.article_keys))
        columns["units_in_top"] = in_top[candidates].astype(np.float64)
        asked = set(question.tokens)
        heading_words = [self._words(int(a)) for a in candidates]
        columns["heading_asked"] = np.array([len(asked & h) / max(1, len(asked)) for h in heading_words])
        columns["heading_met"] = np.array([len(asked & h) / max(1, len(h)) for h in heading_words])
        columns["article_units"] = np.array([math.log1p(len(r)) for r in article_rows])
        columns["article_position"] = self._position[candidates]
        for name in UNIT_SIGNALS:
            columns[f"{name}_rank"] = _ranks(columns[name])
        docs = self._doc[candidates]
        _, doc_of, counts = np.unique(docs, return_inverse=True, return_counts=True)
        doc_best = np.full(len(counts), -np.inf)
        np.maximum.at(doc_best, doc_of, fused_scores)
        columns["doc_share"] = counts[doc_of] / max(1, n)
        columns["doc_gap"] = doc_best[doc_of] - (fused_scores.max() if n else 0.0)
        columns["doc_rank"] = _ranks(doc_best)[doc_of]
        title_words = [self._titled(int(d)) for d in docs]
        columns["doc_title_asked"] = np.array([len(asked & t) / max(1, len(asked)) for t in title_words])
        years = self._year[docs]
        columns["doc_year_gap"] = years - np.nanmax(years) if np.isfinite(years).any() else years
        return np.column_stack([columns[f] for f in FEATURES]).astype(np.float32)

    def _words(self, article: int) -> frozenset[str]:
        words = self._heading_words.get(article)
        if words is None:
            heading = subject(self.index.headings.get(article, ""))
            words = self._heading_words[article] = frozenset(tokenize(heading)) - STOPWORDS
        return words

    def _titled(self, doc: int) -> frozenset[str]:
        words = self._title_words.get(doc)
        if words is None:
            title = self.index.documents[self.index.doc_ids[doc]].meta.title
            words = self._title_words[doc] = frozenset(tokenize(normalize_query(title))) - STOPWORDS
        return words

    def _article_positions(self) -> npt.NDArray[np.float64]:
        """Each article's place in its document, 0 (first) to 1 (last)."""
        doc = self.index.article_doc
        order = np.argsort(doc, kind="stable")  # article positions follow each document's order
        sizes = np.bincount(doc)
        first = np.concatenate([[0], np.cumsum(sizes)])[doc[order]]
        position = np.zeros(len(doc))
        position[order] = (np.arange(len(doc)) - first) / np.maximum(1, sizes[doc[order]] - 1)
        return position


def _ranks(values: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    """0 for the highest value, ties in order."""
    order = np.argsort(-values, kind="stable")
    ranks = np.empty(len(values))
    ranks[order] = np.arange(len(values))
    return ranks


def _year(meta: DocumentMeta) -> float:
    # "45/2019/QH14" carries the year it was passed; the issue date where the number has none.
    for text in (meta.number or "", meta.issued or ""):
        found = YEAR.search(text)
        if found:
            return float(found.group(1))
    return math.nan
