"""Subjects outside the corpus, and the abstention they drive (real model, fixture corpus)."""

import unicodedata
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
from pydantic import ValidationError

from api.answering.answer import Abstention, holdings, prepare
from api.retrieval.index import Document, LoadedIndex
from api.retrieval.outside import DEFAULT_FILE, OutsideTopics, Topic, load_topics
from api.retrieval.retriever import Retriever
from api.service.settings import Settings
from ingest.embedding.embed import Embedder
from ingest.structure.units import DocumentMeta

TRAFFIC_FINE = "Đi xe máy vượt đèn đỏ bị phạt bao nhiêu tiền?"
ANNUAL_LEAVE = "Người lao động được nghỉ hằng năm bao nhiêu ngày?"


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "topics.txt"
    path.write_text(text, encoding="utf-8")
    return path


def test_lines_give_one_topic_per_phrase(tmp_path: Path) -> None:
    path = write(tmp_path, "# comment\n\nLuật Đất đai | Luật Nhà ở: cấp sổ đỏ; thu hồi đất ;\n")
    assert load_topics(path) == [
        Topic(("Luật Đất đai", "Luật Nhà ở"), "cấp sổ đỏ"),
        Topic(("Luật Đất đai", "Luật Nhà ở"), "thu hồi đất"),
    ]


@pytest.mark.parametrize("line", ["Luật Đất đai cấp sổ đỏ", ": cấp sổ đỏ", "Luật Đất đai: ; "])
def test_a_malformed_line_is_named(tmp_path: Path, line: str) -> None:
    with pytest.raises(ValueError, match=r"topics.txt:2: expected"):
        load_topics(write(tmp_path, f"# ok\n{line}\n"))


def test_settings_refuse_a_broken_or_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ValidationError, match=r"topics\.txt:1"):
        Settings(outside_topics=write(tmp_path, "no colon here\n"))
    with pytest.raises(ValidationError, match="cannot read"):
        Settings(outside_topics=tmp_path / "missing.txt")
    assert Settings(outside_topics="").topics == []  # type: ignore[arg-type]  # as from the environment
    assert len(Settings().topics) == len(load_topics(DEFAULT_FILE)) > 50


def test_a_topic_is_held_by_a_document_of_that_law_only() -> None:
    topic = Topic(("Luật Giá", "Luật Đất đai"), "giá điện")
    assert topic.held_by(["Luật Giá 2023"])
    assert topic.held_by([unicodedata.normalize("NFD", "LUẬT ĐẤT ĐAI 2024")])
    assert not topic.held_by(["Luật Giáo dục 2019", "Bộ luật Dân sự 2015"])
    topics = OutsideTopics([topic, Topic(("Luật Thuế",), "thuế suất")], np.eye(2, dtype=np.float32))
    kept = topics.without(["Luật Giá 2023"])
    assert kept.topics == [Topic(("Luật Thuế",), "thuế suất")]
    assert kept.similarity(np.array([0.0, 1.0], dtype=np.float32)) == 1.0
    assert kept.without(["Luật Thuế"]).similarity(np.array([0.0, 1.0], dtype=np.float32)) == -1.0


def retriever(index: LoadedIndex, embedder: Embedder, topics: list[Topic]) -> Retriever:
    return Retriever(index, embedder, outside=OutsideTopics.embed(topics, embedder))


def test_a_question_about_a_subject_outside_the_corpus_is_declined(
    built_index: LoadedIndex, embedder: Embedder
) -> None:
    # Only the margin decides here: the nearest passage is always *some* passage.
    rule = Abstention(min_dense=-1.0, min_margin=0.0)
    with_topics = retriever(built_index, embedder, Settings().topics)
    without = retriever(built_index, embedder, [])
    assert prepare(with_topics, TRAFFIC_FINE, abstention=rule)[1] is False
    assert prepare(without, TRAFFIC_FINE, abstention=rule)[1] is True
    result, ok = prepare(with_topics, ANNUAL_LEAVE, abstention=rule)
    assert ok
    assert result.top_dense > result.top_outside


def test_topics_of_an_indexed_law_stop_counting(built_index: LoadedIndex, embedder: Embedder) -> None:
    # The fixture corpus holds "Luật Nghỉ phép mẫu": its own subject must not compete with it.
    topics = [Topic(("Luật Nghỉ phép mẫu",), "nghỉ hằng năm"), Topic(("Luật Giao thông",), "vượt đèn đỏ")]
    r = retriever(built_index, embedder, topics)
    assert r.outside is not None
    assert r.outside.topics == topics[1:]
    assert prepare(r, ANNUAL_LEAVE, abstention=Abstention(-1.0, 0.0))[1] is True


def test_the_subject_of_the_best_article_counts(built_index: LoadedIndex, embedder: Embedder) -> None:
    # A topic worded as the question itself is nearer to it than any article heading can be:
    # with the subject threshold at 0 the question is declined, without it answered.
    r = retriever(built_index, embedder, [Topic(("Luật Khác",), ANNUAL_LEAVE)])
    result, _ = prepare(r, ANNUAL_LEAVE, abstention=Abstention(-1.0, -2.0))
    heading = result.hits[0].unit.heading.split(".", 1)[1].strip()
    assert result.top_subject == pytest.approx(float(embedder.query(heading) @ embedder.query(ANNUAL_LEAVE)))
    assert result.top_subject < result.top_outside
    assert prepare(r, ANNUAL_LEAVE, abstention=Abstention(-1.0, -2.0, 0.0))[1] is False
    assert prepare(r, ANNUAL_LEAVE, abstention=Abstention(-1.0, -2.0, -2.0))[1] is True


def test_a_large_index_is_judged_by_the_large_index_thresholds(
    built_index: LoadedIndex, embedder: Embedder
) -> None:
    r = retriever(built_index, embedder, [])
    strict = Abstention(min_dense=1.0)
    units = len(r.index.rows)
    assert prepare(r, ANNUAL_LEAVE, abstention=Abstention(large=strict, large_from=units + 1))[1] is True
    assert prepare(r, ANNUAL_LEAVE, abstention=Abstention(large=strict, large_from=units))[1] is False
    defaults = Settings().abstention
    assert defaults.large is not None
    bundled, national = defaults.for_units(13_403), defaults.for_units(284_135)
    assert (bundled.min_dense, bundled.large) == (defaults.min_dense, None)
    assert national == defaults.large


def test_an_abstention_counts_thousands_of_documents_instead_of_listing_them() -> None:
    def index(types: list[str]) -> LoadedIndex:
        metas = [DocumentMeta(f"d{i}", f"Văn bản số {i}", doc_type=t) for i, t in enumerate(types)]
        return SimpleNamespace(documents={m.doc_id: Document(m, []) for m in metas})  # type: ignore[return-value]

    few = holdings(index(["Luật", "Quyết định"]))
    assert few == "Văn bản số 0, Văn bản số 1"
    many = holdings(index(["Thông tư"] * 2200 + ["Nghị định"] * 655 + ["Luật"] * 192))
    assert many == "3.047 văn bản (2.200 thông tư, 655 nghị định, 192 luật)"
