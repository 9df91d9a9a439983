"""Earlier questions: the articles cited by the answers to the nearest questions asked before."""

from __future__ import annotations

import numpy as np

from api.retrieval.index import LoadedIndex
from api.retrieval.qamemory import QaMemory
from api.retrieval.question import Question
from api.retrieval.scores import Scores
from api.retrieval.signals.base import Level


class EarlierQuestions:
    """Per article, its share of the nearest earlier questions' votes (``api.retrieval.qamemory``),
    scaled so the most voted indexed article scores 1."""

    name = "memory"
    level: Level = "article"
    normalised = False

    def __init__(self, index: LoadedIndex, memory: QaMemory) -> None:
        self.memory = memory
        self.size = len(index.article_keys)
        self.article_at = {
            (u.doc_id, u.article): int(a)
            for u, a in zip(index.rows, index.article_of_row, strict=True)
            if u.article is not None and not u.borrowed
        }

    def scores(self, question: Question) -> Scores:
        votes = np.zeros(self.size, dtype=np.float32)
        for weight, cited in self.memory.nearest(question.vector):
            # Shared among the cited articles this index holds: on the bundled index, a
            # question citing one code article and three decrees votes for that article alone.
            held = [p for p in (self.article_at.get(a) for a in cited) if p is not None]
            for position in held:
                votes[position] += weight / len(held)
        top = float(votes.max())
        return votes / top if top > 0 else votes
