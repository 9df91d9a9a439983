"""``python -m api.eval.clauses PAIRS [--split heldout] [--also QA.jsonl ...]``: whether the first
bullet of an ``/ask`` answer quotes the clause a published answer quotes, and how many answers
lead with a bare lead-in.

A weak pair counts when it names a clause ("clause", optionally "point") of an article the
index holds. Its answer's first bullet is *right* when one of the units that bullet quotes lies
in a named clause: the clause itself or one of its points. The share among answers whose first
bullet is in such an article tells clause choice from article choice.

A *bare lead-in* is a first bullet whose quoted text ends with ":" ("... trong trường hợp sau
đây:"): it announces a list and shows none of it. Counted on the pairs and on every ``--also``
set (any JSON Lines with a "question" field: dev, facts).
"""

from __future__ import annotations

import json
import re
import sys
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Annotated, Any

import typer

from api.answering.answer import Abstention, Answer, answer
from api.eval.articles import weak_cases
from api.retrieval.retriever import Retriever
from api.service.holder import open_retriever
from api.service.settings import get_settings
from ingest.sources.jsonl import read_jsonl
from ingest.sources.weakpairs import Pair, in_split, read_pairs
from ingest.structure.units import Unit

app = typer.Typer(add_completion=False)

_MARKERS = re.compile(r"(?:\s*\[\d+\])+\s*$")


@dataclass(frozen=True)
class ClauseCase:
    question: str
    # (doc_id, article, clause, point or None) of every named clause in an indexed article.
    clauses: frozenset[tuple[str, str, str, str | None]]


def clause_cases(pairs: list[Pair], indexed: dict[str, set[str]]) -> list[ClauseCase]:
    """The pairs naming a clause of an article of ``indexed`` (doc_id → articles)."""
    cases = []
    for pair in pairs:
        named = frozenset(
            (c.doc_id, c.article, c.clause, c.point)
            for c in pair.cited
            if c.clause is not None and c.article in indexed.get(c.doc_id, ())
        )
        if named:
            cases.append(ClauseCase(pair.question, named))
    return cases


def clause_of(unit: Unit) -> tuple[str, str, str | None] | None:
    """(doc_id, article, clause) of a unit inside a clause, None for an article body or a unit
    outside any article."""
    if unit.article is None:
        return None
    path = unit.path[unit.path.index(("dieu", unit.article)) + 1 :]
    if not path or path[0][0] != "khoan":
        return None
    return unit.doc_id, unit.article, path[0][1]


def in_named_clause(case: ClauseCase, unit: Unit) -> bool:
    where = clause_of(unit)
    return where is not None and any(c[:3] == where for c in case.clauses)


def in_named_article(case: ClauseCase, unit: Unit) -> bool:
    return any(c[:2] == (unit.doc_id, unit.article) for c in case.clauses)


def first_bullet(text: str) -> str | None:
    """The text of an answer's first bullet, without its label and markers."""
    line = next((ln for ln in text.splitlines() if ln.startswith("- ")), None)
    if line is None:
        return None
    return _MARKERS.sub("", line.partition(": ")[2]).strip()


def bare_lead_in(result: Answer) -> bool:
    bullet = first_bullet(result.text)
    return bullet is not None and bullet.endswith(":")


@dataclass(frozen=True)
class Row:
    question: str
    want: list[str]
    first: str | None
    article: bool  # the first bullet quotes a unit of an article with a named clause
    clause: bool  # ... a unit of a named clause
    listed: bool  # the first bullet is a list (a lead-in with several items)


def evaluate_clauses(retriever: Retriever, cases: list[ClauseCase], abstention: Abstention) -> dict[str, Any]:
    rows = []
    for case in cases:
        result = answer(retriever, case.question, abstention=abstention)
        first = result.cited[0] if result.cited else None
        shown = [first.unit, *first.items] if first else []
        want = sorted(f"{d}:{a}.{c}{'.' + p if p else ''}" for d, a, c, p in case.clauses)
        rows.append(
            Row(
                case.question,
                want,
                first.unit.label if first else None,
                any(in_named_article(case, u) for u in shown),
                any(in_named_clause(case, u) for u in shown),
                bool(first and first.items),
            )
        )
    n = max(1, len(rows))
    in_article = [r for r in rows if r.article]
    return {
        "n": len(rows),
        "clause_first": sum(r.clause for r in rows) / n,
        "article_first": len(in_article) / n,
        "clause_given_article": sum(r.clause for r in in_article) / max(1, len(in_article)),
        "lists_first": sum(r.listed for r in rows),
        "rows": [asdict(r) for r in rows],
    }


def bare_lead_ins(retriever: Retriever, questions: list[str], abstention: Abstention) -> list[str]:
    """The questions whose answer's first bullet is a bare lead-in."""
    return [q for q in questions if bare_lead_in(answer(retriever, q, abstention=abstention))]


def read_questions(path: Path) -> list[str]:
    try:
        return read_jsonl(path, lambda _, row: str(row["question"]))
    except ValueError as exc:
        raise typer.BadParameter(str(exc)) from exc


def indexed_articles(retriever: Retriever) -> dict[str, set[str]]:
    indexed: dict[str, set[str]] = {}
    for unit in retriever.index.rows:  # borrowed articles are another law's (as api.eval)
        if unit.article is not None and not unit.borrowed:
            indexed.setdefault(unit.doc_id, set()).add(unit.article)
    return indexed


@app.command()
def main(
    file: Annotated[Path, typer.Argument(help="Weak pairs (.jsonl)")],
    split: Annotated[str, typer.Option(help="train or heldout.")] = "heldout",
    also: Annotated[list[Path] | None, typer.Option(help="A question set to count bare lead-ins on.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = False,
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="List the misses.")] = False,
) -> None:
    """Clause-level quality of ``/ask`` answers on the weak pairs, and bare lead-ins."""
    for path in [file, *(also or [])]:
        if not path.is_file():
            raise typer.BadParameter(f"{path}: no such file")
    if split not in ("train", "heldout"):
        raise typer.BadParameter(f"--split: expected train or heldout, not {split!r}")
    try:
        pairs = in_split(read_pairs(file), "heldout" if split == "heldout" else "train")
    except ValueError as exc:
        raise typer.BadParameter(str(exc)) from exc
    questions = {str(p): read_questions(p) for p in also or []}
    settings = get_settings()
    retriever = open_retriever(settings)
    indexed = indexed_articles(retriever)
    report = evaluate_clauses(retriever, clause_cases(pairs, indexed), settings.abstention)
    # Bare lead-ins on every pair api.eval scores (citing an indexed article), not only those
    # naming a clause.
    usable = [c.question for c in weak_cases(pairs, indexed)]
    questions = {f"{file.name} {split}": usable, **questions}
    report["bare_lead_ins"] = {
        name: {"n": len(qs), "questions": bare_lead_ins(retriever, qs, settings.abstention)}
        for name, qs in questions.items()
    }
    if as_json:
        json.dump(report, sys.stdout, ensure_ascii=False, indent=1)
        return
    print(
        f"{file.name} {split}: n={report['n']}  first bullet in the named clause {report['clause_first']:.1%}"
        f"  in its article {report['article_first']:.1%}"
        f"  clause when the article is right {report['clause_given_article']:.1%}"
        f"  lists first {report['lists_first']}"
    )
    for name, found in report["bare_lead_ins"].items():
        print(f"{name}: n={found['n']}  bare lead-ins {len(found['questions'])}")
        for question in found["questions"] if verbose else []:
            print(f"  {question}")
    for row in report["rows"] if verbose else []:
        if row["article"] and not row["clause"]:
            print(f"  first={row['first']} want={row['want']}  {row['question']}")


if __name__ == "__main__":
    app()
