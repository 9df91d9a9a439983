"""Which side of a legal relation a question is about.

Many articles are headed by one side of a relation: "Điều 40. Nghĩa vụ của người lao động khi
đơn phương chấm dứt hợp đồng lao động trái pháp luật" and "Điều 41. Nghĩa vụ của người sử dụng
lao động khi ..." share every word but the side, and so do "Nghĩa vụ của bên bán" and "Nghĩa vụ
của bên mua". Bags of words cannot tell them apart ("người", "lao động" are in both). When a
question names one side of such a pair and not the other ("bị công ty sa thải" is read as
"người sử dụng lao động" through ``api.retrieval.terms``), the articles headed by that side gain and
those headed by the other side lose as much.
"""

from __future__ import annotations

import re
from pathlib import Path

from api.retrieval.entries import read_entries
from ingest.structure.quantities import folded

DEFAULT_FILE = Path(__file__).parent / "data" / "parties.txt"


class Parties:
    """The sides named in a text, by pair: side 0 or 1 of pair i is ``(i, 0)`` / ``(i, 1)``."""

    def __init__(self, pairs: list[tuple[tuple[str, ...], tuple[str, ...]]]) -> None:
        self._side: dict[str, tuple[int, int]] = {}
        for i, (one, other) in enumerate(pairs):
            for side, forms in enumerate((one, other)):
                for form in forms:
                    self._side[folded(form)] = (i, side)
        # Longest first, so "người sử dụng lao động" is never read as "người ... lao động".
        alternatives = "|".join(re.escape(f) for f in sorted(self._side, key=len, reverse=True))
        self._pattern = re.compile(rf"(?<!\w)(?:{alternatives})(?!\w)") if alternatives else None

    @classmethod
    def load(cls, path: Path) -> Parties:
        return cls(read_entries(path, "side | form: other side; form"))

    def named(self, text: str) -> set[tuple[int, int]]:
        if self._pattern is None:
            return set()
        return {self._side[m.group(0)] for m in self._pattern.finditer(folded(text))}

    def owners(self, heading: str) -> set[tuple[int, int]]:
        """The sides named after "của" in ``heading``: whose rights or duties it states."""
        # Only one heading in five has a "của": finding it before folding spares folding the
        # rest (0.36 s of a national index's 50,618 headings). Headings are NFC from ingest and
        # folding keeps offsets, so the tail is the one the folded heading would give.
        at = heading.lower().find("của ")
        return self.named(heading[at:]) if at >= 0 else set()
