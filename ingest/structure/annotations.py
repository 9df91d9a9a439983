"""The lines of a document, and the pháp điển annotations among them.

The Bộ Pháp điển puts a source note under each article heading ("(Điều 51 Luật số
52/2014/QH13 ..., có hiệu lực thi hành kể từ ngày 01/01/2015)") and cross-references after
articles and chapters ("(Điều này có nội dung liên quan đến Điều 8.4.NĐ.2.1. ...)"). Neither
is statutory text: the parser leaves both out of units and makes each note metadata of the
article it stands under. The copy in the national collection sometimes lost line breaks, so a
pháp điển heading or an article body may be glued to the line before; such lines are cut.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field

# How a source note and a cross-reference start; either may run over several lines, until its
# parenthesis closes (at most _MAX_NOTE_LINES).
_NOTE = re.compile(
    r"\(Điều\s+(\d+)([a-zđ]?)\s+(Bộ luật|Luật|Hiến pháp|Pháp lệnh|Sắc lệnh|Nghị định|"
    r"Nghị quyết(?: liên tịch)?|Thông tư(?: liên tịch)?|Quyết định|Chỉ thị)\b"
    r"(?:[^()]*?\bsố\s+([^\s,;()]+))?"
)
_NOTE_EFFECTIVE = re.compile(r"có hiệu lực(?: thi hành)? kể từ ngày (\d{1,2}/\d{1,2}/\d{4})")
_XREF = re.compile(r"\((Điều|Chương|Mục|Tiểu mục|Phần) này có nội dung liên quan")
# A pháp điển article heading ("Điều 26.2.NĐ.2.4. Phạm vi ..."); the copy sometimes glues it to
# the end of the previous article's last line.
_PD_HEADING = re.compile(r"Điều\s+\d+\.\d+\.[A-ZĐ]+\.\d+(?:\.\d+)*[a-zđ]?\.\s*")
_MAX_NOTE_LINES = 6
# A plain article heading ("Điều 5." / "Điều 7a:"), the one a source note may stand under.
_ARTICLE = re.compile(r"Điều\s+(\d+)([a-zđ]?)\s*[.:]")


@dataclass
class Line:
    start: int
    end: int
    raw: str  # display text of the line, stripped
    match: str  # matching form, stripped


def lines_of(text: str, folded: str) -> Iterator[Line]:
    pos = 0
    for raw_line in text.split("\n"):
        end = pos + len(raw_line)
        lead = len(raw_line) - len(raw_line.lstrip())
        yield Line(pos + lead, end, raw_line.strip(), folded[pos:end].strip())
        pos = end + 1


@dataclass(frozen=True)
class SourceNote:
    """What a pháp điển source note says about its article."""

    article: str  # the article's number in the document it was enacted in
    doc_type: str  # "Luật", "Nghị định", ...
    number: str | None  # số hiệu of that document
    effective: str | None  # dd/mm/yyyy
    text: str  # the note without its parentheses

    @classmethod
    def parse(cls, text: str) -> SourceNote | None:
        m = _NOTE.match(text)
        if m is None or "hiệu lực" not in text:
            return None
        effective = _NOTE_EFFECTIVE.search(text)
        number = m.group(4).rstrip(".") if m.group(4) else None
        return cls(
            article=m.group(1) + m.group(2),
            doc_type=m.group(3).strip(),
            number=number,
            effective=_date(effective.group(1)) if effective else None,
            text=" ".join(text.strip()[1:-1].split()),
        )


def _date(text: str) -> str:
    day, month, year = text.split("/")
    return f"{int(day):02d}/{int(month):02d}/{year}"


@dataclass
class Annotations:
    """A document's lines (glued ones cut), the spans (start → end) of annotation lines, and
    the line opening each noted article: its heading, or the note when the heading is lost."""

    lines: list[Line]
    skipped: dict[int, int] = field(default_factory=dict)
    noted: dict[int, SourceNote] = field(default_factory=dict)

    def content(self, line: Line) -> bool:
        return bool(line.match) and line.start not in self.skipped

    def heading_of(self, i: int, note: SourceNote) -> int:
        """The line opening the article noted at line ``i``: its heading above, else ``i``."""
        h = next((j for j in range(i - 1, -1, -1) if self.content(self.lines[j])), None)
        if h is None or h in self.noted:
            return i
        above = self.lines[h].match
        m = _ARTICLE.match(above)
        if _PD_HEADING.match(above) or (m and m.group(1) + m.group(2) == note.article):
            return h
        return i


def annotate(text: str, folded: str) -> Annotations:
    """Find the notes and cross-references of ``text`` (``folded``: its matching form)."""
    found = Annotations(_split_glued_headings(list(lines_of(text, folded))))
    lines = found.lines
    i = 0
    while i < len(lines):
        line = lines[i]
        xref = _XREF.match(line.match)
        if not xref and not _NOTE.match(line.match):
            i += 1
            continue
        block, close = _paren_block(lines, i)
        last = lines[i + block - 1]
        if last.match[close:].strip():
            # Text glued after the closing parenthesis becomes a line of its own.
            lines[i + block - 1 : i + block] = _split_line(last, close)
        note = None if xref else SourceNote.parse(" ".join(ln.match for ln in lines[i : i + block]))
        if note is None and not xref:
            i += 1
            continue
        for ln in lines[i : i + block]:
            if ln.match:
                found.skipped[ln.start] = ln.end
        if note is not None:
            found.noted[found.heading_of(i, note)] = note
        i += block
    return found


def _paren_block(lines: list[Line], i: int) -> tuple[int, int]:
    """How many lines a parenthesised annotation starting at line ``i`` spans, and where in
    its last line it closes (text may follow the closing parenthesis)."""
    depth = 0
    for n, line in enumerate(lines[i : i + _MAX_NOTE_LINES], 1):
        for col, ch in enumerate(line.match):
            depth += (ch == "(") - (ch == ")")
            if depth == 0:
                return n, col + 1
    return 1, len(lines[i].match)  # never closed: only the first line is the annotation


def _split_line(line: Line, cut: int) -> tuple[Line, Line]:
    """``line`` cut at column ``cut`` into two stripped lines."""
    head = line.match[:cut].rstrip()
    tail_lead = len(line.match[cut:]) - len(line.match[cut:].lstrip())
    cut += tail_lead
    return (
        Line(line.start, line.start + len(head), line.raw[: len(head)], head),
        Line(line.start + cut, line.end, line.raw[cut:], line.match[cut:]),
    )


def _split_glued_headings(lines: list[Line]) -> list[Line]:
    """Cut a pháp điển heading glued to the end of a line into a line of its own, when a
    source note follows (the only case where the copy is known to have lost a line break)."""
    out: list[Line] = []
    for i, line in enumerate(lines):
        following = next((ln.match for ln in lines[i + 1 :] if ln.match), "")
        cut = _glued_heading_at(line.match) if following.startswith("(Điều") else None
        if cut is None or not _NOTE.match(following):
            out.append(line)
            continue
        out.extend(_split_line(line, cut))
    return out


def _glued_heading_at(s: str) -> int | None:
    matches = list(_PD_HEADING.finditer(s))
    if not matches or matches[-1].start() == 0:
        return None
    cut = matches[-1].start()
    prefix = s[:cut]
    # Not a reference inside a still-open cross-reference parenthesis.
    return cut if prefix.rfind("(") < prefix.rfind(")") or "(" not in prefix else None
