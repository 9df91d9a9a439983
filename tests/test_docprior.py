"""The question → document prior: counts you can check by hand, its file, its command, and its
effect on ranking (real index of the fixture corpus)."""

import json
from dataclasses import replace
from pathlib import Path

import pytest
from typer.testing import CliRunner

from api.docprior import DocPrior, app
from api.index import LoadedIndex
from api.retrieve import Retriever
from api.weakpairs import Citation, Pair, split_of
from ingest.embed import Embedder

PAIRS = [
    Pair("đánh bạc bị phạt", (Citation("hinh-su", "321"),)),
    Pair("đánh bạc qua mạng", (Citation("hinh-su", "321"), Citation("hinh-su", "322"))),
    Pair("nghỉ phép năm", (Citation("lao-dong", "113"),)),
]


def learn(min_questions: int = 1) -> DocPrior:
    return DocPrior.learn(PAIRS, str.split, min_questions=min_questions)


def test_counts_questions_once_per_document() -> None:
    prior = learn()
    assert prior.questions == {"hinh-su": 2, "lao-dong": 1}
    assert prior.words["đánh"] == {"hinh-su": 2}
    assert prior.words["năm"] == {"lao-dong": 1}


def test_posterior_by_hand() -> None:
    prior = learn()
    # 9 words; hinh-su has 8 word occurrences, lao-dong 3.
    a = prior.alpha
    hinh_su = 2 * (2 + a) / (8 + a * 9)
    lao_dong = 1 * (0 + a) / (3 + a * 9)
    p = prior.posterior(["đánh"])
    assert p["hinh-su"] == pytest.approx(hinh_su / (hinh_su + lao_dong))
    assert sum(p.values()) == pytest.approx(1.0)
    # Unknown words leave the share of questions.
    assert prior.posterior(["hợp_đồng"])["hinh-su"] == pytest.approx(2 / 3)


def test_rare_words_are_dropped() -> None:
    assert set(learn(min_questions=2).words) == {"đánh", "bạc"}


def test_file_round_trip_and_format_check(tmp_path: Path) -> None:
    path = tmp_path / "prior.json"
    learn().save(path)
    assert DocPrior.load(path) == learn()
    data = json.loads(path.read_text(encoding="utf-8"))
    path.write_text(json.dumps({**data, "format": 99}), encoding="utf-8")
    with pytest.raises(ValueError, match="format 99"):
        DocPrior.load(path)


def test_command_learns_from_the_train_half_only(tmp_path: Path) -> None:
    questions = [f"Câu hỏi số {n} về hợp đồng lao động?" for n in range(12)]
    lines = [
        json.dumps({"question": q, "cited": [{"doc_id": f"d{n}", "article": "1"}]})
        for n, q in enumerate(questions)
    ]
    qa = tmp_path / "qa.jsonl"
    qa.write_text("\n".join(lines) + "\n", encoding="utf-8")
    out = tmp_path / "prior.json"
    result = CliRunner().invoke(app, [str(qa), "--out", str(out)])
    assert result.exit_code == 0, result.output
    train = {f"d{n}" for n, q in enumerate(questions) if split_of(q) == "train"}
    assert 0 < len(train) < len(questions)
    assert set(DocPrior.load(out).questions) == train


def test_bad_input_is_a_message_not_a_traceback(tmp_path: Path) -> None:
    qa = tmp_path / "qa.jsonl"
    qa.write_text('{"question": "x"}\n', encoding="utf-8")
    result = CliRunner().invoke(app, [str(qa), "--out", str(tmp_path / "p.json")])
    assert result.exit_code != 0
    assert "line 1" in result.output
    assert CliRunner().invoke(app, [str(tmp_path / "missing.jsonl")]).exit_code != 0


def test_prior_moves_its_document_up_among_indexed_ones(built_index: LoadedIndex, embedder: Embedder) -> None:
    question = "Người lao động được nghỉ hằng năm bao nhiêu ngày?"
    plain = Retriever(built_index, embedder).search(question).hits
    assert plain[0].unit.doc_id == "luat-mau-2020"
    believes_decision = DocPrior({"qd-mau-2023": 3, "luat-khac": 5}, {})
    moved = Retriever(built_index, embedder, doc_prior=believes_decision)
    moved.weights = replace(moved.weights, documents=5.0)
    assert moved.search(question).hits[0].unit.doc_id == "qd-mau-2023"
    # A prior that only knows documents outside the index changes nothing.
    elsewhere = Retriever(built_index, embedder, doc_prior=DocPrior({"luat-khac": 5}, {}))
    elsewhere.weights = replace(elsewhere.weights, documents=5.0)
    assert [h.unit.uid for h in elsewhere.search(question).hits] == [h.unit.uid for h in plain]


def test_posterior_among_some_documents_is_renormalised() -> None:
    prior = learn()
    full = prior.posterior(["đánh"])
    among = prior.posterior(["đánh"], among={"hinh-su", "elsewhere"})
    assert among == {"hinh-su": pytest.approx(1.0)}
    assert prior.posterior(["đánh"], among={"elsewhere"}) == {}
    both = prior.posterior(["đánh"], among={"hinh-su", "lao-dong"})
    assert both["hinh-su"] == pytest.approx(full["hinh-su"])


def test_the_shipped_prior_loads() -> None:
    prior = DocPrior.load()
    assert prior.questions
    assert prior.words
    assert all(n > 0 for n in prior.questions.values())
    assert sum(prior.posterior(["hợp_đồng", "lao_động"]).values()) == pytest.approx(1.0)
