"""The kind of figure asked for: "bao nhiêu giờ" asks for the limit of hours, not a pay rate."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from api.retrieval.index import LoadedIndex
from api.retrieval.question import Question
from api.retrieval.scores import Scores
from api.retrieval.signals.base import Level


class FiguresAsked:
    """1 for the articles stating a figure of a kind the question asks for (read at ingest,
    ``Unit.figures``), else 0."""

    name = "figures"
    level: Level = "article"
    normalised = False

    def __init__(self, index: LoadedIndex) -> None:
        self.size = len(index.article_keys)
        self.stating: dict[str, npt.NDArray[np.bool_]] = {}  # kind of figure → articles stating one
        for unit, position in zip(index.rows, index.article_of_row, strict=True):
            for kind in unit.figures:
                self.stating.setdefault(kind, np.zeros(self.size, dtype=bool))[position] = True

    def scores(self, question: Question) -> Scores:
        stating = [self.stating[kind] for kind in question.figure_kinds if kind in self.stating]
        if not stating:
            return np.zeros(self.size, dtype=np.float32)
        flags: Scores = np.logical_or.reduce(stating).astype(np.float32)
        return flags
