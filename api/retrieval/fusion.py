"""The first stage's order: one weighted sum of the signals' scores per article.

Units are scored by their weighed unit-level signals; an article scores its best allowed
unit plus its weighed article-level signals. Adding a signal is adding it to the retriever's
list and giving it a weight here; a learned model would read the same ``Fused.features``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np

from api.retrieval.index import LoadedIndex
from api.retrieval.question import Question
from api.retrieval.scores import Scores, top_norm
from api.retrieval.signals.base import Signal

# The fields that weigh a signal (the others are depths); "dense" weighs 1 - lexical.
_WEIGHTED = frozenset(
    ["lexical", "articles", "documents", "memory", "cited_types", "core", "figures", "crimes", "parties"]
)


@dataclass(frozen=True)
class FusionWeights:
    """Tuned on the development set with ``python -m api.eval --sweep`` (docs/experiments.md);
    settings ``VNLAW_FUSION__<NAME>`` (e.g. ``VNLAW_FUSION__MEMORY=0.5``).

    Each channel is normalised per query against its own ``candidates``-th best score, so a
    weight means the same thing whatever the query's raw score range.
    """

    lexical: float = 0.3  # unit BM25 vs unit dense (1 - lexical)
    articles: float = 0.6  # article-level BM25, added to the article's best unit
    documents: float = 0.4  # times P(document | question) from the learned prior, added to its articles
    memory: float = 0.4  # times the article's share of the nearest earlier questions' votes
    # Times the log of how often answers cite the article's type of document (0 for laws,
    # -2.2 for circulars on the national index): chosen on the train half of the weak pairs
    # over the national index, flat between 0.15 and 0.25 (docs: "Which type of document").
    cited_types: float = 0.15
    # Added to the articles of the corpus folder's documents when collections are indexed
    # beside them: the codes a dev question asks about then compete with decrees and laws
    # that restate them. National dev MRR 0.547 -> 0.586, train half of the pairs unchanged
    # (0.5: dev 0.626, train -0.005); docs: "The core corpus first".
    core: float = 0.2
    # Added to the articles that state a figure of the kind the question asks for ("bao nhiêu
    # giờ": hours): the limit of overtime hours, not the overtime pay rate.
    figures: float = 0.2
    # Times the share of a crime's name the question holds, when it asks about a penalty:
    # dev MRR 0.703 -> 0.704, held-out pairs 0.432 -> 0.434, first citation on
    # eval/facts.jsonl 84.6% -> 88.5% (0.6 measured the same).
    crimes: float = 0.3
    # Added to the articles headed by the one side of a relation the question names, taken
    # from the other side's: "Nghĩa vụ của người sử dụng lao động", not "... của người lao
    # động". Dev and held-out unchanged (8 and 19 questions fire); 0.5 moved three held-out
    # pairs down.
    parties: float = 0.3
    # The depth of the dense search and of the units' normalisation (read when the retriever
    # is built), and of the articles' BM25 normalisation.
    candidates: int = 200
    article_candidates: int = 100
    units_per_article: int = 2

    def of(self, signal: str) -> float:
        """The weight of the signal named ``signal``."""
        if signal == "dense":
            return 1 - self.lexical
        if signal not in _WEIGHTED:
            raise KeyError(f"no fusion weight for the signal {signal!r}")
        return float(getattr(self, signal))


@dataclass
class Fused:
    units: Scores  # per row, -inf where the filters exclude it
    articles: Scores  # per article position, -inf for articles with no allowed unit
    features: dict[str, Scores]  # each signal's raw scores, by name
    # The rescaled scores of the ``normalised`` signals (as their weights multiply them), and
    # the raw ones of the others: what a second stage reads.
    terms: dict[str, Scores]


def fuse(
    weighted: Iterable[tuple[Signal, float]], question: Question, index: LoadedIndex, weights: FusionWeights
) -> Fused:
    """Every signal scored once for ``question`` and summed with its weight."""
    features: dict[str, Scores] = {}
    terms: dict[str, Scores] = {}
    units = np.zeros(len(index.rows), dtype=np.float32)
    article_terms: list[Scores] = []
    for signal, weight in weighted:
        raw = features[signal.name] = signal.scores(question)
        depth = weights.candidates if signal.level == "unit" else weights.article_candidates
        scaled = terms[signal.name] = top_norm(raw, depth) if signal.normalised else raw
        if not weight:
            continue
        term = weight * scaled
        if signal.level == "unit":
            units = units + term
        else:
            article_terms.append(term)
    units = np.where(question.allowed, units, -np.inf).astype(np.float32)
    articles = np.full(len(index.article_keys), -np.inf, dtype=np.float32)
    np.maximum.at(articles, index.article_of_row, units)
    for term in article_terms:
        articles = articles + term
    return Fused(units, articles, features, terms)
