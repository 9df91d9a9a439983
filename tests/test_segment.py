"""Sentence spans and BM25 tokens, with the real underthesea models (no mocks)."""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path

import pytest

from ingest.text.normalize import display_form, normalize_query
from ingest.text.segment import _align, sentence_spans, tokenize, tokenize_many

CORPUS = Path(__file__).resolve().parent.parent / "corpus"


def texts_of(text: str) -> list[str]:
    return [text[s:e] for s, e in sentence_spans(text)]


def assert_valid_spans(text: str) -> None:
    spans = sentence_spans(text)
    pos = 0
    for start, end in spans:
        assert pos <= start < end <= len(text)
        assert text[pos:start].strip() == ""  # only whitespace between spans
        assert text[start] == text[start].strip()
        assert text[end - 1] == text[end - 1].strip()
        pos = end
    assert text[pos:].strip() == ""


def rebuild(text: str) -> str:
    """text from its spans and the whitespace-only gaps between them."""
    parts, pos = [], 0
    for start, end in sentence_spans(text):
        gap = text[pos:start]
        assert gap.strip() == ""
        parts += [gap, text[start:end]]
        pos = end
    return "".join(parts) + text[pos:]


# --- sentence spans ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   \n\n ",
        "Câu một. Câu hai?  Câu ba!\n\nCâu bốn",
        "  1. Người lao động có quyền.   Họ có nghĩa vụ.  \n",
        "Xem www.example.com nhé... Hết",
    ],
)
def test_spans_cover_text_exactly(text: str) -> None:
    assert rebuild(text) == text
    assert_valid_spans(text)


def test_spans_are_offsets_into_the_given_string() -> None:
    text = "Điều 1. Phạm vi.\nBộ luật này quy định. Nó áp dụng."
    assert texts_of(text) == ["Điều 1. Phạm vi.", "Bộ luật này quy định.", "Nó áp dụng."]


def test_each_line_is_its_own_unit() -> None:
    text = "Người lao động có quyền sau đây:\na) Làm việc;\n- gạch đầu dòng\n+ dấu cộng"
    assert texts_of(text) == [
        "Người lao động có quyền sau đây:",
        "a) Làm việc;",
        "- gạch đầu dòng",
        "+ dấu cộng",
    ]


def test_abbreviation_is_not_a_sentence_end() -> None:
    text = "Công ty có trụ sở tại TP. HCM và chi nhánh ở Hà Nội. Xong."
    assert texts_of(text) == ["Công ty có trụ sở tại TP. HCM và chi nhánh ở Hà Nội.", "Xong."]


@pytest.mark.parametrize(
    "line",
    ["1. Người lao động.", "Điều 5. Phạm vi điều chỉnh", "II. MỤC TIÊU", "Mục 1.2. Quy định"],
)
def test_enumerator_stays_with_its_text(line: str) -> None:
    # sent_tokenize alone would give "1." / "Điều 5." / "II." as sentences of their own.
    assert texts_of(line) == [line]


def test_no_cut_without_space_after_the_stop() -> None:
    assert texts_of("Xem www.example.com nhé") == ["Xem www.example.com nhé"]


def test_nfd_input_is_spanned_as_given() -> None:
    text = unicodedata.normalize("NFD", "Người lao động. Hòa giải viên.")
    assert texts_of(text) == [unicodedata.normalize("NFD", s) for s in ("Người lao động.", "Hòa giải viên.")]
    assert rebuild(text) == text


def test_align_survives_rewritten_whitespace() -> None:
    # If sent_tokenize ever squeezed whitespace, the span still covers the same characters.
    line = "Câu  một.   Câu\thai."
    assert _align(line, "Câu một.", 0) == (0, 9)
    assert _align(line, "Câu hai.", 9) == (12, 20)


@pytest.mark.parametrize("name", ["bo-luat-lao-dong-2019.txt", "qd-131-2022-ttg.txt"])
def test_spans_on_corpus_text(name: str) -> None:
    full = display_form((CORPUS / name).read_text(encoding="utf-8"))
    for offset in (0, len(full) // 3, len(full) - 4000):
        text = full[max(offset, 0) : max(offset, 0) + 4000]
        spans = sentence_spans(text)
        assert spans
        assert_valid_spans(text)
        in_span = [False] * len(text)
        for start, end in spans:
            in_span[start:end] = [True] * (end - start)
        assert all(in_span[i] for i, c in enumerate(text) if not c.isspace())


# --- tokens -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("variants", "expected"),
    [
        (["15/2020/NĐ-CP", "15/2020/ND-CP", "15/2020/nđ-cp", "15/2020/N\u00d0-CP"], "15/2020/nđ-cp"),
        (["100/2015/QH13", "100/2015/qh13"], "100/2015/qh13"),
        (["45/2019/QH14"], "45/2019/qh14"),
        (["131/QĐ-TTg", "131/QD-TTg", "131/qđ-ttg"], "131/qđ-ttg"),
        (["01/2021/TT-BLĐTBXH", "01/2021/TT-BLDTBXH"], "01/2021/tt-blđtbxh"),
        (["NĐ-CP", "ND-CP", "nđ-cp"], "nđ-cp"),
        (["QĐ-TTg", "QD-TTg"], "qđ-ttg"),
        (["18-NQ/TW"], "18-nq/tw"),
    ],
)
def test_document_numbers_are_single_canonical_tokens(variants: list[str], expected: str) -> None:
    for v in variants:
        assert tokenize(f"Theo Nghị định số {v}, ngày 01/01/2020.") == [
            "theo",
            "nghị_định",
            "số",
            expected,
            "ngày",
            "01/01/2020",
        ], v


def test_doc_number_inside_sentence() -> None:
    tokens = tokenize("Quyết định 131/QĐ-TTg và Luật số 45/2019/QH14 về lao động.")
    assert "131/qđ-ttg" in tokens
    assert "45/2019/qh14" in tokens
    assert "/" not in tokens
    assert "qđ-ttg" not in tokens


def test_dates_and_units_are_not_document_numbers() -> None:
    tokens = tokenize("ngày 25/01/2022, làm 8 giờ/ngày, 24/24")
    assert "25/01/2022" in tokens
    assert "24/24" in tokens
    assert "giờ" in tokens
    assert "ngày" in tokens


def test_multi_syllable_words_are_joined() -> None:
    tokens = tokenize("người lao động")
    assert "lao_động" in tokens
    assert any("_" in t for t in tokens)


def test_numbers_and_percent() -> None:
    assert tokenize("mức 50% của 12 tháng năm 2025") == ["mức", "50", "của", "12", "tháng", "năm", "2025"]


def test_punctuation_dropped() -> None:
    tokens = tokenize('Điều 5. "Quyền" (của) người lao động; a) ... - + !')
    assert tokens
    assert all(re.search(r"\w", t) for t in tokens)
    assert "điều" in tokens
    assert "a" in tokens


def test_nfd_and_nfc_queries_tokenize_alike() -> None:
    q = "Người lao động được nghỉ bao nhiêu ngày theo Nghị định 15/2020/NĐ-CP?"
    nfd = unicodedata.normalize("NFD", q)
    assert tokenize(normalize_query(nfd)) == tokenize(normalize_query(q)) == tokenize(q)


def test_tone_mark_conventions_tokenize_alike() -> None:
    assert tokenize("hoà giải viên, thuỷ sản, khoẻ mạnh") == tokenize("hòa giải viên, thủy sản, khỏe mạnh")


def test_query_shares_tokens_with_document() -> None:
    doc = "Hợp đồng lao động là sự thỏa thuận giữa người lao động và người sử dụng lao động."
    query = normalize_query("hợp đồng lao động là gì?")
    assert {"hợp_đồng", "lao_động"} <= set(tokenize(query)) & set(tokenize(doc))


def test_tokenize_many_matches_tokenize() -> None:
    texts = ["Điều 1. Phạm vi điều chỉnh", "", "Nghị định 15/2020/ND-CP", "hoà giải"]
    assert tokenize_many(texts) == [tokenize(t) for t in texts]


def test_tokenize_many_in_worker_processes() -> None:
    text = display_form((CORPUS / "qd-131-2022-ttg.txt").read_text(encoding="utf-8"))
    texts = [line for line in text.splitlines() if line.strip()][:40]
    assert tokenize_many(texts, workers=2) == tokenize_many(texts)
