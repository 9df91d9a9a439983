"""The ranking signals behind one interface: each read alone, and fusion their weighted sum."""

from pathlib import Path

import numpy as np
import pytest
from pydantic import ValidationError

from api.retrieval.docprior import DocPrior
from api.retrieval.filters import Filters
from api.retrieval.fusion import FusionWeights
from api.retrieval.index import LoadedIndex
from api.retrieval.parties import Parties
from api.retrieval.qamemory import QaMemory
from api.retrieval.retriever import Retriever
from api.retrieval.scores import top_norm
from api.service.settings import Settings
from ingest.embedding.embed import Embedder

QUESTION = "Người lao động được nghỉ hằng năm bao nhiêu ngày?"


@pytest.fixture(scope="module")
def retriever(built_index: LoadedIndex, embedder: Embedder) -> Retriever:
    """Every signal present: a document prior, an earlier question and a pair of sides."""
    target = next(u for u in built_index.rows if u.doc_id == "qd-mau-2023" and u.article is not None)
    memory = QaMemory([QUESTION], [((target.doc_id, str(target.article)),)], embedder.queries([QUESTION]))
    return Retriever(
        built_index,
        embedder,
        doc_prior=DocPrior({"luat-mau-2020": 3, "qd-mau-2023": 1}, {}),
        memory=memory,
        parties=Parties([(("người lao động",), ("người sử dụng lao động",))]),
        core={"luat-mau-2020"},
    )


def test_each_signal_scores_every_article_or_unit_alone(retriever: Retriever) -> None:
    question = retriever.analyse(QUESTION)
    index = retriever.index
    names = [s.name for s in retriever.signals]
    units, articles = ["lexical", "dense"], ["articles", "cited_types", "core", "documents"]
    assert names == [*units, *articles, "memory", "figures", "crimes", "parties"]
    for signal in retriever.signals:
        scores = signal.scores(question)
        size = len(index.rows) if signal.level == "unit" else len(index.article_keys)
        assert scores.shape == (size,), signal.name
        assert np.isfinite(scores).all(), signal.name
    by_name = {s.name: s for s in retriever.signals}
    # The document prior believes the law three to one, among the indexed documents.
    documents = by_name["documents"].scores(question)
    law = [a for a, d in enumerate(index.article_doc) if index.doc_ids[d] == "luat-mau-2020"]
    assert documents[law] == pytest.approx(0.75)
    # The earlier question votes for one article, which scores 1.
    memory = by_name["memory"].scores(question)
    assert sorted(memory.tolist())[-2:] == [0.0, 1.0]
    # "bao nhiêu ngày" asks for days: only articles stating days score.
    figures = by_name["figures"].scores(question)
    assert set(figures.tolist()) == {0.0, 1.0}
    # No penalty is asked about, and the question names the worker's side only.
    assert not by_name["crimes"].scores(question).any()
    assert set(by_name["parties"].scores(question).tolist()) <= {-1.0, 0.0, 1.0}


def test_fusion_is_the_weighted_sum_of_the_signals(retriever: Retriever) -> None:
    question = retriever.analyse(QUESTION)
    w = retriever.weights
    features = {s.name: s.scores(question) for s in retriever.signals}
    units = w.lexical * top_norm(features["lexical"], w.candidates) + (1 - w.lexical) * top_norm(
        features["dense"], w.candidates
    )
    index = retriever.index
    expected = np.full(len(index.article_keys), -np.inf, dtype=np.float32)
    np.maximum.at(expected, index.article_of_row, units)
    expected += w.articles * top_norm(features["articles"], w.article_candidates)
    for name in ("cited_types", "core", "documents", "memory", "figures", "crimes", "parties"):
        expected += w.of(name) * features[name]
    hits = retriever.search(QUESTION, top_k=6).hits
    assert hits
    position = {key: i for i, key in enumerate(index.article_keys)}
    for hit in hits:
        assert hit.score == pytest.approx(float(expected[position[hit.unit.article_key]]), abs=1e-5)
    assert hits[0].unit.article_key == index.article_keys[int(np.argmax(expected))]


def test_a_filter_reaches_the_dense_channel_and_the_hits(retriever: Retriever) -> None:
    question = retriever.analyse(QUESTION, Filters(doc_ids=frozenset({"qd-mau-2023"})))
    dense = next(s for s in retriever.signals if s.name == "dense").scores(question)
    assert (dense[~question.allowed] == -1.0).all()
    assert {
        h.unit.doc_id
        for h in retriever.search(QUESTION, filters=Filters(doc_ids=frozenset({"qd-mau-2023"}))).hits
    } == {"qd-mau-2023"}


def test_weights_come_from_settings(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("VNLAW_FUSION__MEMORY", "0.55")
    monkeypatch.setenv("VNLAW_FUSION__LEXICAL", "0.25")
    weights = Settings().fusion
    assert weights.of("memory") == 0.55
    assert weights.of("dense") == pytest.approx(0.75)
    assert weights.of("crimes") == FusionWeights().crimes
    with pytest.raises(KeyError, match="candidates"):
        weights.of("candidates")
    monkeypatch.setenv("VNLAW_FUSION__MEMORY", "much")
    with pytest.raises(ValidationError, match=r"fusion\.memory"):
        Settings()
