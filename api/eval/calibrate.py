"""``python -m api.eval.calibrate --answerable A.jsonl --out-of-corpus B.jsonl``: choose the
abstention thresholds from data, and report how often each file abstains.

The rule (``api.answering.answer.supported``) answers when the best unit's cosine reaches ``min_dense``
and beats the nearest outside topic's by ``min_margin``, and its article's heading comes
within ``min_subject`` of that topic. The pair ``min_dense``, ``min_margin`` is chosen first,
then ``min_subject`` with it; each abstains on as many out-of-corpus questions as possible
while abstaining on at most ``--max-false`` of the answerable ones. Choosing on half of each
set and scoring the other half estimates how the thresholds do on questions they were not
chosen on.
"""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from typing import Annotated

import numpy as np
import typer

from api.answering.answer import Abstention, supported
from api.eval.articles import indexed_cases, is_weak
from api.retrieval.retriever import Retriever, SearchResult
from api.service.holder import open_retriever
from api.service.settings import get_settings
from ingest.sources.weakpairs import in_split, read_pairs

app = typer.Typer(add_completion=False)
DENSE_GRID = np.arange(0.78, 0.92, 0.0025)
MARGIN_GRID = np.arange(-0.10, 0.10, 0.0025)
SUBJECT_GRID = np.arange(-0.10, 0.05, 0.005)


def _questions(path: Path, retriever: Retriever) -> list[str]:
    """A question set's questions; of weak Q&A pairs, the held-out ones whose cited articles
    the index holds (the national index answers them, the bundled one only a few)."""
    if is_weak(path):
        return [c.question for c in indexed_cases(retriever, in_split(read_pairs(path), "heldout"))]
    lines = path.read_text(encoding="utf-8").splitlines()
    return [json.loads(line)["question"] for line in lines if line.strip()]


def _rate(results: list[SearchResult], rule: Abstention) -> float:
    return sum(not supported(r, rule) for r in results) / max(1, len(results))


def _best(
    rules: list[Abstention], good: list[SearchResult], bad: list[SearchResult], max_false: float
) -> Abstention | None:
    best: tuple[float, float, Abstention] | None = None
    for rule in rules:
        false, true = _rate(good, rule), _rate(bad, rule)
        if false <= max_false and (best is None or (true, -false) > (best[0], -best[1])):
            best = (true, false, rule)
    return best[2] if best else None


def choose(good: list[SearchResult], bad: list[SearchResult], max_false: float) -> Abstention | None:
    pairs = [Abstention(round(float(d), 4), round(float(m), 4)) for d in DENSE_GRID for m in MARGIN_GRID]
    pair = _best(pairs, good, bad, max_false)
    if pair is None:
        return None
    rules = [replace(pair, min_subject=round(float(s), 4)) for s in SUBJECT_GRID]
    return _best([pair, *rules], good, bad, max_false)


@app.command()
def main(
    answerable: Annotated[
        list[Path], typer.Option(help="Questions the corpus answers (.jsonl; weak Q&A pairs: held-out part)")
    ],
    out_of_corpus: Annotated[list[Path], typer.Option(help="Questions it does not (.jsonl)")],
    max_false: Annotated[float, typer.Option(help="Highest abstention rate on answerable ones")] = 0.05,
) -> None:
    retriever = open_retriever()
    paths = answerable + out_of_corpus
    results = {p: [retriever.search(q, top_k=10) for q in _questions(p, retriever)] for p in paths}
    good = [r for p in answerable for r in results[p]]
    bad = [r for p in out_of_corpus for r in results[p]]
    settings = get_settings()
    current = settings.abstention.for_units(len(retriever.index.rows))
    rule = choose(good, bad, max_false)
    if rule is None:
        print("no thresholds keep answerable abstentions under the limit")
        raise typer.Exit(1)
    for name, r in (("current", current), ("chosen", rule)):
        print(f"{name} {r}:")
        for path, found in results.items():
            print(f"  abstains on {_rate(found, r):6.1%} of {path} ({len(found)})")
    halves = [(choose(good[i::2], bad[i::2], max_false), good[1 - i :: 2], bad[1 - i :: 2]) for i in (0, 1)]
    held = [(_rate(g, r), _rate(b, r)) for r, g, b in halves if r is not None]
    if held:
        print(
            f"chosen on one half, scored on the other: abstains on {np.mean([h[0] for h in held]):.1%} "
            f"of answerable, {np.mean([h[1] for h in held]):.1%} of out-of-corpus"
        )
    # An index of the national collection's size is judged by the large-index thresholds.
    env = (
        "VNLAW_ABSTAIN_LARGE_MIN"
        if len(retriever.index.rows) >= settings.abstain_large_from
        else "VNLAW_ABSTAIN_MIN"
    )
    print(f"set {env}_DENSE={rule.min_dense} {env}_MARGIN={rule.min_margin} {env}_SUBJECT={rule.min_subject}")


if __name__ == "__main__":
    app()
