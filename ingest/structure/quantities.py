"""Quantities in Vietnamese legal text and questions: amounts of money, ages, durations, counts
and percentages, read into typed values that both sides compare.

"3 triệu", "3tr", "3.000.000 đồng" and "ba triệu đồng" are all 3,000,000 đồng; "36 tháng tuổi"
is an age of 3 years; "01 năm" and "12 tháng" are both 12 months. Numbers are written with
"." between thousands and "," before decimals ("1,5 tỷ"), or in words ("mười lăm tuổi").
A date ("ngày 01 tháng 7 năm 2020") is not a quantity.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator
from dataclasses import dataclass

from ingest.text.normalize import display_form, match_form

# Dimensions values are compared in, and how many base units each word is worth.
MONEY, AGE, MONTHS, DAYS, HOURS, TIMES, PEOPLE, PERCENT = (
    "money", "age", "months", "days", "hours", "times", "people", "percent",
)  # fmt: skip
_UNITS: list[tuple[str, str, float]] = [
    # Longest first: "tháng tuổi" before "tháng", "ngày làm việc" before "ngày".
    (r"tháng\s+tuổi", AGE, 1 / 12),
    (r"tuổi", AGE, 1.0),
    (r"(?:tỷ|tỉ)(?:\s+(?:đồng|vnđ|vnd))?", MONEY, 1e9),
    (r"(?:triệu|tr)(?:\s+(?:đồng|vnđ|vnd))?", MONEY, 1e6),
    (r"(?:nghìn|ngàn|k)(?:\s+(?:đồng|vnđ|vnd))?", MONEY, 1e3),
    (r"(?:đồng|vnđ|vnd|đ)", MONEY, 1.0),
    (r"(?:%|phần\s+trăm)", PERCENT, 1.0),
    (r"năm", MONTHS, 12.0),
    (r"tháng", MONTHS, 1.0),
    (r"tuần", DAYS, 7.0),
    (r"ngày(?:\s+làm\s+việc)?", DAYS, 1.0),
    (r"giờ", HOURS, 1.0),
    (r"lần", TIMES, 1.0),
    (r"người", PEOPLE, 1.0),
]
UNIT = "|".join(rx for rx, _, _ in _UNITS)

_DIGITS = {
    "không": 0, "một": 1, "mốt": 1, "hai": 2, "ba": 3, "bốn": 4, "tư": 4, "năm": 5, "lăm": 5,
    "nhăm": 5, "sáu": 6, "bảy": 7, "tám": 8, "chín": 9,
}  # fmt: skip
# A number in digits ("3", "1,5", "2.000.000") or in words ("mười lăm", "hai mươi mốt").
NUMBER = (
    r"\d{1,3}(?:\.\d{3})+(?:,\d+)?|\d+(?:[.,]\d+)?"
    r"|(?:một|hai|ba|bốn|năm|sáu|bảy|tám|chín|mười)(?:\s+(?:mươi|mười|mốt|tư|lăm|nhăm|một|hai|ba|"
    r"bốn|năm|sáu|bảy|tám|chín|trăm|linh|lẻ))*"
)
_QUANTITY = re.compile(rf"(?<![\w.,/])(?P<num>{NUMBER})\s*(?P<unit>{UNIT})(?!\w)")
# A number right after these words is part of a date, a year or a reference, not a quantity.
_NOT_AFTER = re.compile(r"(?:ngày|tháng|năm|số|điều|khoản|chương|mục|điểm)\s*$")
# "một tháng", "mỗi ngày", "trong 01 tháng", "/năm": the period a figure is counted over.
_PERIOD_BEFORE = re.compile(r"(?:mỗi|trong|/)\s*$")


@dataclass(frozen=True)
class Quantity:
    """A value in its dimension's base unit, found at ``start:end`` of the text read."""

    dim: str
    value: float
    start: int
    end: int


@dataclass(frozen=True)
class Range:
    """An interval of one dimension: ``low`` to ``high``, each end open or closed."""

    dim: str
    low: float = 0.0
    high: float = math.inf
    low_closed: bool = True
    high_closed: bool = False

    def contains(self, other: Range) -> bool:
        """Whether every value of ``other`` lies in this range."""
        if other.dim != self.dim:
            return False
        above = other.low > self.low or (other.low == self.low and (self.low_closed or not other.low_closed))
        below = other.high < self.high or (
            other.high == self.high and (self.high_closed or not other.high_closed)
        )
        return above and below

    def disjoint(self, other: Range) -> bool:
        """Whether no value lies in both ranges (ranges of other dimensions never meet)."""
        if other.dim != self.dim:
            return False
        if self.high < other.low or other.high < self.low:
            return True
        if self.high == other.low:
            return not (self.high_closed and other.low_closed)
        if other.high == self.low:
            return not (other.high_closed and self.low_closed)
        return False

    @classmethod
    def point(cls, q: Quantity) -> Range:
        return cls(q.dim, q.value, q.value, True, True)


def words_to_number(text: str) -> float | None:
    """Vietnamese number words up to the hundreds: "mười lăm" 15, "hai mươi mốt" 21."""
    words = text.split()
    total, current = 0, 0
    for i, word in enumerate(words):
        if word == "trăm":
            total, current = total + max(current, 1) * 100, 0
        elif word == "mười":
            current += 10
        elif word == "mươi":
            current = max(current, 1) * 10
        elif word in ("linh", "lẻ"):
            continue
        elif word in _DIGITS:
            if word in ("mốt", "lăm", "nhăm", "tư") and i == 0:
                return None  # only after "mươi"/"mười" are these digits
            current += _DIGITS[word]
        else:
            return None
    return float(total + current) if words else None


def number_value(text: str) -> float | None:
    """The value of a number in digits or words (as matched by ``NUMBER``)."""
    if text[0].isdigit():
        if re.fullmatch(r"\d{1,3}(?:\.\d{3})+(?:,\d+)?", text):
            return float(text.replace(".", "").replace(",", "."))
        return float(text.replace(",", "."))
    return words_to_number(text)


def unit_of(text: str) -> tuple[str, float]:
    """Dimension and factor of a unit word matched by ``UNIT``."""
    return next((dim, factor) for rx, dim, factor in _UNITS if re.fullmatch(rx, text))


def folded(text: str) -> str:
    """Lower-cased matching form; as long as the NFC text, so offsets carry over."""
    return match_form(display_form(text)).lower()


def quantities(text: str, periods: bool = True) -> Iterator[Quantity]:
    """The quantities of ``text`` in order, with offsets; without ``periods``, those that only
    say what a figure is counted over ("trong 01 tháng", "một ngày") are left out."""
    low = folded(text)
    for m in _QUANTITY.finditer(low):
        before = low[max(0, m.start() - 12) : m.start()]
        if _NOT_AFTER.search(before):
            continue
        if not periods and (_PERIOD_BEFORE.search(before) or m.group("num") == "một"):
            continue
        value = number_value(m.group("num"))
        if value is None:
            continue
        dim, factor = unit_of(m.group("unit"))
        if not m.group("num")[0].isdigit() and (dim == PEOPLE or (m.group("num") == "năm" and dim != AGE)):
            continue  # "hằng năm người ...", "năm tháng": words that only look like numbers
        if dim == MONEY and m.group("unit") == "đ" and value < 1000:
            continue  # "5 đ" is a point letter ("điểm đ") far more often than five đồng
        yield Quantity(dim, value * factor, m.start(), m.end())
