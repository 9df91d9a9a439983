"""Legal structure parsing: a document's text → units that partition it.

The parser works line by line on the matching form of the text (same length as the stored
text, so offsets carry over). A line opens a new unit only when it is a heading whose number
continues the numbering at its level (ingest/structure/headings.py); anything else (in-text
references such as "Điều 5. ..." quoted in an amending clause, lists inside quotes, stray
numbers) continues the current unit. Every character of the text belongs to exactly one unit.
"""

from __future__ import annotations

import re
from typing import Any

from ingest.structure.annotations import Line, SourceNote, annotate
from ingest.structure.conditions import figure_kinds, read_conditions
from ingest.structure.headings import DIEU, GAP, LETTERS, LEVELS, ORDINALS, Node, Outline, roman_to_int
from ingest.structure.units import Path_, Unit, make_label
from ingest.text.normalize import match_form

# An article heading without its title ("Điều 11."), as partial texts give it.
_BARE_ARTICLE = re.compile(r"Điều\s+\d+[a-zđ]?\s*[.:]?")
_CLOSING = re.compile(
    r"(Bộ luật|Luật|Pháp lệnh|Nghị quyết) này (đã )?được Quốc hội .*thông qua", re.IGNORECASE
)


def _same_number(a: str | None, b: str | None) -> bool:
    return a is not None and b is not None and match_form(a).upper() == match_form(b).upper()


class _Parser(Outline):
    def __init__(self, doc_id: str, text: str, short_title: str, number: str | None, partial: bool) -> None:
        super().__init__(partial)
        self.doc_id = doc_id
        self.text = text
        self.short_title = short_title
        self.number = number
        # Pháp điển annotations (see ingest/structure/annotations.py), found when the parser runs.
        self.skipped: dict[int, int] = {}
        self.noted: dict[int, SourceNote] = {}
        self.note: SourceNote | None = None
        self.units: list[Unit] = []
        self.unit_start = 0
        self.unit_kind = "preamble"
        self.unit_path: Path_ = ()
        self.in_quote = False
        self.seen_article = False
        self.closed = False

    # --- units -----------------------------------------------------------------------
    def _flush(self, end: int) -> None:
        if end <= self.unit_start:
            return
        lines = self._display_lines(end)
        # A trailing "[...]" marks text omitted after this unit, not part of it.
        while len(lines) > 1 and GAP.fullmatch(lines[-1].strip()):
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

    def _own_text(self, node: Node) -> str:
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
                ORDINALS.get(number.split()[-1], 0)
                if key == "phan" and not number.isdigit()
                else int(re.sub(r"\D", "", number) or 0)
                if not re.fullmatch(r"[IVXLC]+", number)
                else roman_to_int(number)
            )
            self.last[key] = LETTERS.index(number) + 1 if key == "diem" else n
        kind = {"dmuc": "muc", "dtieu_muc": "tieu_muc"}.get(key, key)
        title = line.raw if key not in ("khoan", "diem") else ""
        if level <= LEVELS["dieu"]:
            self.note = None
        self.after_gap = False
        self.stack.append(Node(level, key, kind, number, title, line.start))
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
            if GAP.fullmatch(line.match):
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

    def _start_unit(self, start: int) -> None:
        self._flush(start)
        self.unit_start = start

    def _quoted(self, line: Line) -> bool:
        """True while inside a multi-line quotation (an amended article quoted in full)."""
        s = line.match
        if self.in_quote:
            m = DIEU.match(s)
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
