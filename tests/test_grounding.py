"""The sentence-by-sentence checks of a generated reply, on passages of the fixture law."""

import pytest

from api.answering.grounding import (
    MARKERS_ONLY,
    REFUSED,
    RESTATES_QUESTION,
    UNMARKED,
    UNSUPPORTED,
    Checked,
    check,
)
from api.retrieval.retriever import Hit
from ingest.structure.units import Unit

QUESTION = "Người lao động được nghỉ Tết Âm lịch mấy ngày?"


def hit(label: str, heading: str, text: str) -> Hit:
    unit = Unit("luat-mau-2020", 0, [], "diem", 0, len(text), text, heading, label=label)
    return Hit(unit, 1.0)


HITS = [
    hit("Điểm a Khoản 1 Điều 3 Luật Nghỉ phép mẫu", "Điều 3. Nghỉ hằng năm",
        "a) 12 ngày làm việc đối với người làm công việc trong điều kiện bình thường;"),
    hit("Điểm b Khoản 1 Điều 5 Luật Nghỉ phép mẫu", "Điều 5. Nghỉ lễ, tết", "b) Tết Âm lịch: 05 ngày;"),
]  # fmt: skip


def reasons(checked: Checked) -> list[str]:
    return [reason for _, reason in checked.dropped]


def test_a_cited_claim_is_kept_and_renumbered() -> None:
    checked = check("Tết Âm lịch được nghỉ 5 ngày [2].", QUESTION, HITS)
    assert checked.accepted
    assert checked.text == "Tết Âm lịch được nghỉ 5 ngày [1]."
    assert checked.cited == [HITS[1]]
    assert checked.dropped == []


@pytest.mark.parametrize(
    ("reply", "why"),
    [
        ("[1] [2]", [MARKERS_ONLY]),
        ("[1]\n[2]", [MARKERS_ONLY, MARKERS_ONLY]),
        ("Người lao động được nghỉ Tết Âm lịch mấy ngày? [2]", [RESTATES_QUESTION]),
        ("Người lao động được nghỉ Tết Âm lịch [2].", [RESTATES_QUESTION]),
        ("Tết Âm lịch được nghỉ 05 ngày.", [UNMARKED]),
        ("Tết Âm lịch được nghỉ 05 ngày [7].", [UNMARKED]),
        # The fact without a marker, the marker on a restatement of the question.
        ("Tết Âm lịch được nghỉ 05 ngày.\nNgười lao động được nghỉ Tết Âm lịch mấy ngày [2].",
         [UNMARKED, RESTATES_QUESTION]),
        ("Tết Âm lịch được nghỉ 07 ngày [2].", [UNSUPPORTED]),  # the figure is not in passage 2
        ("Tết Âm lịch được nghỉ 05 ngày [1].", [UNSUPPORTED]),  # passage 1 says nothing of it
        ("Được nghỉ thoải mái [2].", [UNSUPPORTED]),
        ("KHONG_DU_CAN_CU", [REFUSED]),
    ],
)  # fmt: skip
def test_replies_that_say_nothing_cited_are_rejected(reply: str, why: list[str]) -> None:
    checked = check(reply, QUESTION, HITS)
    assert not checked.accepted
    assert checked.text == ""
    assert checked.cited == []
    assert reasons(checked) == why


def test_unmarked_claims_are_dropped_and_the_cited_ones_kept() -> None:
    reply = "Tết Âm lịch được nghỉ 05 ngày [2]. Ngoài ra còn được thưởng Tết 2 tháng lương."
    checked = check(reply, QUESTION, HITS)
    assert checked.text == "Tết Âm lịch được nghỉ 05 ngày [1]."
    assert reasons(checked) == [UNMARKED]
    assert checked.reason == "no valid marker ×1"


def test_a_line_of_markers_cites_the_sentence_before_it() -> None:
    checked = check("Tết Âm lịch được nghỉ 05 ngày.\n[2]", QUESTION, HITS)
    assert checked.text == "Tết Âm lịch được nghỉ 05 ngày. [1]"
    assert checked.cited == [HITS[1]]


def test_a_lead_in_stays_with_the_cited_list_it_introduces() -> None:
    reply = "Theo quy định:\n- Tết Âm lịch: 05 ngày [2];\n- Nghỉ hằng năm: 12 ngày làm việc [1]."
    checked = check(reply, QUESTION, HITS)
    assert checked.text.splitlines() == ["Theo quy định:", "- Tết Âm lịch: 05 ngày [1];",
                                         "- Nghỉ hằng năm: 12 ngày làm việc [2]."]  # fmt: skip
    assert checked.cited == [HITS[1], HITS[0]]


def test_sentences_split_at_their_ends_not_inside_numbers() -> None:
    reply = "Tết Âm lịch được nghỉ 05 ngày [2]. Lương 1.500.000 đồng."
    checked = check(reply, QUESTION, HITS)
    assert checked.text == "Tết Âm lịch được nghỉ 05 ngày [1]."
    assert checked.dropped == [("Lương 1.500.000 đồng.", UNMARKED)]


def test_a_yes_no_question_may_be_answered_by_confirming_it() -> None:
    question = "Người lao động được nghỉ Tết Âm lịch 05 ngày đúng không?"
    checked = check("Đúng, người lao động được nghỉ Tết Âm lịch 05 ngày [2].", question, HITS)
    assert checked.accepted
    statement = question.removesuffix(" đúng không?") + "?"
    assert not check("Người lao động được nghỉ Tết Âm lịch 05 ngày [2].", statement, HITS).accepted


def test_markers_opening_a_line_cite_each_sentence_of_it() -> None:
    reply = "[2] Người lao động được nghỉ Tết Âm lịch. Thời gian nghỉ là 05 ngày.\nNghỉ hằng năm 12 ngày."
    checked = check(reply, QUESTION, HITS)
    assert checked.text == "Thời gian nghỉ là 05 ngày. [1]"
    assert reasons(checked) == [RESTATES_QUESTION, UNMARKED]


def test_naming_a_provision_says_nothing() -> None:
    reply = "Người lao động được nghỉ Tết Âm lịch mấy ngày?\n[2] Điều 5. Nghỉ lễ, tết [1]."
    checked = check(reply, QUESTION, HITS)
    assert not checked.accepted
    assert reasons(checked)[:2] == [RESTATES_QUESTION, RESTATES_QUESTION]  # the question, "[2] Điều 5."


def test_markers_after_a_cited_sentence_open_the_next_one() -> None:
    reply = "[2] Tết Âm lịch được nghỉ 05 ngày. [1] Nghỉ hằng năm 12 ngày làm việc."
    checked = check(reply, QUESTION, HITS)
    assert checked.text == "[1] Tết Âm lịch được nghỉ 05 ngày. [2] Nghỉ hằng năm 12 ngày làm việc."
    assert checked.cited == [HITS[1], HITS[0]]


def test_figures_match_with_or_without_leading_zeros() -> None:
    text = "Thời hiệu khởi kiện để yêu cầu Tòa án giải quyết tranh chấp hợp đồng là 03 năm."
    limit = hit("Điều 429 Bộ luật Dân sự", "Điều 429. Thời hiệu khởi kiện về hợp đồng", text)
    checked = check("Thời hiệu khởi kiện là 3 năm [1].", "Thời hiệu khởi kiện hợp đồng là mấy năm?", [limit])
    assert checked.accepted


def test_a_bound_the_passages_do_not_state_is_not_supported() -> None:
    # A real model's misread: the right number, with the bound of the neighbouring clause.
    text = (
        "1. Người từ đủ 16 tuổi trở lên phải chịu trách nhiệm hình sự về mọi tội phạm. "
        "2. Người từ đủ 14 tuổi đến dưới 16 tuổi phải chịu trách nhiệm hình sự về tội phạm rất nghiêm trọng."
    )
    age = hit("Điều 12 Bộ luật Hình sự", "Điều 12. Tuổi chịu trách nhiệm hình sự", text)
    question = "Từ bao nhiêu tuổi thì phải chịu trách nhiệm hình sự về mọi tội phạm?"
    claim = "Người từ đủ {} tuổi trở lên phải chịu trách nhiệm hình sự về mọi tội phạm [1]."
    assert reasons(check(claim.format(14), question, [age])) == [UNSUPPORTED]
    assert check(claim.format(16), question, [age]).accepted
