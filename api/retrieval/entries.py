"""The line format of the service's hand-written lists (``outside_topics.txt``, ``terms.txt``):
``name | other name: item; item``, blank lines and ``#`` comments skipped."""

from __future__ import annotations

from pathlib import Path

from ingest.text.normalize import display_form


def read_entries(path: Path, shape: str) -> list[tuple[tuple[str, ...], tuple[str, ...]]]:
    """(names, items) of every entry of ``path``; a line without both names the line and
    ``shape``, the form expected."""
    entries = []
    for number, raw in enumerate(display_form(path.read_text(encoding="utf-8")).splitlines(), 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        head, colon, tail = line.partition(":")
        names = tuple(n.strip() for n in head.split("|") if n.strip())
        items = tuple(p.strip() for p in tail.split(";") if p.strip())
        if not colon or not names or not items:
            raise ValueError(f"{path}:{number}: expected '{shape}'")
        entries.append((names, items))
    return entries
