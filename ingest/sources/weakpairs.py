"""Public Q&A pairs with weak labels (``qa_pairs_weak.jsonl``): every provision a published
answer cites. One line: ``{"question", "cited": [{"doc_id", "article", "clause", "point",
"in_collection"}]}``.

The pairs are split once, by a hash of the question text, into a train part (vocabularies and
priors are built from it) and a held-out part (only ever measured). The hash, not a random
draw, decides, so the split is the same on every machine and a question never changes side.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import typer

from ingest.sources.jsonl import read_jsonl
from ingest.text.normalize import display_form

Split = Literal["train", "heldout"]


@dataclass(frozen=True)
class Citation:
    doc_id: str
    article: str
    # The clause and point the answer quotes, when it names them (``api.eval.clauses``).
    clause: str | None = None
    point: str | None = None


@dataclass(frozen=True)
class Pair:
    question: str
    cited: tuple[Citation, ...]  # in the order the answer cites them

    @property
    def key(self) -> str:
        return question_key(self.question)

    @property
    def split(self) -> Split:
        return split_of(self.question)


def question_key(question: str) -> str:
    """A short stable id of a question: sha256 of its NFC, stripped text, 12 hex digits."""
    return hashlib.sha256(display_form(question).strip().encode("utf-8")).hexdigest()[:12]


def split_of(question: str) -> Split:
    """Half the questions are held out: those whose key ends in an odd hex digit."""
    return "heldout" if int(question_key(question)[-1], 16) % 2 else "train"


def read_pairs(path: Path) -> list[Pair]:
    def pair(_: int, row: dict[str, Any]) -> Pair:
        cited = tuple(
            Citation(str(c["doc_id"]), str(c["article"]), _named(c.get("clause")), _named(c.get("point")))
            for c in row["cited"]
        )
        return Pair(display_form(row["question"]).strip(), cited)

    return read_jsonl(path, pair)


def _named(value: object) -> str | None:
    return None if value is None else str(value)


def in_split(pairs: Iterable[Pair], split: Split) -> list[Pair]:
    return [p for p in pairs if p.split == split]


def train_pairs(file: Path) -> list[Pair]:
    """The train half of a pairs file, for a command line: a bad file is a usage error."""
    if not file.is_file():
        raise typer.BadParameter(f"{file}: no such file")
    try:
        return in_split(read_pairs(file), "train")
    except ValueError as exc:
        raise typer.BadParameter(str(exc)) from exc
