"""Checks on a generated answer before it is shown, sentence by sentence.

Small local models write replies that look cited but say nothing: ``[1] [2]`` alone, the
question restated with a marker, or the right fact without a marker and a marker on a
restatement. So a sentence is kept only when it says something the question does not, cites
at least one given passage, and is backed by what it cites: it shares a content word with
those passages, every number in it appears there (or in the question), and so does every
bound it puts on a figure ("từ đủ 14 tuổi trở lên" where the passage says "từ đủ 14 tuổi đến
dưới 16 tuổi" is a misread a real model made, with the right number). Everything else is
dropped, with its reason; when nothing is left the caller falls back to the extractive answer.
Unmarked claims are dropped rather than failing the whole reply: the reader then sees only
cited statements, and a reply whose only claim is unmarked has nothing left and falls back.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field

from api.answering.generate import REFUSAL
from api.retrieval.question import STOPWORDS
from api.retrieval.retriever import Hit
from ingest.structure.conditions import read_conditions
from ingest.structure.quantities import Range
from ingest.text.normalize import normalize_query

_MARKER = re.compile(r"\[(\d{1,3})\]")
# A sentence ends at . ! ? … followed by its markers, if any, and a space or the line end;
# "1.500.000" and "Điều 35.2" do not end one.
_SENTENCE_END = re.compile(r"[.!?…]+(?:\s*\[\d{1,3}\])*(?=\s|$)")
_LIST_LABEL = re.compile(r"^\s*(?:[-+*•]|\d{1,2}[.)]|[a-zđ]\))\s+")
_OPENING_MARKERS = re.compile(r"\s*(?:\[\d{1,3}\]\s*)+")
_TRAILING_MARKERS = re.compile(r"(?<=[.!?…])(?:\s*\[\d{1,3}\])+$")
# A provision named ("Điều 113", "khoản 2", "Mục II") is where a rule is, not what it says.
_PROVISION = re.compile(r"\b(?:điều|khoản|điểm|tiểu mục|mục|chương|phần)\s+(?:\d+[a-zđ]?|[ivxlc]+|[a-zđ])\b")
_WORD = re.compile(r"\w+")
_NUMBER = re.compile(r"\d+(?:[.,]\d+)*")
# "... đúng không?", "... có được ... không?": the answer to such a question may repeat it.
_YES_NO = re.compile(r"(không|chưa|phải không|đúng không)\s*(ạ)?\s*\?*\s*$")

MARKERS_ONLY = "markers only"
RESTATES_QUESTION = "restates the question"
UNMARKED = "no valid marker"
UNSUPPORTED = "not in the cited passages"
REFUSED = "refusal"
EMPTY = "empty reply"


@dataclass
class Checked:
    """The answer as shown (kept sentences, markers renumbered by first use; empty when
    nothing was kept), the passages it cites in that order, and each dropped sentence with
    its reason."""

    text: str
    cited: list[Hit]
    dropped: list[tuple[str, str]] = field(default_factory=list)

    @property
    def accepted(self) -> bool:
        return bool(self.text)

    @property
    def reason(self) -> str:
        """What was dropped, e.g. "restates the question ×1, no valid marker ×2"."""
        counts = Counter(reason for _, reason in self.dropped)
        return ", ".join(f"{reason} ×{n}" for reason, n in counts.items())


def content_words(text: str) -> set[str]:
    """Words of lower-cased, normalised ``text`` that carry meaning (syllables, numbers)."""
    return {w for w in _WORD.findall(text) if w not in STOPWORDS}


def check(reply: str, question: str, hits: list[Hit]) -> Checked:
    if REFUSAL in reply:
        return Checked("", [], [(reply.strip(), REFUSED)])
    sentences, dropped = _sentences(reply)
    if not sentences and not dropped:
        return Checked("", [], [(reply.strip(), EMPTY)])
    asked = _fold(question)
    verdicts = [_verdict(sentence, asked, hits) for _, sentence in sentences]
    kept: list[tuple[int, str]] = []
    for i, ((line, sentence), verdict) in enumerate(zip(sentences, verdicts, strict=True)):
        # A lead-in ("Người lao động phải báo trước:") states nothing itself; it stays with the
        # kept sentence it introduces.
        lead_in = verdict == UNMARKED and sentence.rstrip().endswith(":")
        if verdict is None or (lead_in and i + 1 < len(verdicts) and verdicts[i + 1] is None):
            kept.append((line, sentence))
        else:
            dropped.append((sentence, verdict or UNMARKED))
    if not kept:
        return Checked("", [], dropped)
    text, cited = _renumbered(kept, hits)
    return Checked(text, cited, dropped)


def _fold(text: str) -> str:
    return normalize_query(text).lower()


def _cites(sentence: str, n_hits: int) -> list[int]:
    return [n for n in map(int, _MARKER.findall(sentence)) if 1 <= n <= n_hits]


def _terms(text: str) -> set[str]:
    """Content words, numbers without leading zeros ("03" is "3")."""
    return {w.lstrip("0") or "0" if w.isdigit() else w for w in content_words(text)}


def _numbers(text: str) -> set[str]:
    """Numbers as digits only, so "05 ngày" matches "5 ngày" and "1.500.000" "1,500,000"."""
    return {re.sub(r"\D", "", n).lstrip("0") or "0" for n in _NUMBER.findall(text)}


def _bounds(text: str) -> set[Range]:
    """The ranges ``text`` states ("dưới 18 tuổi", "không quá 40 giờ", "từ 02 năm đến 07 năm")."""
    return {c.range for c in read_conditions(text)}


def _sentences(reply: str) -> tuple[list[tuple[int, str]], list[tuple[str, str]]]:
    """The reply's sentences with their line numbers. A line of markers alone cites the
    sentence before it (with nothing before it, it is dropped); markers opening a line ("[1]
    Thời hạn ... . Đối với ...") cite each sentence of that line that has none of its own,
    and are repeated at its end so the reader sees them."""
    sentences: list[tuple[int, str]] = []
    dropped: list[tuple[str, str]] = []
    for line_no, line in enumerate(reply.splitlines()):
        # A list label ("1.", "a)", "-") belongs to the sentence after it.
        label = _LIST_LABEL.match(line)
        start = label.end() if label else 0
        opening = _OPENING_MARKERS.match(line, start)
        inherited = " ".join(m.group() for m in _MARKER.finditer(opening.group())) if opening else ""
        pieces = []
        for m in _SENTENCE_END.finditer(line, start):
            end = m.end()
            # "A [1]. [2] B.": markers after an end that already cites open the next sentence.
            trailing = _TRAILING_MARKERS.search(line, start, end)
            if trailing and _MARKER.search(line, start, trailing.start()) and line[end:].strip():
                end = trailing.start()
            pieces.append(line[start:end])
            start = end
        pieces.append(line[start:])
        if label:
            pieces[0] = label.group() + pieces[0]
        for i, piece in enumerate(p.strip() for p in pieces):
            if not _WORD.search(_MARKER.sub("", piece)):
                if not _MARKER.search(piece):
                    continue  # punctuation or a bullet alone
                if sentences:
                    last_line, last = sentences[-1]
                    sentences[-1] = (last_line, f"{last} {piece}")
                else:
                    dropped.append((piece, MARKERS_ONLY))
                continue
            if i and inherited and not _MARKER.search(piece):
                piece = f"{piece} {inherited}"
            sentences.append((line_no, piece))
    return sentences, dropped


def _verdict(sentence: str, asked: str, hits: list[Hit]) -> str | None:
    """Why the sentence must go, or None to keep it."""
    said = _fold(_MARKER.sub("", _LIST_LABEL.sub("", sentence, count=1)))
    words = _terms(_PROVISION.sub(" ", said))
    new = words - _terms(asked)
    if said.rstrip(" .").endswith("?") or not (new or _YES_NO.search(asked)):
        return RESTATES_QUESTION
    cites = _cites(sentence, len(hits))
    if not cites:
        return UNMARKED
    cited = (hits[n - 1].unit for n in cites)
    sources = _fold(" ".join(f"{u.label} {u.heading} {u.text}" for u in cited))
    # What the sentence adds to the question must come from what it cites.
    if not (new or words) & _terms(sources):
        return UNSUPPORTED
    if not _numbers(said) <= _numbers(sources) | _numbers(asked):
        return UNSUPPORTED
    if not _bounds(said) <= _bounds(sources) | _bounds(asked):
        return UNSUPPORTED
    return None


def _renumbered(kept: list[tuple[int, str]], hits: list[Hit]) -> tuple[str, list[Hit]]:
    """Kept sentences on their original lines, invalid markers removed, valid ones numbered by
    first use."""
    order: list[int] = []
    for _, sentence in kept:
        order.extend(n for n in _cites(sentence, len(hits)) if n not in order)
    renumber = {old: new for new, old in enumerate(order, 1)}

    def replace(m: re.Match[str]) -> str:
        n = int(m.group(1))
        return f"[{renumber[n]}]" if n in renumber else ""

    lines: dict[int, list[str]] = {}
    for line, sentence in kept:
        lines.setdefault(line, []).append(_MARKER.sub(replace, sentence))
    text = "\n".join(" ".join(parts) for parts in lines.values())
    return re.sub(r"[ \t]+([.,;:])", r"\1", text).strip(), [hits[n - 1] for n in order]
