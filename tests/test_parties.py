"""Which side of a legal relation a question is about (``api.retrieval.parties``)."""

from pathlib import Path

import pytest
from pydantic import ValidationError

from api.retrieval.index import load_index
from api.retrieval.parties import DEFAULT_FILE, Parties
from api.retrieval.retriever import Retriever
from api.retrieval.signals.sides import HeadedSides
from api.retrieval.terms import DEFAULT_FILE as DEFAULT_TERMS
from api.retrieval.terms import Terms
from api.service.settings import Settings
from ingest.embedding.embed import Embedder
from ingest.index import store
from ingest.settings import IngestSettings

HEADINGS = [
    (0, "Điều 40. Nghĩa vụ của người lao động khi đơn phương chấm dứt hợp đồng lao động trái pháp luật"),
    (1, "Điều 41. Nghĩa vụ của người sử dụng lao động khi đơn phương chấm dứt hợp đồng lao động trái luật"),
    (1, "Điều 41. Nghĩa vụ của người sử dụng lao động khi đơn phương chấm dứt"),  # one row per unit
    (2, "Điều 17. Hành vi người sử dụng lao động không được làm"),  # names a side, states no one's duty
    (3, "Điều 6. Quyền và nghĩa vụ của người lao động và người sử dụng lao động"),
    (4, "Điều 440. Nghĩa vụ của bên mua"),
]


@pytest.fixture
def sides() -> HeadedSides:
    return HeadedSides(Parties.load(DEFAULT_FILE), HEADINGS, 6)


def test_the_side_the_question_names_and_not_its_counterpart(sides: HeadedSides) -> None:
    # "người sử dụng lao động" holds the words of "người lao động": the longer name is read.
    focus = sides.focus("Người sử dụng lao động chấm dứt hợp đồng trái luật phải bồi thường gì?")
    assert focus.tolist() == [-1, 1, 0, 0, 0, 0]
    assert sides.focus("Người lao động nghỉ ngang phải bồi thường gì?").tolist() == [1, -1, 0, 0, 0, 0]


def test_a_question_naming_both_sides_or_none_leaves_every_article(sides: HeadedSides) -> None:
    assert not sides.focus("Người lao động bị người sử dụng lao động sa thải trái luật").any()
    assert not sides.focus("Hợp đồng lao động có những loại nào?").any()


def test_everyday_words_name_a_side_through_the_terms(sides: HeadedSides) -> None:
    # "bị công ty sa thải": the terms say who dismisses.
    question = Terms.load(DEFAULT_TERMS).expand(
        "Tôi bị công ty sa thải không báo trước thì được bồi thường gì?"
    )
    focus = sides.focus(question)
    assert focus[1] == 1
    assert focus[0] == -1


def test_a_broken_line_names_itself(tmp_path: Path) -> None:
    path = tmp_path / "parties.txt"
    path.write_text("bên bán: bên mua\nbên cho thuê bên thuê\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"parties.txt:2"):
        Parties.load(path)
    with pytest.raises(ValidationError, match="VNLAW_PARTIES"):
        Settings(parties=tmp_path / "missing.txt")
    assert not Settings(parties="").relation_sides.named("bên bán")


def test_retrieval_weighs_the_side(
    tmp_path: Path, national_settings: IngestSettings, embedder: Embedder
) -> None:
    # A made-up pair over two headings of the sample's Luật Thanh niên: "Trách nhiệm của gia
    # đình" (Điều 35) against "Trách nhiệm của cơ sở giáo dục" (Điều 34).
    path = tmp_path / "parties.txt"
    path.write_text("gia đình: cơ sở giáo dục\n", encoding="utf-8")
    index = load_index(
        national_settings.index_dir / str(store.current_name(national_settings.index_dir)), embedder.name
    )
    question = "Gia đình có trách nhiệm gì đối với thanh niên?"

    def scores(retriever: Retriever) -> dict[str, float]:
        return {
            h.unit.label: h.score
            for h in retriever.search(question, top_k=200).hits
            if h.unit.article in ("34", "35")
        }

    plain = scores(Retriever(index, embedder))
    sided = Retriever(index, embedder, parties=Parties.load(path))
    weighed = scores(sided)
    w = sided.weights.parties
    assert plain
    assert {label: round(weighed[label] - plain[label], 4) for label in plain} == {
        label: (w if "Điều 35" in label else -w) for label in plain
    }
