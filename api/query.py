"""Reading a question the way a lawyer would: its frame (what kind of answer it wants: a crime
and its penalty, a procedure, a time limit) apart from its subject (where the answer is), and
the names the legal texts never contain (projects, streets, companies) set aside.

Frames come from ``frames.txt``; see its header for the format.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection
from dataclasses import dataclass
from pathlib import Path

from ingest.normalize import display_form, match_form, normalize_query

FRAMES_FILE = Path(__file__).with_name("frames.txt")


@dataclass(frozen=True)
class Preference:
    field: str  # "heading" (article title starts with) or "title" (document title contains)
    words: str

    def holds(self, heading: str, title: str) -> bool:
        if self.field == "heading":
            return _words(heading).startswith(self.words)
        return f" {self.words} " in f" {_words(title)} "


@dataclass(frozen=True)
class Frame:
    name: str
    phrases: tuple[str, ...]
    prefer: tuple[Preference, ...] = ()

    def prefers(self, heading: str, title: str) -> bool:
        return any(p.holds(heading, title) for p in self.prefer)


@dataclass(frozen=True)
class Query:
    text: str  # the whole question, match form
    subject: str  # what is left for matching: frame phrases and foreign names taken out
    frames: tuple[Frame, ...]
    names: tuple[str, ...]  # names the index vocabulary does not hold


def load_frames(path: Path = FRAMES_FILE) -> list[Frame]:
    """Frames from lines ``name | field=words; ...: phrase; phrase`` (``#`` starts a comment)."""
    frames = []
    for number, raw in enumerate(display_form(path.read_text(encoding="utf-8")).splitlines(), 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        head, colon, tail = line.partition(":")
        name, _, prefs = head.partition("|")
        phrases = tuple(_words(p) for p in tail.split(";") if p.strip())
        prefer = []
        for pref in filter(None, (p.strip() for p in prefs.split(";"))):
            field, eq, words = pref.partition("=")
            if not eq or field.strip() not in ("heading", "title"):
                raise ValueError(f"{path}:{number}: expected heading=... or title=..., not {pref!r}")
            prefer.append(Preference(field.strip(), _words(words)))
        if not colon or not name.strip() or not phrases:
            raise ValueError(f"{path}:{number}: expected 'name | field=words: phrase; phrase'")
        frames.append(Frame(name.strip(), phrases, tuple(prefer)))
    return frames


_CODE_LIKE = re.compile(r"^\w+[A-ZĐ\d]|^[A-Za-z]{5,}$")


class QueryReader:
    """Splits questions into frames, subject and names, given the index's lexical vocabulary
    and the tokenizer it was built with."""

    def __init__(
        self,
        frames: list[Frame],
        vocabulary: Collection[str],
        tokenize: Callable[[str], list[str]],
        words: Callable[[str], list[str]],
    ) -> None:
        self.frames = frames
        self.vocabulary = vocabulary
        self.tokenize = tokenize
        self.words = words
        # Longest first, so "có bị truy cứu trách nhiệm hình sự không" goes before its parts.
        self._phrases = sorted(((p, f) for f in frames for p in f.phrases), key=lambda pf: -len(pf[0]))

    def read(self, question: str) -> Query:
        text = normalize_query(question)
        names = tuple(n for n in self._names(text) if self._foreign(n))
        subject = text
        for name in names:
            subject = subject.replace(name, " ")
        lowered = subject.lower()
        found: list[Frame] = []
        for phrase, frame in self._phrases:
            pattern = re.compile(rf"(?<!\w){re.escape(phrase)}(?!\w)")
            if pattern.search(lowered):
                lowered = pattern.sub(lambda m: " " * len(m.group()), lowered)
                if frame not in found:
                    found.append(frame)
        # Cut from the original-case text where the lower-case one lost a phrase.
        if len(lowered) == len(subject):
            subject = "".join(" " if lc == " " else c for c, lc in zip(subject, lowered, strict=True))
        subject = " ".join(subject.split()).strip(" ,;?")
        return Query(text, subject or text, tuple(found), names)

    def _names(self, text: str) -> list[str]:
        """Runs of words with every syllable capitalised, not opening a sentence ("Sunshine
        Green", "FPT City", "Đà Nẵng"): how Vietnamese writes proper names, and not titles such
        as "Phó Chủ tịch"."""
        names: list[str] = []
        run: list[str] = []
        opening = True
        for word in self.words(text):
            proper = not opening and all(s[0].isupper() for s in word.split())
            if proper:
                run.append(word)
            elif run:
                names.append(" ".join(run))
                run = []
            opening = word in (".", "?", "!", ":", ";")
        if run:
            names.append(" ".join(run))
        return names

    def _foreign(self, name: str) -> bool:
        """A name is foreign to the legal texts when most of its words are not in their vocabulary.

        One capitalised word alone counts only when written like a code or brand ("FPT",
        "IA20", "Vinhomes"): a single capitalised Vietnamese syllable is as often emphasis or slang.
        """
        if " " not in name and not _CODE_LIKE.search(name):
            return False
        tokens = self.tokenize(name)
        return 2 * sum(t not in self.vocabulary for t in tokens) > len(tokens)


def _words(text: str) -> str:
    return " ".join(re.sub(r"[^\w\s]", " ", match_form(text).lower()).split())
