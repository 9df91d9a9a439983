"""``python -m api.eval.train_ranker``: the learned second stage, fitted on the train half of
the weak pairs and the training-only extra pairs, over one or more built indexes.

Each question gives one group: the first stage's ``depth`` best articles with their
``FEATURES``, labelled 1 where the published answer cites the article. The document prior and
the earlier-questions memory were learned from the train half itself, so a train question
would find itself there: its features come from priors learned on the rest of the train half
(five folds by question hash), as they would for a question never seen. A tenth of the
groups (by hash again) is held out and scored, first stage against second, on the card.
Deterministic: counts, a fixed seed and LightGBM's deterministic mode give the same file on
every run.
"""

from __future__ import annotations

import itertools
import json
import logging
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any

import numpy as np
import numpy.typing as npt
import typer

from api.retrieval.docprior import DocPrior
from api.retrieval.qamemory import QaMemory
from api.retrieval.question import STOPWORDS
from api.retrieval.rerank.features import FEATURES, Matrix
from api.retrieval.rerank.stage import RANKER_FILE, file_digest, model_card
from api.retrieval.retriever import Retriever
from api.service.holder import IndexHolder, load_memory, make_retriever
from api.service.settings import Settings
from ingest.embedding.embed import Embedder
from ingest.errors import IngestError
from ingest.sources.weakpairs import Pair, in_split, read_pairs
from ingest.text.segment import tokenize

log = logging.getLogger(__name__)
SEED = 131
PARAMS: dict[str, Any] = {
    "objective": "lambdarank",
    "metric": "ndcg",
    "eval_at": [1, 5],
    "learning_rate": 0.05,
    "num_leaves": 15,
    "min_data_in_leaf": 40,
    "feature_fraction": 0.8,
    "bagging_fraction": 0.8,
    "bagging_freq": 1,
    "lambda_l2": 1.0,
    "seed": SEED,
    "deterministic": True,
    "force_row_wise": True,
    "num_threads": 2,
    "verbosity": -1,
}
# Five-fold cross-validation over the train groups (docs/experiments.md): 400 rounds beat
# early stopping on a tenth (R@1 .705 against .680) and 100 or 200; 800 measured as 400.
ROUNDS = 400


@dataclass
class Groups:
    """Feature rows of many questions' candidates, question after question."""

    rows: list[Matrix] = field(default_factory=list)
    labels: list[npt.NDArray[np.float32]] = field(default_factory=list)
    keys: list[str] = field(default_factory=list)
    unusable: int = 0  # questions none of whose cited articles is among their candidates

    def add(self, key: str, rows: Matrix, labels: npt.NDArray[np.float32]) -> None:
        if not labels.any():
            self.unusable += 1
            return
        self.rows.append(rows)
        self.labels.append(labels)
        self.keys.append(key)

    def extend(self, other: Groups) -> None:
        self.rows += other.rows
        self.labels += other.labels
        self.keys += other.keys
        self.unusable += other.unusable

    def select(self, keep: list[bool]) -> tuple[Matrix, npt.NDArray[np.float32], list[int]]:
        chosen = [i for i, k in enumerate(keep) if k]
        if not chosen:
            return np.zeros((0, len(FEATURES)), np.float32), np.zeros(0, np.float32), []
        rows = np.concatenate([self.rows[i] for i in chosen])
        labels = np.concatenate([self.labels[i] for i in chosen])
        return rows, labels, [len(self.labels[i]) for i in chosen]


def add_groups(groups: Groups, retriever: Retriever, pairs: list[Pair], depth: int) -> None:
    """One group per pair citing an article ``retriever``'s index holds."""
    index = retriever.index
    article_of: list[tuple[str, str | None]] = [("", None)] * len(index.article_keys)
    for unit, article in zip(index.rows, index.article_of_row, strict=True):
        # Borrowed articles are another law's: a citation of their number is not one of them.
        article_of[int(article)] = (unit.doc_id, None if unit.borrowed else unit.article)
    indexed = set(article_of)
    for pair in pairs:
        cited = {(c.doc_id, c.article) for c in pair.cited} & indexed
        if not cited:
            continue
        q = retriever.analyse(pair.question)
        fused = retriever.fused(q)
        candidates = retriever.first_candidates(fused, depth)
        labels = np.array([article_of[int(a)] in cited for a in candidates], dtype=np.float32)
        groups.add(pair.key, retriever.candidates.matrix(q, fused, candidates), labels)


FOLDS = 5


def fold_of(pair: Pair) -> int:
    # The split reads the key's last digit; the folds read the two before it.
    return int(pair.key[-3:-1], 16) % FOLDS


def fold_retrievers(
    settings: Settings, base: Retriever, memory: QaMemory | None, train: list[Pair]
) -> list[Retriever]:
    """Per fold, a retriever whose prior and memory were learned from the other folds only."""
    retrievers = []
    for fold in range(FOLDS):
        other = [p for p in train if fold_of(p) != fold]
        prior = DocPrior.learn(other, lambda q: [t for t in tokenize(q) if t not in STOPWORDS])
        fold_memory = None
        if memory is not None:
            asked = {p.question for p in other}
            keep = [i for i, q in enumerate(memory.questions) if q in asked]
            fold_memory = QaMemory(
                [memory.questions[i] for i in keep], [memory.cited[i] for i in keep], memory.vectors[keep]
            )
        retrievers.append(make_retriever(settings, base.index, base.embedder, None, prior, fold_memory, None))
    return retrievers


def collect(settings: Settings, pairs: Path, extra: Path | None, depth: int) -> Groups:
    """The groups of the train half of ``pairs`` and of all of ``extra`` over ``settings``' index."""
    embedder = Embedder.from_settings(settings)
    memory = load_memory(settings, embedder)
    holder = IndexHolder(settings, embedder, None, memory)
    if not holder.refresh():
        raise IngestError(f"no index in {settings.index_dir}; build it first")
    base = holder.require()
    train = in_split(read_pairs(pairs), "train")
    groups = Groups()
    for fold, retriever in enumerate(fold_retrievers(settings, base, memory, train)):
        add_groups(groups, retriever, [p for p in train if fold_of(p) == fold], depth)
    if extra is not None:
        add_groups(groups, base, read_pairs(extra), depth)
    return groups


def fit(groups: Groups, out: Path, depth: int, sources: dict[str, Any]) -> dict[str, Any]:
    """Boost a LambdaMART ranker on ``groups``, write it to ``out`` with its card."""
    import lightgbm

    valid = [int(k[:2], 16) % 10 == 0 for k in groups.keys]
    x, y, sizes = groups.select([not v for v in valid])
    vx, vy, vsizes = groups.select(valid)
    if not sizes or not vsizes:
        raise IngestError("too few usable questions to train and validate a ranker")
    start = time.perf_counter()
    data = lightgbm.Dataset(x, y, group=sizes, feature_name=list(FEATURES), free_raw_data=False)
    booster = lightgbm.train(PARAMS, data, ROUNDS)
    out.parent.mkdir(parents=True, exist_ok=True)
    booster.save_model(str(out))
    card = {
        "sha256": file_digest(out),
        "features": list(FEATURES),
        "depth": depth,
        "seed": SEED,
        "params": PARAMS,
        "rounds": ROUNDS,
        # Of the held tenth: how often the best candidate is a cited article, first stage and
        # second; the shipped file is the one scored here.
        "validation_r1": {
            "first_stage": _r1(vx[:, FEATURES.index("fused")], vy, vsizes),
            "second_stage": _r1(booster.predict(vx), vy, vsizes),
        },
        "groups": {"train": len(sizes), "validation": len(vsizes), "unusable": groups.unusable},
        "sources": sources,
        "seconds": round(time.perf_counter() - start, 1),
    }
    model_card(out).write_text(json.dumps(card, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    return card


def _r1(scores: npt.ArrayLike, labels: npt.NDArray[np.float32], sizes: list[int]) -> float:
    scored = np.asarray(scores, dtype=np.float64)
    starts = np.concatenate([[0], np.cumsum(sizes)])
    hits = [labels[a + int(np.argmax(scored[a:b]))] > 0 for a, b in itertools.pairwise(starts)]
    return round(float(np.mean(hits)), 4)


app = typer.Typer(add_completion=False)


@app.command()
def main(
    pairs: Annotated[Path, typer.Argument(help="Weak Q&A pairs (qa_pairs_weak.jsonl): its train half")],
    index_dir: Annotated[list[Path], typer.Option("--index", help="An index folder (repeat for several).")],
    extra: Annotated[Path | None, typer.Option(help="Training-only pairs (qa_pairs_extra.jsonl).")] = None,
    out: Annotated[Path, typer.Option(help="Where to write the ranker.")] = RANKER_FILE,
    depth: Annotated[int, typer.Option(min=2, help="Candidates per question.")] = 30,
) -> None:
    """Train the learned second stage and write it with its card."""
    for path in (pairs, *([extra] if extra else [])):
        if not path.is_file():
            raise typer.BadParameter(f"{path}: no such file")
    groups = Groups()
    sources: dict[str, Any] = {"pairs": pairs.name, "extra": extra.name if extra else None, "indexes": {}}
    try:
        for folder in index_dir:
            before = len(groups.keys)
            found = collect(Settings(index_dir=folder, rerank="off"), pairs, extra, depth)
            groups.extend(found)
            sources["indexes"][str(folder)] = len(groups.keys) - before
            print(f"{folder}: {len(groups.keys) - before} questions with a cited candidate", flush=True)
        card = fit(groups, out, depth, sources)
    except (IngestError, ValueError) as exc:
        raise typer.BadParameter(str(exc)) from exc
    print(f"{out}: {card['rounds']} trees, validation R@1 {card['validation_r1']}, {card['groups']}")


if __name__ == "__main__":
    app()
