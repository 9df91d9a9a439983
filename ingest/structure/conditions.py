"""Conditions a provision states on quantities, read at ingest, and the facts a question states.

A clause says to whom or to what it applies with ranges and thresholds: "trị giá từ 2.000.000
đồng đến dưới 50.000.000 đồng", "người từ đủ 16 tuổi trở lên", "chưa đủ 18 tuổi", "02 lần trở
lên". It also states limits ("không quá 40 giờ trong 01 tháng", "ít nhất 45 ngày") and
sanctions ("phạt tù từ 06 tháng đến 03 năm"), which are what a question asks about rather than
what decides whether the clause applies; each range keeps its role so the two are not confused.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from ingest.structure.quantities import NUMBER, UNIT, Range, folded, number_value, quantities, unit_of

CONDITION, LIMIT, SANCTION = "condition", "limit", "sanction"
# Bump when what is read changes: a build then reads the conditions of every stored unit again.
CONDITIONS_VERSION = 5

# Levels of schooling and training, in order: a job that needs "trình độ ... từ cao đẳng trở
# lên" admits a university graduate, one that needs "trung cấp" admits one a fortiori.
EDUCATION = "education"
_LEVELS = {
    "trung học cơ sở": 1, "trung học phổ thông": 2, "sơ cấp": 3, "trung cấp": 4, "cao đẳng": 5,
    "đại học": 6, "kỹ sư": 6, "kĩ sư": 6, "cử nhân": 6, "thạc sĩ": 7, "thạc sỹ": 7, "tiến sĩ": 8,
    "tiến sỹ": 8,
}  # fmt: skip
_LEVEL = "|".join(_LEVELS)
# Only as a qualification: "cơ sở giáo dục đại học" names a school, not a level anyone has.
_QUALIFICATION = re.compile(
    rf"(?:trình\s+độ|tốt\s+nghiệp|bằng)(?:\s+[^\s.;:?!]+){{0,4}}?\s+(?:từ\s+)?"
    rf"(?P<level>{_LEVEL})(?!\w)(?P<up>\s+trở\s+lên)?"
)
# A question may name the degree alone: "kỹ sư", "thạc sĩ".
_DEGREE = re.compile(r"(?<!\w)(?P<level>k[ỹĩ] sư|cử nhân|thạc s[ĩỹ]|tiến s[ĩỹ])(?!\w)")

_Q = rf"(?P<a>{NUMBER})\s*(?P<ua>{UNIT})"
# Order matters: a span claimed by an earlier pattern is not read again by a later one.
_PATTERNS: list[tuple[str, re.Pattern[str]]] = [
    (
        "between",
        re.compile(
            rf"từ\s+(?:đủ\s+)?(?P<a>{NUMBER})\s*(?P<ua>{UNIT})?\s*(?:đến|tới|-|–)\s*"
            rf"(?P<op>dưới|chưa\s+đủ|không\s+quá)?\s*(?P<b>{NUMBER})\s*(?P<ub>{UNIT})(?!\w)"
        ),
    ),
    # "từ đủ 14 tuổi trở lên, nhưng chưa đủ 16 tuổi" is one range, not "14 or more".
    (
        "between",
        re.compile(
            rf"(?:từ\s+(?:đủ\s+)?|đủ\s+)?{_Q}\s+trở\s+lên\s*,?\s*(?:nhưng|và)\s+"
            rf"(?P<op>dưới|chưa\s+đủ)\s+(?P<b>{NUMBER})\s*(?P<ub>{UNIT})(?!\w)"
        ),
    ),
    ("at_least", re.compile(rf"(?:từ\s+(?:đủ\s+)?|đủ\s+)?{_Q}\s+trở\s+lên")),
    ("max", re.compile(rf"(?:không\s+(?:được\s+)?(?:vượt\s+)?quá|tối\s+đa(?:\s+là)?)\s+{_Q}(?!\w)")),
    ("min", re.compile(rf"(?:ít\s+nhất|tối\s+thiểu)(?:\s+(?:là|bằng))?\s+{_Q}(?!\w)")),
    ("below", re.compile(rf"(?:dưới|chưa\s+đủ|chưa\s+tới|chưa\s+đến|ít\s+hơn)\s+{_Q}(?!\w)")),
    ("above", re.compile(rf"(?:trên|hơn|quá|vượt\s+quá)\s+{_Q}(?!\w)")),
    ("full", re.compile(rf"đủ\s+{_Q}(?!\w)")),
]
# A range right after these words is a penalty ("phạt tù từ 02 năm đến 07 năm", "cấm đảm
# nhiệm chức vụ nhất định từ 01 năm đến 05 năm", "quản chế", "thời gian thử thách").
_SANCTION_BEFORE = re.compile(
    r"(?:phạt\s+tù|phạt\s+tiền|phạt|tù|giam\s+giữ|cải\s+tạo|nhất\s+định|quản\s+chế|cư\s+trú|thử\s+thách)\s*$"
)


@dataclass(frozen=True)
class Condition:
    """A range a provision states, its role, and where it is in the unit's text."""

    range: Range
    role: str
    start: int
    end: int

    def to_dict(self) -> dict[str, Any]:
        r = self.range
        high = None if math.isinf(r.high) else r.high
        return {
            "dim": r.dim, "low": r.low, "high": high, "low_closed": r.low_closed,
            "high_closed": r.high_closed, "role": self.role, "start": self.start, "end": self.end,
        }  # fmt: skip

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Condition:
        high = math.inf if data["high"] is None else float(data["high"])
        rng = Range(data["dim"], float(data["low"]), high, data["low_closed"], data["high_closed"])
        return cls(rng, data["role"], data["start"], data["end"])


def _value(num: str, unit: str) -> tuple[str, float] | None:
    value = number_value(num)
    if value is None:
        return None
    dim, factor = unit_of(unit)
    return dim, value * factor


def _ranges(low: str) -> Iterator[tuple[str, Range, int, int]]:
    """(pattern name, range, start, end) of every range phrase in lower-cased matching text."""
    claimed: list[tuple[int, int]] = []
    found = []
    for name, rx in _PATTERNS:
        for m in rx.finditer(low):
            if any(m.start() < e and s < m.end() for s, e in claimed):
                continue
            b = _value(m.group("a"), m.group("ua")) if m.group("ua") else None
            if name == "between":
                high = _value(m.group("b"), m.group("ub"))
                if high is None:
                    continue
                if b is None:  # "từ đủ 16 đến dưới 18 tuổi": the unit is said once, at the end
                    value = number_value(m.group("a"))
                    b = None if value is None else (high[0], value * unit_of(m.group("ub"))[1])
                if b is None or b[0] != high[0] or b[1] > high[1]:
                    continue
                op = m.group("op") or ""
                rng = Range(high[0], b[1], high[1], True, not op.startswith(("dưới", "chưa")))
            else:
                if b is None:
                    continue
                dim, value = b
                rng = {
                    "at_least": Range(dim, value, math.inf, True, False),
                    "max": Range(dim, 0.0, value, True, True),
                    "min": Range(dim, value, math.inf, True, False),
                    "below": Range(dim, 0.0, value, True, False),
                    "above": Range(dim, value, math.inf, False, False),
                    "full": Range(dim, value, math.inf, True, False),
                }[name]
            claimed.append((m.start(), m.end()))
            found.append((m.start(), name, rng, m.end()))
    for start, name, rng, end in sorted(found, key=lambda f: f[0]):
        yield name, rng, start, end


def _levels(low: str, degrees: bool) -> Iterator[tuple[float, bool, int, int]]:
    """(level, "trở lên" said, start, end) of the education levels lower-cased ``low`` names."""
    found = {m.start("level"): m for m in _QUALIFICATION.finditer(low)}
    for m in _DEGREE.finditer(low) if degrees else ():
        found.setdefault(m.start("level"), m)
    for start, m in sorted(found.items()):
        up = "up" in m.groupdict() and m.group("up") is not None
        yield float(_LEVELS[" ".join(m.group("level").split())]), up, start, m.end()


def figure_kinds(text: str) -> list[str]:
    """The kinds of figure ``text`` states ("05 ngày", "không quá 40 giờ": days, hours)."""
    return sorted({q.dim for q in quantities(text)})


def read_conditions(text: str) -> list[Condition]:
    """The ranges a provision's own text states, each with its role."""
    low = folded(text)
    conditions = []
    for name, rng, start, end in _ranges(low):
        if _SANCTION_BEFORE.search(low, max(0, start - 24), start):
            role = SANCTION
        elif name in ("max", "min"):
            role = LIMIT
        else:
            role = CONDITION
        conditions.append(Condition(rng, role, start, end))
    # A level a provision asks for is a minimum, said or not.
    for level, _, start, end in _levels(low, degrees=False):
        conditions.append(Condition(Range(EDUCATION, level, math.inf, True, False), CONDITION, start, end))
    return conditions


def _fact_spans(question: str) -> list[tuple[Range, int, int]]:
    low = folded(question)
    facts, covered = [], []
    for name, rng, start, end in _ranges(low):
        covered.append((start, end))
        if name in ("max", "min"):
            continue
        if name == "full":  # "làm đủ 12 tháng": the case is 12 months, not "12 or more"
            rng = Range(rng.dim, rng.low, rng.low, True, True)
        facts.append((rng, start, end))
    for q in quantities(question, periods=False):
        if not any(s <= q.start < e for s, e in covered):
            facts.append((Range.point(q), q.start, q.end))
    for level, up, start, end in _levels(low, degrees=True):
        facts.append((Range(EDUCATION, level, math.inf if up else level, True, not up), start, end))
    return facts


def read_facts(question: str) -> list[Range]:
    """What a question says about its case: "3 triệu" is exactly 3,000,000 đồng, "dưới 18
    tuổi" any age below 18. Periods ("một tháng") and limits asked about are not facts."""
    return [rng for rng, _, _ in _fact_spans(question)]
