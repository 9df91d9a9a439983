"""Generated answers from a real model next to the extractive ones, on a fixed question set.

For each question of ``eval/llm_questions.jsonl`` the answer is produced exactly as ``/ask``
produces it (``api.answering.answer.answer_stream``, through an OpenAI-compatible endpoint), and the
extractive answer over the same retrieval. Printed: every model reply as written and as shown,
with what the checks dropped, then the share of answers that were generated (not fallen back),
that contain the expected figure, that cite only given passages, and seconds per answer.

    python -m bench.llm --base-url http://127.0.0.1:8080/v1 --model qwen

``make bench-llm`` (``bench/llm.sh``) builds llama.cpp, fetches a small model and runs this.
"""

from __future__ import annotations

import json
import re
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

import typer

from api.answering.answer import Abstention, Answer, abstain_message, answer_stream, extractive, prepare
from api.answering.generate import LLMConfig, prompt_version
from api.answering.grounding import check
from api.retrieval.retriever import Retriever
from api.service.holder import open_retriever
from api.service.settings import get_settings
from ingest.text.normalize import normalize_query

QUESTIONS = Path(__file__).parent.parent / "eval" / "llm_questions.jsonl"
_MARKER = re.compile(r"\[(\d{1,3})\]")


@dataclass
class Row:
    question: str
    expected: list[str]
    raw: str  # the model's reply as written
    shown: Answer  # what /ask returns
    generated: bool
    dropped: str
    extractive: Answer
    seconds: float
    extractive_seconds: float
    passages: int  # how many were given to the model


def has_figure(text: str, expected: list[str]) -> bool:
    """Whether ``text`` states one of the expected figures ("05 ngày" counts as "5 ngày")."""

    def fold(s: str) -> str:
        s = re.sub(r"\s+", " ", normalize_query(s).lower())
        return re.sub(r"\b0+(\d)", r"\1", s.replace(" %", "%"))

    return any(fold(e) in fold(text) for e in expected)


def valid_markers(text: str, n: int) -> bool:
    """Whether every ``[k]`` of ``text`` names one of ``n`` passages, and there is one."""
    found = [int(k) for k in _MARKER.findall(text)]
    return bool(found) and all(1 <= k <= n for k in found)


def run(retriever: Retriever, case: dict[str, Any], llm: LLMConfig, abstention: Abstention) -> Row:
    question, expected = case["question"], case["expected"]
    start = time.perf_counter()
    result, ok = prepare(retriever, question, abstention=abstention)
    plain = extractive(result, retriever.index) if ok else Answer(abstain_message(retriever), [], True)
    extractive_seconds = time.perf_counter() - start
    start = time.perf_counter()
    pieces: list[str] = []
    final: Answer | None = None
    for item in answer_stream(retriever, question, llm, abstention=abstention):
        if isinstance(item, Answer):
            final = item
        else:
            pieces.append(item)
    seconds = time.perf_counter() - start
    assert final is not None
    raw = "".join(pieces)
    checked = check(raw, question, result.hits)
    return Row(question, expected, raw, final, checked.accepted, checked.reason, plain,
               seconds, extractive_seconds, len(result.hits))  # fmt: skip


def share(flags: list[bool]) -> str:
    return f"{sum(flags)}/{len(flags)} ({100 * sum(flags) / len(flags):.0f}%)" if flags else "-"


def report(rows: list[Row]) -> str:
    def mean(xs: list[float]) -> str:
        return f"{sum(xs) / len(xs):.1f}" if xs else "-"

    generated = [r for r in rows if r.generated]
    lines = [
        f"| {len(rows)} questions, prompts {prompt_version()} | extractive | with the model |",
        "| --- | --- | --- |",
        f"| generated (not fallen back) | - | {share([r.generated for r in rows])} |",
        "| states the expected figure | "
        f"{share([has_figure(r.extractive.text, r.expected) for r in rows])} | "
        f"{share([has_figure(r.shown.text, r.expected) for r in rows])} |",
        "| ... of the generated answers | - | "
        f"{share([has_figure(r.shown.text, r.expected) for r in generated])} |",
        "| model's reply cites only given passages | - | "
        f"{share([valid_markers(r.raw, r.passages) for r in rows])} |",
        "| answer shown cites only given passages | "
        f"{share([valid_markers(r.extractive.text, len(r.extractive.cited)) for r in rows])} | "
        f"{share([valid_markers(r.shown.text, len(r.shown.cited)) for r in rows])} |",
        f"| seconds per answer (mean) | {mean([r.extractive_seconds for r in rows])} | "
        f"{mean([r.seconds for r in rows])} |",
    ]
    return "\n".join(lines)


def main(
    base_url: Annotated[str, typer.Option(help="OpenAI-compatible endpoint, e.g. http://127.0.0.1:8080/v1")],
    model: Annotated[str, typer.Option(help="Model name sent to the endpoint")],
    questions: Annotated[Path, typer.Option(help="Question set (.jsonl)")] = QUESTIONS,
    timeout: Annotated[float, typer.Option(help="Seconds allowed for one answer")] = 300.0,
    out: Annotated[Path | None, typer.Option(help="Also write every row as JSON lines here")] = None,
) -> None:
    if not questions.is_file():
        raise typer.BadParameter(f"{questions}: no such file")
    settings = get_settings()
    llm = LLMConfig(base_url, model, timeout=timeout, max_tokens=settings.llm_max_tokens)
    abstention = settings.abstention
    cases = [json.loads(line) for line in questions.read_text(encoding="utf-8").splitlines() if line.strip()]
    retriever = open_retriever(settings)
    rows = []
    for i, case in enumerate(cases, 1):
        row = run(retriever, case, llm, abstention)
        rows.append(row)
        verdict = "generated" if row.generated else f"fell back ({row.dropped})"
        typer.echo(f"\n[{i}/{len(cases)}] {row.question}  ({row.seconds:.1f} s, {verdict})")
        typer.echo(f"  model:  {row.raw.strip()!r}")
        typer.echo(f"  shown:  {row.shown.text!r}")
        if out is not None:
            with out.open("a", encoding="utf-8") as f:
                record = {"question": row.question, "raw": row.raw, "shown": row.shown.text,
                          "generated": row.generated, "dropped": row.dropped,
                          "seconds": round(row.seconds, 1), "extractive": row.extractive.text}  # fmt: skip
                f.write(json.dumps(record, ensure_ascii=False) + "\n")
    typer.echo("\n" + report(rows))


if __name__ == "__main__":
    typer.run(main)
