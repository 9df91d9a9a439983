"""The dense channel: cosine similarity of each unit's e5 vector to the question's."""

from __future__ import annotations

import numpy as np

from api.retrieval.index import LoadedIndex
from api.retrieval.question import Question
from api.retrieval.scores import Scores
from api.retrieval.signals.base import Level


class Dense:
    name = "dense"
    level: Level = "unit"
    normalised = True

    def __init__(self, index: LoadedIndex, depth: int) -> None:
        self.index = index
        self.depth = depth  # FusionWeights.candidates: normalisation clips below this rank

    def scores(self, question: Question) -> Scores:
        """Cosine similarity of every allowed unit (-1 for the others); outside the best
        ``depth`` only the floor matters, so FAISS answers the unfiltered case."""
        allowed = question.allowed
        if not allowed.all():
            return np.where(allowed, self.index.vectors @ question.vector, -1.0).astype(np.float32)
        k = min(self.depth, len(allowed))
        found, ids = self.index.dense.search(question.vector[None, :], k)
        dense = np.full(len(allowed), found[0, -1], dtype=np.float32)
        dense[ids[0]] = found[0]
        return dense
