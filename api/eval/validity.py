"""``python -m api.eval.validity QUESTIONS.jsonl --current NUMBER``: which document leads each
answer, and how many answers lead with the current text (``--current``, a số hiệu) rather than
one it replaced; then how many of the index's documents have each status, and from what.

Each question is answered as ``/ask`` answers it (five citations, the settings' abstention).
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Annotated

import typer

from api.answering.answer import answer
from api.eval.clauses import read_questions
from api.retrieval.filters import work_key
from api.service.holder import open_retriever
from api.service.settings import get_settings

app = typer.Typer(add_completion=False)


@app.command()
def main(
    questions: Annotated[Path, typer.Argument(help="Questions (.jsonl with a 'question' field)")],
    current: Annotated[str, typer.Option(help="The số hiệu of the text in force, e.g. 168/2024/NĐ-CP")],
) -> None:
    """Print the leading document of each answer, the share led by ``current`` and the statuses."""
    if not questions.is_file():
        raise typer.BadParameter(f"{questions}: no such file")
    retriever = open_retriever()
    abstention = get_settings().abstention
    documents = retriever.index.documents
    led = 0
    asked = read_questions(questions)
    for question in asked:
        result = answer(retriever, question, abstention=abstention)
        first = documents[result.cited[0].unit.doc_id].meta.number if result.cited else None
        led += work_key(first or "") == work_key(current)
        print(json.dumps({"question": question, "first": first}, ensure_ascii=False))
    print(f"led by {current}: {led}/{len(asked)}")
    resolved = retriever.validity.resolved().values()
    print("statuses:", dict(Counter(v.status for v in resolved).most_common()))
    print("sources:", dict(Counter(v.source for v in resolved).most_common()))


if __name__ == "__main__":
    app()
