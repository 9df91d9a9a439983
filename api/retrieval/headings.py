"""What a heading is about, without its number."""

from __future__ import annotations

import re

from ingest.text.normalize import normalize_query

# "Điều 40. Tử hình", "II. MỤC TIÊU": the number says nothing of the subject.
_NUMBERED_HEADING = re.compile(r"^(?:Điều\s+\d+[a-zđ]?|[IVXLC]+|\d+)\s*[.:]\s*", re.IGNORECASE)


def subject(heading: str) -> str:
    """``heading`` normalised as a query is, its number dropped ("" when only a number)."""
    return _NUMBERED_HEADING.sub("", normalize_query(heading))
