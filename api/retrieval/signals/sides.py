"""Which side of a relation the question names: the articles headed by that side's rights or
duties, not its counterpart's (``api.retrieval.parties``)."""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import numpy.typing as npt

from api.retrieval.parties import Parties
from api.retrieval.question import Question
from api.retrieval.scores import Scores
from api.retrieval.signals.base import Level


class HeadedSides:
    """The articles whose headings state one side's rights or duties, by side."""

    name = "parties"
    level: Level = "article"
    normalised = False

    def __init__(self, parties: Parties, headings: Iterable[tuple[int, str]], articles: int) -> None:
        """``headings``: (article position, heading), one per article (a repeated position
        only lists it again)."""
        self.parties = parties
        self.size = articles
        self.by_side: dict[tuple[int, int], list[int]] = {}
        for position, heading in headings:
            named = parties.owners(heading)
            for pair, side in named:
                if (pair, 1 - side) not in named:
                    self.by_side.setdefault((pair, side), []).append(position)

    def focus(self, question: str) -> npt.NDArray[np.float32]:
        """1 for the articles headed by a side the question names alone, -1 for those headed by
        its counterpart, 0 elsewhere."""
        shares = np.zeros(self.size, dtype=np.float32)
        named = self.parties.named(question)
        for pair, side in named:
            if (pair, 1 - side) not in named:
                shares[self.by_side.get((pair, side), [])] = 1.0
                shares[self.by_side.get((pair, 1 - side), [])] = -1.0
        return shares

    def scores(self, question: Question) -> Scores:
        return self.focus(question.query)
