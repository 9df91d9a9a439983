import unicodedata

import pytest

from ingest.text.normalize import display_form, match_form, normalize_query


@pytest.mark.parametrize(
    ("new_style", "old_style"),
    [
        ("hoà", "hòa"),
        ("thuỷ", "thủy"),
        ("khoẻ", "khỏe"),
        ("Toà án", "Tòa án"),
        ("uỷ ban", "ủy ban"),
        ("HOÀ", "HÒA"),
    ],
)
def test_one_tone_mark_convention(new_style: str, old_style: str) -> None:
    assert match_form(new_style) == match_form(old_style) == old_style


@pytest.mark.parametrize("word", ["quý", "quỳ", "hoàng", "luật", "người", "thuở", "được", "khuyến", "quá"])
def test_words_whose_tone_has_one_place_are_left_alone(word: str) -> None:
    assert match_form(word) == word


def test_match_form_keeps_length_so_offsets_carry_over() -> None:
    text = display_form("Ðiều 5. Hoà giải tại Toà án; thuỷ sản; quý khách.")
    assert len(match_form(text)) == len(text)
    assert match_form(text).startswith("Điều 5. Hòa giải tại Tòa án")


def test_display_form_is_nfc_with_unified_line_endings() -> None:
    raw = "\ufeff" + unicodedata.normalize("NFD", "Điều 1.\r\nNgười lao động\rkhoản") + "\n"
    assert display_form(raw) == "Điều 1.\nNgười lao động\nkhoản\n"


def test_queries_are_normalised_like_documents() -> None:
    nfd = unicodedata.normalize("NFD", "  Hoà giải viên lao động là ai?  ")
    assert normalize_query(nfd) == "Hòa giải viên lao động là ai?"
