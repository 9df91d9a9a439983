"""Which crime a question describes, when it asks about a criminal penalty.

"Ăn trộm chiếc xe máy 30 triệu thì bị phạt tù bao lâu?" is about "Điều 173. Tội trộm cắp tài
sản", but its words also match the crimes about vehicles and the aggravating clauses that
mention "trị giá"; "đánh bạc" matches "Tội tổ chức đánh bạc hoặc gá bạc" as well as "Tội đánh
bạc". When the question asks for a penalty, the name of a crime that its words cover best is
what it asks about: each crime article gains the share of its name's syllables the question
holds (by syllable, since underthesea reads "ăn trộm" and "trộm cắp" as two unrelated words).
The frame itself ("có bị truy cứu trách nhiệm hình sự không") is left out first, or it would
name "Tội không truy cứu trách nhiệm hình sự người có tội".
"""

from __future__ import annotations

import re
from collections.abc import Iterable

import numpy as np
import numpy.typing as npt

from api.retrieval.question import Question
from api.retrieval.scores import Scores
from api.retrieval.signals.base import Level
from ingest.structure.quantities import folded

# Questions that ask about a criminal penalty or whether an act is a crime.
FRAME = re.compile(
    r"phạt tù|(?:bị|ngồi|đi|án) tù|tù (?:bao|mấy)|truy cứu trách nhiệm hình sự|trách nhiệm hình sự"
    r"|(?:phạm )?tội gì|tội danh|xử lý hình sự"
)
_NAME = re.compile(r"^Điều\s+\d+[a-zđ]?\.\s*Tội\s+(?P<name>.+)$", re.IGNORECASE)
_WORD = re.compile(r"\w+")
# Syllables of a crime's name that say nothing of the act.
_LINKS = frozenset(["và", "hoặc", "của", "các", "về", "do", "mà", "có", "trong", "với", "cho", "khác"])


def _syllables(text: str) -> list[str]:
    return [w for w in _WORD.findall(folded(text)) if w not in _LINKS]


class CrimeNames:
    """The crime articles of an index (headings "Điều N. Tội ..."), by article position."""

    name = "crimes"
    level: Level = "article"
    normalised = False

    def __init__(self, headings: Iterable[tuple[int, str]], articles: int) -> None:
        self.size = articles
        self.names: dict[int, list[str]] = {}
        for position, heading in headings:
            m = _NAME.match(heading.strip())
            if m and position not in self.names and (name := _syllables(m.group("name"))):
                self.names[position] = name

    def coverage(self, question: str) -> npt.NDArray[np.float32]:
        """Per article, the share of its crime name the question's words hold (0 for other
        articles, and for every article when the question asks about no penalty)."""
        shares = np.zeros(self.size, dtype=np.float32)
        low = folded(question)
        if not self.names or not FRAME.search(low):
            return shares
        words = set(_WORD.findall(FRAME.sub(" ", low)))
        for position, name in self.names.items():
            shares[position] = sum(w in words for w in name) / len(name)
        return shares

    def scores(self, question: Question) -> Scores:
        return self.coverage(question.query)
