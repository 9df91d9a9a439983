"""Headings: the lines that open a structural node of a document, told by their numbering.

Codes and laws: Phần › Chương › Mục › Tiểu mục › Điều › Khoản (``1.``) › Điểm (``a)``).
Decisions and plans: Điều › Roman-numeral Mục (``II.``) › numbered tiểu mục › lettered điểm,
with ``-``/``+`` bullets and unlabelled sub-headings kept inside their unit. ``Outline`` holds
the nodes open at the current line and the last number at each level, and tells a heading
from a line that merely looks like one: its number must continue the numbering at its level.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ingest.structure.annotations import Line

_PHAN = re.compile(r"(?i)phần\s+(thứ\s+[^\s:.]+|[IVXLC]+\b|\d+\b)\s*[:.\-–]?\s*(.*)")
_CHUONG = re.compile(r"(?i)chương\s+([IVXLC]+|\d+)\b\s*[:.\-–]?\s*(.*)")
_MUC = re.compile(r"(?i)mục\s+(\d+|[IVXLC]+)\s*[.:\-–]\s*(.*)")
_TIEU_MUC = re.compile(r"(?i)tiểu\s+mục\s+(\d+)\s*[.:\-–]\s*(.*)")
DIEU = re.compile(r"Điều\s+(\d+)([a-zđ]?)\s*[.:]\s*(.*)")
_ROMAN_ITEM = re.compile(r"([IVXLC]+)\.\s+(\S.*)")
_NUMBERED = re.compile(r"(\d+)\.\s*(\S.*)")
_LETTERED = re.compile(r"([a-zđ])\)\s*(.*)")
GAP = re.compile(r"\[\s*(\.\.\.|…)\s*\]")

# Vietnamese point letters skip f, j, w, z and put đ after d.
LETTERS = "abcdđeghiklmnopqrstuvxy"
_ROMAN = {"I": 1, "V": 5, "X": 10, "L": 50, "C": 100}
ORDINALS = {
    "nhất": 1, "hai": 2, "ba": 3, "tư": 4, "bốn": 4, "năm": 5, "sáu": 6, "bảy": 7,
    "tám": 8, "chín": 9, "mười": 10,
}  # fmt: skip

# Levels order the stack; decisions reuse the names "muc"/"tieu_muc" one level below Điều.
LEVELS = {"phan": 0, "chuong": 1, "muc": 2, "tieu_muc": 3, "dieu": 4,
          "dmuc": 5, "dtieu_muc": 6, "khoan": 6, "subhead": 7, "diem": 8}  # fmt: skip
_MAX_ARTICLE_GAP = 20


def roman_to_int(text: str) -> int:
    total = 0
    for ch, nxt in zip(text, [*text[1:], ""], strict=True):
        value = _ROMAN[ch.upper()]
        total += -value if nxt and _ROMAN[nxt.upper()] > value else value
    return total


@dataclass
class Node:
    level: int
    key: str
    kind: str
    number: str
    title_line: str
    unit_start: int


class Outline:
    """The structural nodes open at the current line, and the numbering at each level."""

    def __init__(self, partial: bool) -> None:
        # A partial text jumps from one quoted article to the next, however far.
        self.max_article_gap = 10**6 if partial else _MAX_ARTICLE_GAP
        self.after_gap = False
        self.stack: list[Node] = []
        self.last: dict[str, int] = {}

    # --- numbering -------------------------------------------------------------------
    def _reset_below(self, level: int) -> None:
        # Chapters and articles are numbered through the whole document; the rest restart.
        for key in [k for k in self.last if LEVELS[k] > level and k not in ("chuong", "dieu")]:
            del self.last[key]

    def _accepts(self, key: str, value: int, strict: bool) -> bool:
        prev = self.last.get(key, 0)
        if self.after_gap:
            return prev < value  # "[...]" stands for the items in between
        limit = self.max_article_gap if key == "dieu" else _MAX_ARTICLE_GAP
        return value == prev + 1 if strict else prev < value <= prev + limit

    # --- classification --------------------------------------------------------------
    def classify(self, line: Line, next_line: str) -> tuple[str, str, str] | None:
        """(level key, number as written, title) when ``line`` opens a structural node."""
        s = line.match
        if m := _PHAN.match(s):
            word = m.group(1).split()[-1].lower()
            n = ORDINALS.get(word) or (int(word) if word.isdigit() else roman_to_int(word))
            if self._accepts("phan", n, strict=False):
                num = m.group(1).split(maxsplit=1)[-1].lower() if " " in m.group(1) else word
                return "phan", num, m.group(2)
        if m := _CHUONG.match(s):
            num = m.group(1)
            n = int(num) if num.isdigit() else roman_to_int(num)
            if self._accepts("chuong", n, strict=False):
                return "chuong", num, m.group(2)
        if (m := _TIEU_MUC.match(s)) and self._accepts("tieu_muc", int(m.group(1)), strict=True):
            return "tieu_muc", m.group(1), m.group(2)
        if m := _MUC.match(s):
            num = m.group(1)
            n = int(num) if num.isdigit() else roman_to_int(num)
            if self._accepts("muc", n, strict=True):
                return "muc", num, m.group(2)
        if (m := DIEU.match(s)) and self._accepts("dieu", int(m.group(1)), strict=False):
            return "dieu", m.group(1) + m.group(2), m.group(3)
        if (
            (m := _ROMAN_ITEM.match(s))
            and len(s) < 300
            and self._accepts("dmuc", roman_to_int(m.group(1)), strict=False)
        ):
            return "dmuc", m.group(1), m.group(2)
        if not self._in_article() and not self._open("dmuc"):
            return None
        if m := _NUMBERED.match(s):
            n = int(m.group(1))
            if self._open("dmuc"):
                if self._accepts("dtieu_muc", n, strict=False):
                    return "dtieu_muc", m.group(1), m.group(2)
            elif self._in_article() and self._accepts("khoan", n, strict=True):
                return "khoan", m.group(1), m.group(2)
        if (m := _LETTERED.match(s)) and m.group(1) in LETTERS:
            idx = LETTERS.index(m.group(1)) + 1
            strict = not self._open("dmuc")
            if self._accepts("diem", idx, strict=strict):
                return "diem", m.group(1), m.group(2)
        if self._is_subheading(s, next_line):
            return "subhead", "", s
        return None

    def _is_subheading(self, s: str, next_line: str) -> bool:
        # Plans group bullets under unlabelled lines ("Xây dựng môi trường số kết nối").
        return (
            self._open("dtieu_muc")
            and not self._open("diem")
            and len(s) < 250
            and s[:1] not in '-+•“"'
            and s[-1:] not in ".;:,]"
            and next_line[:1] in ("-", "+", "•")
        )

    def _open(self, key: str) -> bool:
        return any(node.key == key for node in self.stack)

    def _in_article(self) -> bool:
        return self._open("dieu")

    def _is_title_continuation(self, next_line: str) -> bool:
        markers = (DIEU, _CHUONG, _MUC, _PHAN, _NUMBERED, _LETTERED, GAP)
        return bool(next_line) and not any(rx.match(next_line) for rx in markers)
