"""What a build reports: the documents it changed, reused and removed, its counts and timings.

A build also writes progress lines to a ``Log`` as it goes: the CLI prints them, a reindex job
of the API keeps them, a staged build prefixes them with its stage.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

Log = Callable[[str], None]


@dataclass
class BuildReport:
    version: str | None
    changed: list[str] = field(default_factory=list)
    reused: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    units: int = 0
    searchable: int = 0
    embedded: int = 0
    resumed: int = 0  # documents whose vectors an interrupted build had already made
    seconds: float = 0.0
    timings: dict[str, float] = field(default_factory=dict)

    @property
    def noop(self) -> bool:
        return self.version is None
