"""Question sets as JSON Lines (one object a line), read with the line that is wrong named."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

T = TypeVar("T")


def read_jsonl(path: Path, make: Callable[[int, dict[str, Any]], T]) -> list[T]:
    """``make(line_number, row)`` for every non-blank line; ValueError naming the file and line
    when a line is not JSON or ``make`` finds a field missing or of the wrong type."""
    items = []
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            items.append(make(n, json.loads(line)))
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            raise ValueError(f"{path.name} line {n}: {exc}") from exc
    return items
