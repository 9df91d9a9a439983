"""``python -m api.calibrate ANSWERABLE.jsonl OUT_OF_CORPUS.jsonl``: choose the abstention
thresholds from data, and report how often each set abstains with the current ones.

The rule abstains unless both the best unit's dense similarity and its BM25 score reach their
thresholds. The chosen pair abstains on as many out-of-corpus questions as possible while
abstaining on at most ``--max-false`` of the answerable ones.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import numpy as np
import typer

from .answer import Abstention, supported
from .retrieve import SearchResult
from .settings import get_settings
from .state import open_retriever

app = typer.Typer(add_completion=False)


def _questions(path: Path) -> list[str]:
    lines = path.read_text(encoding="utf-8").splitlines()
    return [json.loads(line)["question"] for line in lines if line.strip()]


def _rate(results: list[SearchResult], rule: Abstention) -> float:
    return sum(not supported(r, rule) for r in results) / max(1, len(results))


@app.command()
def main(
    answerable: Annotated[Path, typer.Argument(help="Questions the corpus answers (.jsonl)")],
    out_of_corpus: Annotated[Path, typer.Argument(help="Questions it does not (.jsonl)")],
    max_false: Annotated[float, typer.Option(help="Highest abstention rate on answerable ones")] = 0.06,
) -> None:
    retriever = open_retriever()

    good = [retriever.search(q, top_k=10) for q in _questions(answerable)]
    bad = [retriever.search(q, top_k=10) for q in _questions(out_of_corpus)]
    settings = get_settings()
    current = Abstention(settings.abstain_min_dense, settings.abstain_min_lexical)
    print(f"current {current}: abstains on {_rate(good, current):.1%} of answerable, "
          f"{_rate(bad, current):.1%} of out-of-corpus")  # fmt: skip
    best: tuple[float, float, Abstention] | None = None
    for dense in np.arange(0.80, 0.92, 0.0025):
        for lexical in np.arange(0.0, 12.0, 0.25):
            rule = Abstention(round(float(dense), 4), float(lexical))
            false, true = _rate(good, rule), _rate(bad, rule)
            if false <= max_false and (best is None or (true, -false) > (best[0], -best[1])):
                best = (true, false, rule)
    if best is None:
        print("no threshold keeps answerable abstentions under the limit")
        raise typer.Exit(1)
    true, false, rule = best
    print(f"chosen {rule}: abstains on {false:.1%} of answerable, {true:.1%} of out-of-corpus")
    print(f"set VNLAW_ABSTAIN_MIN_DENSE={rule.min_dense} VNLAW_ABSTAIN_MIN_LEXICAL={rule.min_lexical}")


if __name__ == "__main__":
    app()
