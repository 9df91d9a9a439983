"""``python -m api.eval.facts eval/facts.jsonl``: how often ``/ask`` answers a question that
states a fact (an amount, an age, a duration, a percentage) from the provision that applies
to it, and states the figure asked for.

Each line: {"question", "doc_id", "article", "path": [[kind, num], ...] (below the article),
"figure", "kind"?}. An answer counts as applicable when its first citation lies in that
provision; as stating the figure when its text contains ``figure`` (spacing ignored).
"""

from __future__ import annotations

import json
import sys
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

import typer

from api.answering.answer import Abstention, answer
from api.retrieval.retriever import Retriever
from api.service.holder import open_retriever
from api.service.settings import get_settings
from ingest.sources.jsonl import read_jsonl
from ingest.structure.units import Unit

app = typer.Typer(add_completion=False)


@dataclass(frozen=True)
class FactCase:
    id: str
    question: str
    doc_id: str
    article: str
    path: tuple[tuple[str, str], ...]
    figure: str
    kind: str = ""


def read_fact_cases(path: Path) -> list[FactCase]:
    def case(n: int, row: dict[str, Any]) -> FactCase:
        return FactCase(
            id=str(row.get("id", n)),
            question=row["question"],
            doc_id=row["doc_id"],
            article=str(row["article"]),
            path=tuple((str(k), str(v)) for k, v in row["path"]),
            figure=row["figure"],
            kind=row.get("kind", ""),
        )

    try:
        return read_jsonl(path, case)
    except ValueError as exc:
        raise typer.BadParameter(str(exc)) from exc


def applicable(case: FactCase, unit: Unit) -> bool:
    """Whether ``unit`` lies in the provision the case expects."""
    if unit.doc_id != case.doc_id or unit.article != case.article:
        return False
    below = unit.path[unit.path.index(("dieu", case.article)) + 1 :]
    return below[: len(case.path)] == case.path


def states(text: str, figure: str) -> bool:
    return " ".join(figure.split()).casefold() in " ".join(text.split()).casefold()


def evaluate_facts(retriever: Retriever, cases: list[FactCase], abstention: Abstention) -> dict[str, Any]:
    rows = []
    for case in cases:
        result = answer(retriever, case.question, abstention=abstention)
        first = result.cited[0].unit if result.cited else None
        rows.append(
            {
                "id": case.id,
                "kind": case.kind,
                "question": case.question,
                "applicable": first is not None and applicable(case, first),
                "figure": states(result.text, case.figure),
                "abstained": result.abstained,
                "first": first.label if first else None,
                "answer": result.text,
            }
        )
    by_kind: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for row in rows:
        by_kind[str(row["kind"] or "-")].append(row)
    return {
        "overall": _shares(rows),
        "per_kind": {kind: _shares(r) for kind, r in sorted(by_kind.items())},
        "rows": rows,
    }


def _shares(rows: list[dict[str, Any]]) -> dict[str, float]:
    n = max(1, len(rows))
    return {
        "n": len(rows),
        "applicable_first": sum(r["applicable"] for r in rows) / n,
        "figure_in_answer": sum(r["figure"] for r in rows) / n,
        "abstained": sum(r["abstained"] for r in rows) / n,
    }


def _print(report: dict[str, Any], verbose: bool) -> None:
    def row(name: str, m: dict[str, float]) -> str:
        return (f"{name:10} n={int(m['n']):3d}  first citation applicable {m['applicable_first']:.1%}  "
                f"figure in answer {m['figure_in_answer']:.1%}  abstained {m['abstained']:.1%}")  # fmt: skip

    print(row("overall", report["overall"]))
    for kind, m in report["per_kind"].items():
        print(row(kind, m))
    misses = [r for r in report["rows"] if not (r["applicable"] and r["figure"])]
    print(f"\nmisses: {len(misses)}")
    for r in misses:
        flags = f"{'' if r['applicable'] else 'provision '}{'' if r['figure'] else 'figure'}".strip()
        print(f"  [{r['id']}] {flags}: first={r['first']}  {r['question']}")
        if verbose:
            print("    " + r["answer"].replace("\n", "\n    "))


@app.command()
def main(
    file: Annotated[Path, typer.Argument(help="Question set (.jsonl)")],
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = False,
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Print the answers of misses.")] = False,
) -> None:
    """Applicable-provision and figure shares of ``/ask`` answers on a question set."""
    if not file.is_file():
        raise typer.BadParameter(f"{file}: no such file")
    cases = read_fact_cases(file)
    settings = get_settings()
    report = evaluate_facts(
        open_retriever(settings),
        cases,
        settings.abstention,
    )
    if as_json:
        json.dump(report, sys.stdout, ensure_ascii=False, indent=1)
    else:
        _print(report, verbose)


if __name__ == "__main__":
    app()
