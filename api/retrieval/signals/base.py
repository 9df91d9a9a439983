"""What a ranking signal is: a named feature of each article (or unit) for one question.

The same features are summed by hand-set weights in the first stage
(``api.retrieval.fusion``) and can be read by a learned second stage, as Vespa's rank profiles
read named features in both phases. A signal prepares what it needs from the index once, when
the retriever is built, and then scores a question in one pass.
"""

from __future__ import annotations

from typing import Literal, Protocol

from api.retrieval.question import Question
from api.retrieval.scores import Scores

Level = Literal["unit", "article"]


class Signal(Protocol):
    # The name the fusion weights use (``FusionWeights.of``).
    name: str
    # "unit": one score per searchable unit (row), folded into articles by their best unit;
    # "article": one score per article position of the index.
    level: Level
    # Raw channel scores (BM25, cosines) are rescaled per question before they are weighed;
    # the priors are on a fixed scale already.
    normalised: bool

    def scores(self, question: Question) -> Scores:
        """One score per unit or article of the index (by ``level``)."""
        ...
