"""``python -m api.eval QA.jsonl``: article-level Recall@1/5/10 and MRR@10, per document, with
the list of misses, using exactly the retrieval the API uses.

Each line: {"question", "doc_id", "article", "also"?: [...], "path_prefixes"?: [[[kind, num], ...]]},
or a weak pair {"question", "cited": [{"doc_id", "article", ...}]} (see ``weakpairs``): then
``--split`` picks the train or held-out half, and a question counts when any article it cites is
in the index; finding any of its cited, indexed articles is a hit.
"""

from __future__ import annotations

import json
import sys
from collections import defaultdict
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Annotated, Any

import typer

from api.retrieval.retriever import Hit, Retriever
from api.service.holder import open_retriever
from ingest.sources.jsonl import read_jsonl
from ingest.sources.weakpairs import Pair, in_split, read_pairs

app = typer.Typer(add_completion=False)


@dataclass
class Case:
    question: str
    doc_id: str
    articles: set[str]
    path_prefixes: list[tuple[tuple[str, str], ...]]
    id: str = ""
    other_gold: frozenset[tuple[str, str]] = frozenset()  # (doc_id, article) of other documents

    def wants(self, doc_id: str, article: str | None) -> bool:
        if doc_id == self.doc_id and article in self.articles:
            return True
        return (doc_id, article or "") in self.other_gold


def read_cases(path: Path) -> list[Case]:
    def case(n: int, row: dict[str, Any]) -> Case:
        return Case(
            question=row["question"],
            doc_id=row["doc_id"],
            articles={str(row["article"]), *map(str, row.get("also", []))},
            path_prefixes=[tuple((k, v) for k, v in p) for p in row.get("path_prefixes", [])],
            id=str(row.get("id", n)),
        )

    try:
        return read_jsonl(path, case)
    except ValueError as exc:
        raise typer.BadParameter(str(exc)) from exc


def is_weak(path: Path) -> bool:
    first = next((line for line in path.read_text(encoding="utf-8").splitlines() if line.strip()), "")
    try:
        return "cited" in json.loads(first)
    except ValueError:
        return False


def weak_cases(pairs: list[Pair], indexed: dict[str, set[str]]) -> list[Case]:
    """Cases from the weak pairs citing an article of ``indexed`` (doc_id → articles)."""
    cases = []
    for pair in pairs:
        gold = [(c.doc_id, c.article) for c in pair.cited if c.article in indexed.get(c.doc_id, ())]
        if not gold:
            continue
        doc_id = gold[0][0]
        cases.append(
            Case(
                question=pair.question,
                doc_id=doc_id,
                articles={a for d, a in gold if d == doc_id},
                path_prefixes=[],
                id=pair.key,
                other_gold=frozenset(g for g in gold if g[0] != doc_id),
            )
        )
    return cases


def article_ranks(hits: list[Hit]) -> list[tuple[str, str | None]]:
    ranked: list[tuple[str, str | None]] = []
    for hit in hits:
        key = (hit.unit.doc_id, hit.unit.article)
        if key not in ranked:
            ranked.append(key)
    return ranked


def rank_of(case: Case, hits: list[Hit]) -> int | None:
    for i, (doc_id, article) in enumerate(article_ranks(hits), 1):
        if case.wants(doc_id, article):
            return i
    return None


def path_hit(case: Case, hits: list[Hit], within: int = 3) -> bool:
    for hit in hits[:within]:
        # Prefixes are given below the article (a decision's Mục / tiểu mục inside its Điều).
        path = hit.unit.path
        below = path[path.index(("dieu", hit.unit.article)) + 1 :] if hit.unit.article else path
        if hit.unit.doc_id == case.doc_id and any(below[: len(p)] == p for p in case.path_prefixes):
            return True
    return False


def metrics(ranks: list[int | None]) -> dict[str, float]:
    n = max(1, len(ranks))
    return {
        "n": len(ranks),
        "R@1": sum(r is not None and r <= 1 for r in ranks) / n,
        "R@5": sum(r is not None and r <= 5 for r in ranks) / n,
        "R@10": sum(r is not None and r <= 10 for r in ranks) / n,
        "MRR@10": sum(1 / r for r in ranks if r is not None and r <= 10) / n,
    }


def indexed_cases(retriever: Retriever, pairs: list[Pair]) -> list[Case]:
    """The weak pairs that cite an article the retriever's index holds, as cases."""
    indexed: dict[str, set[str]] = {}
    for unit in retriever.index.rows:  # the searchable units; borrowed articles are another law's
        if unit.article is not None and not unit.borrowed:
            indexed.setdefault(unit.doc_id, set()).add(unit.article)
    return weak_cases(pairs, indexed)


def evaluate(retriever: Retriever, cases: list[Case], top_k: int = 30) -> dict[str, Any]:
    ranks: list[int | None] = []
    per_doc: dict[str, list[int | None]] = defaultdict(list)
    misses, path_cases, path_hits = [], 0, 0
    for case in cases:
        hits = retriever.search(case.question, top_k=top_k).hits
        rank = rank_of(case, hits)
        ranks.append(rank)
        per_doc[case.doc_id].append(rank)
        if case.path_prefixes:
            path_cases += 1
            path_hits += path_hit(case, hits)
        if rank is None or rank > 5:
            top = article_ranks(hits)[:3]
            misses.append({"id": case.id, "question": case.question, "want": sorted(case.articles),
                           "rank": rank, "got": [f"{d}:{a}" for d, a in top]})  # fmt: skip
    return {
        "overall": metrics(ranks),
        "per_document": {doc: metrics(r) for doc, r in sorted(per_doc.items())},
        "path_top3": {"n": path_cases, "hits": path_hits},
        "misses": misses,
    }


def _print(report: dict[str, Any], misses: bool) -> None:
    def row(name: str, m: dict[str, float]) -> str:
        return (f"{name:34} n={int(m['n']):4d}  R@1 {m['R@1']:.3f}  R@5 {m['R@5']:.3f}  "
                f"R@10 {m['R@10']:.3f}  MRR@10 {m['MRR@10']:.3f}")  # fmt: skip

    print(row("overall", report["overall"]))
    for doc, m in report["per_document"].items():
        print(row(doc, m))
    p = report["path_top3"]
    if p["n"]:
        print(f"right Mục / tiểu mục in top 3: {p['hits']}/{p['n']}")
    print(f"\nmisses (not in top 5): {len(report['misses'])}")
    for miss in report["misses"] if misses else []:
        print(
            f"  [{miss['id']}] rank={miss['rank']} want={miss['want']} got={miss['got']}  {miss['question']}"
        )


@app.command()
def main(
    file: Annotated[Path, typer.Argument(help="Question set (.jsonl)")],
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = False,
    sweep: Annotated[bool, typer.Option(help="Grid-search the fusion weights.")] = False,
    split: Annotated[str, typer.Option(help="Weak pairs only: train or heldout.")] = "heldout",
    summary: Annotated[bool, typer.Option(help="The figures only, without the list of misses.")] = False,
) -> None:
    """Article-level retrieval quality of the running configuration on a question set."""
    if not file.is_file():
        raise typer.BadParameter(f"{file}: no such file")
    if split not in ("train", "heldout"):
        raise typer.BadParameter(f"--split: expected train or heldout, not {split!r}")
    if is_weak(file):
        try:
            pairs = in_split(read_pairs(file), "heldout" if split == "heldout" else "train")
        except ValueError as exc:
            raise typer.BadParameter(str(exc)) from exc
        retriever = open_retriever()
        cases = indexed_cases(retriever, pairs)
    else:
        cases = read_cases(file)
        retriever = open_retriever()
    if sweep:
        _sweep(retriever, cases)
        return
    report = evaluate(retriever, cases)
    if as_json:
        json.dump(report, sys.stdout, ensure_ascii=False, indent=1)
    else:
        _print(report, misses=not summary)


def _sweep(retriever: Retriever, cases: list[Case]) -> None:
    base = retriever.weights
    for lexical in (0.2, 0.3, 0.4, 0.5):
        for articles in (0.0, 0.3, 0.6, 0.9):
            retriever.weights = replace(base, lexical=lexical, articles=articles)
            m = evaluate(retriever, cases)["overall"]
            print(f"lexical={lexical:.2f} articles={articles:.2f}  R@1 {m['R@1']:.3f}  R@5 {m['R@5']:.3f}  "
                  f"MRR@10 {m['MRR@10']:.3f}", flush=True)  # fmt: skip
    retriever.weights = base
