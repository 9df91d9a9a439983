"""Everyday words for legal things ("xe máy", "sổ đỏ", "bị đuổi việc"), read from a text file
(``VNLAW_TERMS``), and the statutory wording a question using them is searched with.

The law says "xe mô tô, xe gắn máy" and "giấy chứng nhận quyền sử dụng đất"; asked about a "xe
máy", every signal prefers the decree's article on "xe đạp máy", which shares the words. The
statutory wording is added to the question (never replaces it) before any signal reads it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from api.retrieval.entries import read_entries
from ingest.structure.quantities import folded

DEFAULT_FILE = Path(__file__).parent / "data" / "terms.txt"


@dataclass(frozen=True)
class Term:
    pattern: re.Pattern[str]  # any everyday form, as a whole word, in folded text
    statutory: tuple[str, ...]


class Terms:
    def __init__(self, terms: list[Term]) -> None:
        self.terms = terms

    @classmethod
    def load(cls, path: Path) -> Terms:
        """Terms from lines ``everyday | everyday: statutory; statutory`` (``#`` starts a comment)."""
        terms = []
        for forms, statutory in read_entries(path, "everyday | everyday: statutory; statutory"):
            alternatives = "|".join(re.escape(folded(f)) for f in sorted(forms, key=len, reverse=True))
            terms.append(Term(re.compile(rf"(?<!\w)(?:{alternatives})(?!\w)"), statutory))
        return cls(terms)

    def expand(self, question: str) -> str:
        """``question`` with the statutory wording of the everyday words it uses added."""
        low = folded(question)
        added = [s for t in self.terms if t.pattern.search(low) for s in t.statutory if folded(s) not in low]
        return f"{question} ({', '.join(dict.fromkeys(added))})" if added else question
