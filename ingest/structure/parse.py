"""Legal structure parsing: a document's text → units that partition it.

Codes and laws: Phần › Chương › Mục › Tiểu mục › Điều › Khoản (``1.``) › Điểm (``a)``).
Decisions and plans: Điều › Roman-numeral Mục (``II.``) › numbered tiểu mục › lettered điểm,
with ``-``/``+`` bullets and unlabelled sub-headings kept inside their unit.

The parser works line by line on the matching form of the text (same length as the stored
text, so offsets carry over). A line opens a new unit only when it is a heading whose number
continues the numbering at its level; anything else (in-text references such as
"Điều 5. ..." quoted in an amending clause, lists inside quotes, stray numbers) continues the
current unit. Every character of the text belongs to exactly one unit.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from ingest.structure.annotations import Line, SourceNote, annotate
from ingest.structure.conditions import figure_kinds, read_conditions
from ingest.structure.units import Path_, Unit, make_label
from ingest.text.normalize import match_form

_PHAN = re.compile(r"(?i)phần\s+(thứ\s+[^\s:.]+|[IVXLC]+\b|\d+\b)\s*[:.\-–]?\s*(.*)")
_CHUONG = re.compile(r"(?i)chương\s+([IVXLC]+|\d+)\b\s*[:.\-–]?\s*(.*)")
_MUC = re.compile(r"(?i)mục\s+(\d+|[IVXLC]+)\s*[.:\-–]\s*(.*)")
_TIEU_MUC = re.compile(r"(?i)tiểu\s+mục\s+(\d+)\s*[.:\-–]\s*(.*)")
_DIEU = re.compile(r"Điều\s+(\d+)([a-zđ]?)\s*[.:]\s*(.*)")
_ROMAN_ITEM = re.compile(r"([IVXLC]+)\.\s+(\S.*)")
_NUMBERED = re.compile(r"(\d+)\.\s*(\S.*)")
_LETTERED = re.compile(r"([a-zđ])\)\s*(.*)")
_GAP = re.compile(r"\[\s*(\.\.\.|…)\s*\]")
# An article heading without its title ("Điều 11."), as partial texts give it.
_BARE_ARTICLE = re.compile(r"Điều\s+\d+[a-zđ]?\s*[.:]?")
_CLOSING = re.compile(
    r"(Bộ luật|Luật|Pháp lệnh|Nghị quyết) này (đã )?được Quốc hội .*thông qua", re.IGNORECASE
)

# Vietnamese point letters skip f, j, w, z and put đ after d.
_LETTERS = "abcdđeghiklmnopqrstuvxy"
_ROMAN = {"I": 1, "V": 5, "X": 10, "L": 50, "C": 100}
_ORDINALS = {
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
class _Node:
    level: int
    key: str
    kind: str
    number: str
    title_line: str
    unit_start: int


def _same_number(a: str | None, b: str | None) -> bool:
    return a is not None and b is not None and match_form(a).upper() == match_form(b).upper()


class _Parser:
    def __init__(self, doc_id: str, text: str, short_title: str, number: str | None, partial: bool) -> None:
        self.doc_id = doc_id
        self.text = text
        self.short_title = short_title
        self.number = number
        # A partial text jumps from one quoted article to the next, however far.
        self.max_article_gap = 10**6 if partial else _MAX_ARTICLE_GAP
        # Pháp điển annotations (see ingest/structure/annotations.py), found when the parser runs.
        self.skipped: dict[int, int] = {}
        self.noted: dict[int, SourceNote] = {}
        self.note: SourceNote | None = None
        self.after_gap = False
        self.stack: list[_Node] = []
        self.last: dict[str, int] = {}
        self.units: list[Unit] = []
        self.unit_start = 0
        self.unit_kind = "preamble"
        self.unit_path: Path_ = ()
        self.in_quote = False
        self.seen_article = False
        self.closed = False

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
            n = _ORDINALS.get(word) or (int(word) if word.isdigit() else roman_to_int(word))
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
        if (m := _DIEU.match(s)) and self._accepts("dieu", int(m.group(1)), strict=False):
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
        if (m := _LETTERED.match(s)) and m.group(1) in _LETTERS:
            idx = _LETTERS.index(m.group(1)) + 1
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

    # --- units -----------------------------------------------------------------------
    def _flush(self, end: int) -> None:
        if end <= self.unit_start:
            return
        lines = self._display_lines(end)
        # A trailing "[...]" marks text omitted after this unit, not part of it.
        while len(lines) > 1 and _GAP.fullmatch(lines[-1].strip()):
            lines.pop()
        display = "\n".join(lines).strip()
        heading = self._heading()
        ancestors = [n for n in self.stack if n.unit_start != self.unit_start and n.title_line]
        intro = ""
        if self.unit_kind == "diem":
            parent = next((n for n in reversed(self.stack) if n.kind != "diem"), None)
            if parent is not None:
                intro = self._own_text(parent)
        top = self.stack[-1] if self.stack else None
        # A heading with nothing under it is outline, not content; but a one-line article
        # that is a sentence ("Điều 2. Quyết định này có hiệu lực ...") is content.
        heading_only = (
            top is not None
            and top.unit_start == self.unit_start
            and top.kind not in ("khoan", "diem")
            and " ".join(display.split()) == " ".join(top.title_line.split())
            and not (top.kind == "dieu" and display.endswith(".") and not _BARE_ARTICLE.fullmatch(display))
        )
        self.units.append(
            Unit(
                doc_id=self.doc_id,
                ordinal=len(self.units),
                path=self.unit_path,
                kind=self.unit_kind,
                start=self.unit_start,
                end=end,
                text=display,
                heading=heading,
                breadcrumbs=[n.title_line for n in ancestors],
                intro=intro,
                searchable=bool(display)
                and not heading_only
                and self.unit_kind not in ("preamble", "closing"),
                label=make_label(self.unit_path, self._label_title()) if self.unit_path else self.short_title,
                **self._origin(),
            )
        )

    def _borrowed(self) -> bool:
        note = self.note
        return note is not None and note.number is not None and not _same_number(note.number, self.number)

    def _label_title(self) -> str:
        # An article the pháp điển copy left in another document is cited by its own document.
        note = self.note
        if note is not None and self._borrowed() and self._in_article():
            return f"{note.doc_type} {note.number}"
        return self.short_title

    def _origin(self) -> dict[str, Any]:
        note = self.note
        if note is None or not self._in_article():
            return {}
        return {
            "origin_number": note.number,
            "origin_effective": note.effective,
            # The whole note once per article, on its heading unit: ~300k units would repeat it.
            "origin_note": note.text if self.unit_kind == "dieu" else "",
            "borrowed": self._borrowed(),
        }

    def _display_lines(self, end: int) -> list[str]:
        cuts = sorted((s, e) for s, e in self.skipped.items() if self.unit_start <= s < end)
        if not cuts:
            return self.text[self.unit_start : end].strip().split("\n")
        pieces, pos = [], self.unit_start
        for start, stop in cuts:
            pieces.append(self.text[pos:start])
            # An annotation that filled its line takes the line break with it.
            pos = stop + 1 if self.text[stop : stop + 1] == "\n" else stop
        pieces.append(self.text[pos:end])
        return "".join(pieces).strip().split("\n")

    def _own_text(self, node: _Node) -> str:
        unit = next((u for u in reversed(self.units) if u.start == node.unit_start), None)
        return unit.text if unit is not None and len(unit.text) <= 600 else ""

    def _heading(self) -> str:
        titled = [n for n in self.stack if n.kind not in ("khoan", "diem")]
        return titled[-1].title_line if titled else ""

    def _open_node(self, key: str, number: str, line: Line) -> None:
        level = LEVELS[key]
        while self.stack and self.stack[-1].level >= level:
            self.stack.pop()
        self._reset_below(level)
        if key != "subhead":
            n = (
                _ORDINALS.get(number.split()[-1], 0)
                if key == "phan" and not number.isdigit()
                else int(re.sub(r"\D", "", number) or 0)
                if not re.fullmatch(r"[IVXLC]+", number)
                else roman_to_int(number)
            )
            self.last[key] = _LETTERS.index(number) + 1 if key == "diem" else n
        kind = {"dmuc": "muc", "dtieu_muc": "tieu_muc"}.get(key, key)
        title = line.raw if key not in ("khoan", "diem") else ""
        if level <= LEVELS["dieu"]:
            self.note = None
        self.after_gap = False
        self.stack.append(_Node(level, key, kind, number, title, line.start))
        self.unit_path = tuple((n.kind, n.number) for n in self.stack if n.kind != "subhead")
        self.unit_kind = kind

    def run(self) -> list[Unit]:
        folded = match_form(self.text)
        notes = annotate(self.text, folded)
        lines, self.skipped, self.noted = notes.lines, notes.skipped, notes.noted
        for i, line in enumerate(lines):
            if i in self.noted:
                self._open_noted(line, self.noted[i])
                continue
            if not line.match or line.start in self.skipped:
                continue
            next_line = next((ln.match for ln in lines[i + 1 :] if notes.content(ln)), "")
            if _GAP.fullmatch(line.match):
                self.after_gap = True
                continue
            if self._quoted(line):
                continue
            if self.seen_article and not self.closed and _CLOSING.match(line.match):
                self._start_unit(line.start)
                self.stack.clear()
                self.unit_path, self.unit_kind, self.closed = (), "closing", True
                continue
            if self.closed:
                continue
            found = self.classify(line, next_line)
            if found is None:
                continue
            key, number, title = found
            self._start_unit(line.start)
            self._open_node(key, number, line)
            if not title and key not in ("khoan", "diem") and self._is_title_continuation(next_line):
                # Heading split across lines ("Chương I" / "NHỮNG QUY ĐỊNH CHUNG").
                self.stack[-1].title_line += " " + next_raw(lines, i)
            self.seen_article = self.seen_article or key == "dieu"
        self._flush(len(self.text))
        return self.units

    def _open_noted(self, line: Line, note: SourceNote) -> None:
        """Open an article announced by a source note, wherever numbering or quotes stand:
        the note, not the numbering, says an article starts here."""
        self._start_unit(line.start)
        self.in_quote = False
        self.closed = False
        heading = line.start not in self.skipped
        self._open_node("dieu", note.article, line if heading else Line(line.start, line.end, "", ""))
        self.note = note
        self.seen_article = True

    def _is_title_continuation(self, next_line: str) -> bool:
        markers = (_DIEU, _CHUONG, _MUC, _PHAN, _NUMBERED, _LETTERED, _GAP)
        return bool(next_line) and not any(rx.match(next_line) for rx in markers)

    def _start_unit(self, start: int) -> None:
        self._flush(start)
        self.unit_start = start

    def _quoted(self, line: Line) -> bool:
        """True while inside a multi-line quotation (an amended article quoted in full)."""
        s = line.match
        if self.in_quote:
            m = _DIEU.match(s)
            if m and int(m.group(1)) == self.last.get("dieu", 0) + 1:
                self.in_quote = False  # a real next article: the quote must have ended
                return False
            self.in_quote = s.count("”") < s.count("“") + 1
            return True
        if s.startswith("“"):
            # Straight quotes open and close alike, so only curly ones can span lines.
            self.in_quote = s.count("”") < s.count("“")
            return True
        return False


def next_raw(lines: list[Line], i: int) -> str:
    return next((ln.raw for ln in lines[i + 1 :] if ln.raw), "")


def parse_units(
    doc_id: str, text: str, short_title: str, number: str | None = None, partial: bool = False
) -> list[Unit]:
    """Split ``text`` (display form) into units whose spans partition it exactly, each with
    the conditions and the kinds of figure its text states.

    ``number`` (the document's số hiệu) tells the document's own articles from those a
    pháp điển source note assigns to another document; ``partial`` texts may skip articles.
    """
    units = _Parser(doc_id, text, short_title, number, partial).run()
    for unit in units:
        unit.conditions = read_conditions(unit.text)
        unit.figures = figure_kinds(unit.text)
    return units
