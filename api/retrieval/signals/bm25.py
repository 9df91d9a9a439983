"""Lexical channels: BM25 over underthesea words, of each unit and of each whole article."""

from __future__ import annotations

import bm25s
import numpy as np

from api.retrieval.question import Question
from api.retrieval.scores import Scores
from api.retrieval.signals.base import Level


class BM25:
    normalised = True

    def __init__(self, name: str, level: Level, model: bm25s.BM25, vocab: dict[str, int], size: int) -> None:
        self.name = name
        self.level = level
        self.model = model
        self.vocab = vocab
        self.size = size

    def scores(self, question: Question) -> Scores:
        known = [t for t in question.tokens if t in self.vocab]
        if not known:
            return np.zeros(self.size, dtype=np.float32)
        return np.asarray(self.model.get_scores(known), dtype=np.float32)
