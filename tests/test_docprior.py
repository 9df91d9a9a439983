"""The question → document prior, and the priors on a document's type and on the corpus folder:
counts you can check by hand, its file, its command, and their effect on ranking (real
indexes of the fixtures)."""

import json
from collections import Counter
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from api.retrieval.docprior import DocPrior, app
from api.retrieval.fusion import FusionWeights
from api.retrieval.index import LoadedIndex, load_index
from api.retrieval.retriever import Retriever
from api.service.holder import core_documents
from ingest.embedding.embed import Embedder
from ingest.index import store
from ingest.settings import IngestSettings
from ingest.sources.weakpairs import Citation, Pair, split_of

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


def test_type_rates_favour_the_types_answers_cite() -> None:
    prior = DocPrior({"luat-a": 90, "tt-b": 10, "elsewhere": 500}, {})
    types = {"luat-a": "Luật", "tt-b": "Thông tư", "tt-c": "Thông tư", "qd-d": "Quyết định"}
    articles = {"luat-a": 500, "tt-b": 4000, "tt-c": 4000, "qd-d": 1}
    rates = prior.type_rates(types, articles)
    # 90 questions over 500 articles against 10 over 8,000, each with 1,000 articles at the
    # overall rate (100 / 8,501) added; documents outside the index do not count.
    overall = 100 / 8501
    law, circular = (90 + 1000 * overall) / 1500, (10 + 1000 * overall) / 9000
    assert rates["Luật"] == 0.0
    assert rates["Thông tư"] == pytest.approx(np.log(circular / law))
    # A type the answers never saw, held by one article, stays near the overall rate.
    assert rates["Quyết định"] == pytest.approx(np.log((1000 * overall) / 1001 / law))
    assert DocPrior({"elsewhere": 5}, {}).type_rates(types, articles) == dict.fromkeys(rates, 0.0)


def test_retrieval_lowers_the_types_answers_seldom_cite(
    national_settings: IngestSettings, embedder: Embedder
) -> None:
    index = load_index(
        national_settings.index_dir / str(store.current_name(national_settings.index_dir)), embedder.name
    )
    # Answers cite the laws of the sample, never its circular.
    believes_laws = DocPrior({"luat-57-2020-qh14": 30, "luat-47-2024-qh15": 30}, {})
    question = "Đấu giá viên phải giữ những quy tắc đạo đức nghề nghiệp nào?"

    def scores(weights: FusionWeights) -> dict[str, tuple[str, float]]:
        retriever = Retriever(index, embedder, weights=weights, doc_prior=believes_laws)
        return {h.unit.uid: (h.unit.doc_id, h.score) for h in retriever.search(question, top_k=200).hits}

    plain = scores(FusionWeights(documents=0.0, cited_types=0.0))
    typed = scores(FusionWeights(documents=0.0))
    rates = believes_laws.type_rates(
        {d: doc.meta.doc_type or "" for d, doc in index.documents.items()},
        Counter(u.doc_id for u in {u.article_key: u for u in index.rows}.values()),
    )
    moved = {doc: round(typed[uid][1] - score, 4) for uid, (doc, score) in plain.items() if uid in typed}
    lowered = FusionWeights().cited_types * rates["Thông tư"]
    assert lowered < 0
    assert moved["thong-tu-14-2018-tt-btp"] == pytest.approx(lowered, abs=1e-4)
    assert moved["luat-57-2020-qh14"] == 0.0


def test_the_corpus_folder_leads_the_collections(
    tmp_path: Path, national_settings: IngestSettings, embedder: Embedder
) -> None:
    index = load_index(
        national_settings.index_dir / str(store.current_name(national_settings.index_dir)), embedder.name
    )
    core = core_documents(national_settings.corpus_dir)
    assert core == {"luat-mau-2020", "qd-mau-2023"}
    assert core_documents(tmp_path / "missing") == frozenset()
    question = "Thanh niên có quyền và nghĩa vụ gì trong học tập và nghỉ ngơi?"

    def scores(retriever: Retriever) -> dict[str, tuple[str, float]]:
        return {h.unit.uid: (h.unit.doc_id, h.score) for h in retriever.search(question, top_k=200).hits}

    plain = scores(Retriever(index, embedder))
    first = scores(Retriever(index, embedder, core=core))
    moved = {doc: round(first[uid][1] - score, 4) for uid, (doc, score) in plain.items() if uid in first}
    assert moved == {doc: (FusionWeights().core if doc in core else 0.0) for doc in moved}
    assert set(moved) & core
    assert set(moved) - core
    # An index of the corpus folder alone: every document is core, and nothing moves.
    everything = scores(Retriever(index, embedder, core=set(index.documents)))
    assert everything == plain
