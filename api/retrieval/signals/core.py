"""The core corpus first: the corpus folder's codes before the collections that restate them."""

from __future__ import annotations

from collections.abc import Collection

import numpy as np

from api.retrieval.index import LoadedIndex
from api.retrieval.question import Question
from api.retrieval.scores import Scores
from api.retrieval.signals.base import Level


class CoreCorpus:
    """1 for the articles of the corpus folder's documents when collections are indexed beside
    them, else 0. The same for every question."""

    name = "core"
    level: Level = "article"
    normalised = False

    def __init__(self, index: LoadedIndex, core: Collection[str]) -> None:
        in_core = np.isin(index.doc_ids, list(core))[index.article_doc]
        # Only against other documents: over the corpus folder alone it would lift every score.
        self.flags: Scores = np.where(in_core.all(), False, in_core).astype(np.float32)

    def scores(self, question: Question) -> Scores:
        return self.flags
