"""Which crime a question describes (``api.retrieval.signals.crimes``)."""

import pytest

from api.retrieval.signals.crimes import CrimeNames

HEADINGS = [
    (0, "Điều 173. Tội trộm cắp tài sản"),
    (1, "Điều 321. Tội đánh bạc"),
    (2, "Điều 322. Tội tổ chức đánh bạc hoặc gá bạc"),
    (3, "Điều 369. Tội không truy cứu trách nhiệm hình sự người có tội"),
    (4, "Điều 38. Tù có thời hạn"),
]


@pytest.fixture
def crimes() -> CrimeNames:
    return CrimeNames(HEADINGS, 6)


def test_the_crime_the_question_names_by_syllable(crimes: CrimeNames) -> None:
    shares = crimes.coverage("Ăn trộm chiếc xe máy 30 triệu thì bị phạt tù bao lâu?")
    assert shares[0] == pytest.approx(1 / 4)  # "trộm" of "trộm cắp tài sản"
    assert shares[1:].tolist() == [0, 0, 0, 0, 0]


def test_a_name_the_question_covers_whole_beats_a_longer_one(crimes: CrimeNames) -> None:
    shares = crimes.coverage("Đánh bạc 60 triệu đồng thì bị phạt tù bao nhiêu năm?")
    assert shares[1] == 1.0
    assert 0 < shares[2] < shares[1]


def test_the_frame_is_not_the_subject(crimes: CrimeNames) -> None:
    # "truy cứu trách nhiệm hình sự" asks about a crime; it does not name Điều 369.
    assert crimes.coverage("Ngoại tình thì bị truy cứu trách nhiệm hình sự ra sao?")[3] == 0


def test_only_questions_about_a_penalty_and_only_crime_articles(crimes: CrimeNames) -> None:
    assert not crimes.coverage("Trộm cắp tài sản là gì?").any()
    assert crimes.coverage("Tù có thời hạn thì bị phạt tù bao lâu?")[4] == 0  # not a crime's heading
