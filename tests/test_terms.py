"""Everyday words and the statutory wording searched with them (``api.retrieval.terms``)."""

from pathlib import Path

import pytest
from pydantic import ValidationError

from api.retrieval.index import LoadedIndex
from api.retrieval.retriever import Retriever
from api.retrieval.terms import DEFAULT_FILE, Terms
from api.service.settings import Settings
from ingest.embedding.embed import Embedder


def terms_from(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "terms.txt"
    path.write_text(text, encoding="utf-8")
    return path


def test_the_statutory_wording_is_added_not_substituted() -> None:
    terms = Terms.load(DEFAULT_FILE)
    expanded = terms.expand("Đi xe máy vượt đèn đỏ bị phạt bao nhiêu?")
    assert expanded.startswith("Đi xe máy vượt đèn đỏ bị phạt bao nhiêu? (")
    assert "xe mô tô" in expanded
    assert "đèn tín hiệu giao thông" in expanded
    assert "xe mô tô" in terms.expand("XE MÁY của tôi")  # any case
    assert terms.expand("Nghỉ phépxyz là gì?") == "Nghỉ phépxyz là gì?"  # whole words only
    assert terms.expand("Thời hạn nộp thuế là bao lâu?") == "Thời hạn nộp thuế là bao lâu?"
    assert terms.expand("Sổ đỏ là gì?").count("giấy chứng nhận quyền sử dụng đất") == 1


def test_wording_the_question_already_has_is_not_added_again(tmp_path: Path) -> None:
    terms = Terms.load(terms_from(tmp_path, "sổ đỏ: giấy chứng nhận quyền sử dụng đất\n"))
    asked = "Sổ đỏ, tức giấy chứng nhận quyền sử dụng đất, cấp ở đâu?"
    assert terms.expand(asked) == asked


def test_a_broken_line_names_itself(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match=r"terms.txt:2"):
        Terms.load(terms_from(tmp_path, "# comment\nsổ đỏ giấy chứng nhận\n"))
    with pytest.raises(ValidationError, match="VNLAW_TERMS"):
        Settings(terms=tmp_path / "missing.txt")
    assert Settings(terms="").statutory_terms.terms == []


def test_retrieval_reads_the_statutory_wording(
    tmp_path: Path, built_index: LoadedIndex, embedder: Embedder
) -> None:
    # A made-up everyday word: only the terms file says it means the lunar new year holiday.
    terms = Terms.load(terms_from(tmp_path, "ngày xyzabc: Tết Âm lịch\n"))
    hits = Retriever(built_index, embedder, terms=terms).search("Ngày xyzabc được nghỉ mấy ngày?").hits
    assert hits[0].unit.label.startswith("Điểm b khoản 1 Điều 5")
    plain = Retriever(built_index, embedder).search("Ngày xyzabc được nghỉ mấy ngày?").hits
    assert not plain[0].unit.label.startswith("Điểm b khoản 1 Điều 5")
