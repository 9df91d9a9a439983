"""Which type of document answers cite: laws and decrees, seldom the circulars below them."""

from __future__ import annotations

from collections import Counter

import numpy as np

from api.retrieval.docprior import DocPrior
from api.retrieval.index import LoadedIndex
from api.retrieval.question import Question
from api.retrieval.scores import Scores
from api.retrieval.signals.base import Level


class CitedTypes:
    """Per article, the log of how often answers cite its type of document relative to the
    most cited type (``DocPrior.type_rates``): 0 for laws, below 0 for circulars. The same for
    every question."""

    name = "cited_types"
    level: Level = "article"
    normalised = False

    def __init__(self, index: LoadedIndex, prior: DocPrior) -> None:
        types = {d: doc.meta.doc_type or "" for d, doc in index.documents.items()}
        articles = Counter(index.doc_ids[p] for p in index.article_doc)
        rates = prior.type_rates(types, articles)
        per_doc = np.array([rates[types[d]] for d in index.doc_ids], dtype=np.float32)
        self.rates: Scores = per_doc[index.article_doc]

    def scores(self, question: Question) -> Scores:
        return self.rates
