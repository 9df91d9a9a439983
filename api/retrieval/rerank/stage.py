"""The second stage: reorders the first stage's best articles, as Vespa's second phase
re-ranks the best hits of the first.

Two kinds: the learned combination shipped with the project (a LightGBM ranker over
``features.FEATURES``, trained by ``python -m api.eval.train_ranker``), and any
sentence-transformers cross-encoder a deployment names (a hub id or a local folder), added to
the first stage's order. Both only reorder: the candidates are the first stage's.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import numpy.typing as npt

from api.retrieval.fusion import Fused
from api.retrieval.question import Question
from api.retrieval.rerank.features import FEATURES, ArticleFeatures, Positions
from ingest.errors import IngestError

Floats = npt.NDArray[np.float64]
DATA = Path(__file__).parent.parent / "data"
RANKER_FILE = DATA / "ranker.lgb.txt"


class SecondStage(Protocol):
    # Recorded with every ranking it makes (``SearchResult.ranking``): which model ordered it.
    id: str
    depth: int  # how many of the first stage's best articles it reorders

    def scores(self, question: Question, fused: Fused, articles: Positions, view: ArticleFeatures) -> Floats:
        """One score per article of ``articles`` (first-stage candidates), higher first."""
        ...


def model_card(model: Path) -> Path:
    return model.with_suffix(".json")


def file_digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@dataclass
class LearnedRanker:
    """A LightGBM ranker over ``FEATURES``; its card (``ranker.lgb.json`` beside it) holds the
    checksum the file must match, the features in order and how it was trained."""

    booster: Any  # lightgbm.Booster: lightgbm ships no type hints
    id: str
    depth: int

    @classmethod
    def load(cls, model: Path = RANKER_FILE) -> LearnedRanker:
        import lightgbm  # only deployments that rerank pay for loading it

        try:
            card = json.loads(model_card(model).read_text(encoding="utf-8"))
            digest = file_digest(model)
        except (OSError, ValueError) as exc:
            raise IngestError(f"cannot read the ranker {model}: {exc}") from exc
        if digest != card.get("sha256"):
            raise IngestError(f"the ranker {model} does not match its card's checksum")
        if tuple(card.get("features", ())) != FEATURES:
            raise IngestError(f"the ranker {model} was trained on other features than this version computes")
        booster = lightgbm.Booster(model_file=str(model))
        return cls(booster, f"lgbm-{digest[:12]}", int(card["depth"]))

    def scores(self, question: Question, fused: Fused, articles: Positions, view: ArticleFeatures) -> Floats:
        matrix = view.matrix(question, fused, articles)
        # One thread: requests already run side by side, one per core.
        predicted: Floats = self.booster.predict(matrix, num_threads=1)
        return predicted


@dataclass
class CrossEncoderRanker:
    """A cross-encoder's relevance of (question, heading and best clause) for each candidate,
    standardised over the candidates and added to the standardised first-stage score times
    ``weight``: cross-encoders read the wording closely but know nothing of the priors."""

    model: Any  # sentence_transformers.CrossEncoder
    id: str
    depth: int
    weight: float = 1.0

    @classmethod
    def load(cls, name: str, depth: int, weight: float) -> CrossEncoderRanker:
        from sentence_transformers import CrossEncoder

        try:
            model = CrossEncoder(name, device="cpu", max_length=256)
        except (OSError, ValueError) as exc:
            raise IngestError(f"cannot load the cross-encoder {name!r}: {exc}") from exc
        return cls(model, f"cross-encoder:{name}", depth, weight)

    def scores(self, question: Question, fused: Fused, articles: Positions, view: ArticleFeatures) -> Floats:
        rows = view.index.rows
        passages = []
        for article in articles:
            units = view.rows_of(int(article))
            units = units[question.allowed[units]]
            unit = rows[int(units[np.argmax(fused.units[units])])]  # candidates have allowed units
            passages.append(f"{unit.heading}\n{unit.text}")
        relevance = np.asarray(self.model.predict([(question.asked, p) for p in passages]), dtype=np.float64)
        first = fused.articles[articles].astype(np.float64)
        return _standard(first) + self.weight * _standard(relevance)


def _standard(x: Floats) -> Floats:
    spread = float(x.std())
    return (x - x.mean()) / spread if spread > 1e-9 else np.zeros_like(x)
