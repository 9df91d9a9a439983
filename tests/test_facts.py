"""Facts in questions, conditions in provisions, and applying one to the other, on inputs small
enough to check by hand."""

import math

import pytest

from api.answering.answer import MAX_SENTENCE_CHARS, best_sentence
from api.retrieval.facts import Verdict, apply_facts, asked_dims, verdict
from api.retrieval.index import Document
from ingest.structure.conditions import (
    CONDITION,
    EDUCATION,
    LIMIT,
    SANCTION,
    Condition,
    figure_kinds,
    read_conditions,
    read_facts,
)
from ingest.structure.parse import parse_units
from ingest.structure.quantities import AGE, DAYS, HOURS, MONEY, MONTHS, PERCENT, TIMES, Range, quantities
from ingest.structure.units import DocumentMeta, Unit


@pytest.mark.parametrize(
    ("text", "dim", "value"),
    [
        ("trộm 3 triệu", MONEY, 3_000_000),
        ("trộm 3tr", MONEY, 3_000_000),
        ("3.000.000 đồng", MONEY, 3_000_000),
        ("lừa 1,5 tỷ đồng", MONEY, 1_500_000_000),
        ("500k", MONEY, 500_000),
        ("ba triệu đồng", MONEY, 3_000_000),
        ("con 16 tuổi", AGE, 16),
        ("mười lăm tuổi", AGE, 15),
        ("hai mươi mốt tuổi", AGE, 21),
        ("con 36 tháng tuổi", AGE, 3),
        ("làm 40 giờ", HOURS, 40),
        ("hợp đồng 2 năm", MONTHS, 24),
        ("hợp đồng 12 tháng", MONTHS, 12),
        ("báo trước 03 ngày làm việc", DAYS, 3),
        ("phạm tội 3 lần", TIMES, 3),
        ("thương tích 20%", PERCENT, 20),
        ("lãi 30 phần trăm", PERCENT, 30),
    ],
)
def test_quantities_are_read_into_base_units(text: str, dim: str, value: float) -> None:
    found = list(quantities(text))
    assert [(q.dim, q.value) for q in found] == [(dim, pytest.approx(value))]
    assert text[found[0].start : found[0].end].strip()


@pytest.mark.parametrize(
    "text",
    ["ngày 01 tháng 7 năm 2020", "Điều 173 khoản 2", "hằng năm người lao động", "điểm 5 đ", "năm tháng"],
)
def test_dates_references_and_lookalike_words_are_not_quantities(text: str) -> None:
    assert list(quantities(text)) == []


def test_periods_are_not_facts() -> None:
    assert read_facts("Làm thêm giờ tối đa bao nhiêu giờ một tháng?") == []
    assert read_facts("Làm thêm không quá 40 giờ trong 01 tháng à?") == []


def test_facts_keep_the_comparison_the_question_states() -> None:
    assert read_facts("Trộm 3 triệu đồng bị phạt tù bao lâu?") == [Range(MONEY, 3e6, 3e6, True, True)]
    assert read_facts("con dưới 36 tháng tuổi ở với ai?") == [Range(AGE, 0, 3, True, False)]
    assert read_facts("người trên 60 tuổi") == [Range(AGE, 60, math.inf, False, False)]
    # "đủ 12 tháng" describes the case: 12 months worked.
    assert read_facts("làm đủ 12 tháng") == [Range(MONTHS, 12, 12, True, True)]


def roles(text: str) -> list[tuple[str, Range, str]]:
    return [(c.role, c.range, text[c.start : c.end]) for c in read_conditions(text)]


def test_conditions_sanctions_and_limits_of_a_clause() -> None:
    text = (
        "1. Người nào trộm cắp tài sản của người khác trị giá từ 2.000.000 đồng đến dưới 50.000.000 đồng "
        "hoặc dưới 2.000.000 đồng nhưng thuộc một trong các trường hợp sau đây, thì bị phạt cải tạo không "
        "giam giữ đến 03 năm hoặc phạt tù từ 06 tháng đến 03 năm:"
    )
    assert roles(text) == [
        (CONDITION, Range(MONEY, 2e6, 5e7, True, False), "từ 2.000.000 đồng đến dưới 50.000.000 đồng"),
        (CONDITION, Range(MONEY, 0, 2e6, True, False), "dưới 2.000.000 đồng"),
        (SANCTION, Range(MONTHS, 6, 36, True, True), "từ 06 tháng đến 03 năm"),
    ]
    limits = roles("b) ... không quá 12 giờ trong 01 ngày; không quá 40 giờ trong 01 tháng;")
    assert [(r, rng, s) for r, rng, s in limits] == [
        (LIMIT, Range(HOURS, 0, 12, True, True), "không quá 12 giờ"),
        (LIMIT, Range(HOURS, 0, 40, True, True), "không quá 40 giờ"),
    ]


def test_supplementary_penalties_are_sanctions() -> None:
    text = "còn có thể bị cấm đảm nhiệm chức vụ nhất định từ 01 năm đến 05 năm"
    assert [c.role for c in read_conditions(text)] == [SANCTION]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("người từ đủ 16 tuổi trở lên", Range(AGE, 16, math.inf, True, False)),
        ("người từ đủ 16 đến dưới 18 tuổi", Range(AGE, 16, 18, True, False)),
        ("người từ đủ 14 tuổi trở lên, nhưng chưa đủ 16 tuổi", Range(AGE, 14, 16, True, False)),
        ("từ đủ mười lăm tuổi đến chưa đủ mười tám tuổi", Range(AGE, 15, 18, True, False)),
        ("người chưa đủ 18 tuổi", Range(AGE, 0, 18, True, False)),
        ("tỷ lệ tổn thương cơ thể 61% trở lên", Range(PERCENT, 61, math.inf, True, False)),
        ("phạm tội 02 lần trở lên", Range(TIMES, 2, math.inf, True, False)),
        ("có thời hạn từ 12 tháng đến 36 tháng", Range(MONTHS, 12, 36, True, True)),
        ("làm việc đủ 12 tháng", Range(MONTHS, 12, math.inf, True, False)),
    ],
)
def test_condition_phrases(text: str, expected: Range) -> None:
    assert [(c.role, c.range) for c in read_conditions(text)] == [(CONDITION, expected)]


def test_conditions_round_trip_through_the_unit_store() -> None:
    cond = read_conditions("trị giá 500.000.000 đồng trở lên")[0]
    assert Condition.from_dict(cond.to_dict()) == cond
    assert cond.to_dict()["high"] is None  # JSON has no infinity


def test_ranges_contain_and_exclude() -> None:
    clause = Range(MONEY, 2e6, 5e7, True, False)
    assert clause.contains(Range(MONEY, 3e6, 3e6, True, True))
    assert clause.contains(Range(MONEY, 2e6, 2e6, True, True))
    assert clause.disjoint(Range(MONEY, 5e7, 5e7, True, True))  # "đến dưới 50.000.000"
    under_18 = Range(AGE, 0, 18, True, False)
    assert not under_18.contains(Range(AGE, 16, math.inf, True, False))
    assert not under_18.disjoint(Range(AGE, 16, math.inf, True, False))
    assert not clause.disjoint(Range(AGE, 16, 16, True, True))  # other dimensions never meet


def test_verdict() -> None:
    three_million = [Range(MONEY, 3e6, 3e6, True, True)]
    clause1 = [Range(MONEY, 2e6, 5e7, True, False), Range(MONEY, 0, 2e6, True, False)]
    assert verdict(clause1, three_million) is Verdict.APPLIES
    assert verdict([Range(MONEY, 5e7, 2e8, True, False)], three_million) is Verdict.EXCLUDES
    assert verdict([Range(AGE, 16, math.inf, True, False)], three_million) is Verdict.SILENT
    assert verdict([], three_million) is Verdict.SILENT


THEFT = """Bộ luật mẫu
Điều 1. Tội trộm cắp tài sản
1. Người nào trộm cắp tài sản trị giá từ 2.000.000 đồng đến dưới 50.000.000 đồng hoặc dưới 2.000.000 đồng nhưng thuộc một trong các trường hợp sau đây, thì bị phạt tù từ 06 tháng đến 03 năm:
a) Đã bị xử phạt vi phạm hành chính mà còn vi phạm;
b) Tài sản là phương tiện kiếm sống chính của người bị hại.
2. Phạm tội thuộc một trong các trường hợp sau đây, thì bị phạt tù từ 02 năm đến 07 năm:
a) Có tổ chức;
b) Chiếm đoạt tài sản trị giá từ 50.000.000 đồng đến dưới 200.000.000 đồng.
3. Phạm tội chiếm đoạt tài sản trị giá từ 200.000.000 đồng trở lên, thì bị phạt tù từ 07 năm đến 15 năm.
"""  # noqa: E501


@pytest.fixture
def theft() -> tuple[dict[str, Document], dict[str, Unit]]:
    units = parse_units("mau", THEFT, "Bộ luật mẫu")
    doc = Document(DocumentMeta("mau", "Bộ luật mẫu"), [])
    for u in units:
        doc.add(u)
    return {"mau": doc}, {u.label.split(" Bộ")[0]: u for u in units}


def labels(ranked: list[tuple[Unit, Verdict]]) -> list[tuple[str, Verdict]]:
    return [(u.label.split(" Bộ")[0], v) for u, v in ranked]


def test_the_clause_whose_amount_contains_the_question_s_leads(theft: tuple) -> None:
    documents, unit = theft
    # Retrieval put the 50-200 million point and clause 3 first, clause 1 not at all.
    ranking = [unit["Điểm b khoản 2 Điều 1"], unit["Khoản 3 Điều 1"], unit["Khoản 2 Điều 1"]]
    ranked = apply_facts(documents, ranking, read_facts("trộm 3 triệu đồng bị phạt tù bao lâu?"), 5)
    assert labels(ranked) == [
        ("Khoản 1 Điều 1", Verdict.APPLIES),
        ("Khoản 2 Điều 1", Verdict.SILENT),
        # Excluded ones last, in their ranking order.
        ("Điểm b khoản 2 Điều 1", Verdict.EXCLUDES),
        ("Khoản 3 Điều 1", Verdict.EXCLUDES),
    ]


def test_a_larger_amount_picks_the_point_that_states_it(theft: tuple) -> None:
    documents, unit = theft
    ranking = [unit["Khoản 1 Điều 1"], unit["Điểm a khoản 1 Điều 1"], unit["Khoản 3 Điều 1"]]
    ranked = apply_facts(documents, ranking, read_facts("trộm 120 triệu"), 5)
    assert labels(ranked) == [
        ("Điểm b khoản 2 Điều 1", Verdict.APPLIES),
        ("Khoản 1 Điều 1", Verdict.EXCLUDES),
        # A point shares the amount condition of its clause.
        ("Điểm a khoản 1 Điều 1", Verdict.EXCLUDES),
        ("Khoản 3 Điều 1", Verdict.EXCLUDES),
    ]


def test_without_facts_the_ranking_is_kept(theft: tuple) -> None:
    documents, unit = theft
    ranking = [unit["Khoản 3 Điều 1"], unit["Khoản 1 Điều 1"]]
    assert [u for u, _ in apply_facts(documents, ranking, [], 5)] == ranking


@pytest.mark.parametrize(
    ("question", "dims"),
    [
        ("Làm thêm tối đa bao nhiêu giờ một tháng?", {HOURS}),
        ("Thử việc tối đa mấy ngày?", {DAYS}),
        ("Lương làm đêm được trả thêm bao nhiêu phần trăm?", {PERCENT}),
        ("Trộm 3 triệu bị phạt tù bao lâu?", {MONTHS, DAYS, HOURS, MONEY}),
        ("Người lao động có quyền gì?", set()),
    ],
)
def test_what_a_question_asks_for(question: str, dims: set[str]) -> None:
    assert asked_dims(question) == dims


def test_the_sentence_shown_states_the_figure_asked_for() -> None:
    text = (
        "Thời giờ làm việc do hai bên thỏa thuận. Người sử dụng lao động phải thông báo cho người "
        "lao động biết về thời giờ làm việc. Thời giờ làm việc không quá 08 giờ trong 01 ngày."
    )
    words = {"thời", "giờ", "làm", "việc", "người", "lao", "động"}
    assert best_sentence(text, words).startswith("Người sử dụng lao động")
    assert (
        best_sentence(text, words, frozenset({HOURS})) == "Thời giờ làm việc không quá 08 giờ trong 01 ngày."
    )


def test_a_long_sentence_loses_its_middle_not_the_figure() -> None:
    sentence = "1. Người nào " + "vi phạm quy định " * 40 + "thì bị phạt tù từ 06 tháng đến 03 năm."
    shown = best_sentence(sentence, set(), frozenset({MONTHS}))
    assert len(shown) <= MAX_SENTENCE_CHARS
    assert shown.startswith("Người nào vi phạm")
    assert " … " in shown
    assert shown.endswith("phạt tù từ 06 tháng đến 03 năm.")
    # Without a figure asked for, the end is what goes.
    assert best_sentence(sentence, set()).endswith(" …")


def test_the_kinds_of_figure_a_text_states() -> None:
    assert figure_kinds("Tết Âm lịch: 05 ngày; không quá 40 giờ trong 01 tháng") == [DAYS, HOURS, MONTHS]
    assert figure_kinds("thông qua ngày 17 tháng 6 năm 2020, sửa đổi Điều 7") == []  # dates, references


def test_education_levels_are_ordered_conditions() -> None:
    college_up = "Không quá 60 ngày đối với công việc cần trình độ chuyên môn, kỹ thuật từ cao đẳng trở lên;"
    vocational = "Không quá 30 ngày đối với công việc cần trình độ chuyên môn, kỹ thuật trung cấp;"
    graduate = read_facts("Thử việc vị trí kỹ sư tốt nghiệp đại học được tối đa bao nhiêu ngày?")
    assert set(graduate) == {Range(EDUCATION, 6, 6, True, True)}
    college = [c.range for c in read_conditions(college_up) if c.role == CONDITION]
    assert college == [Range(EDUCATION, 5, math.inf, True, False)]
    assert verdict(college, graduate) is Verdict.APPLIES
    # A level a job needs is a minimum: a graduate meets it too, more loosely than "từ cao đẳng".
    assert [c.range for c in read_conditions(vocational)][-1] == Range(EDUCATION, 4, math.inf, True, False)
    # Only as a qualification: a school's name says nothing of anyone's level.
    assert read_conditions("cơ sở giáo dục đại học tự chủ") == []
    assert read_facts("Sinh viên trường đại học có được vay vốn không?") == []
    assert read_facts("Thạc sĩ được xếp lương bậc mấy?") == [Range(EDUCATION, 7, 7, True, True)]
