"""Progress of a long build step, with its rate and an estimate of the time left."""

from __future__ import annotations

import time
from collections.abc import Callable


def duration(seconds: float) -> str:
    """``3 s``, ``4 min 05 s``, ``1 h 02 min``."""
    s = round(seconds)
    if s < 60:
        return f"{s} s"
    if s < 3600:
        return f"{s // 60} min {s % 60:02d} s"
    return f"{s // 3600} h {s % 3600 // 60:02d} min"


class Progress:
    def __init__(
        self, total: int, log: Callable[[str], None], clock: Callable[[], float] = time.perf_counter
    ) -> None:
        self.total = total
        self.done = 0
        self.log = log
        self.clock = clock
        self.started = clock()

    def advance(self, n: int) -> None:
        self.done += n
        elapsed = max(self.clock() - self.started, 1e-9)
        rate = self.done / elapsed
        left = (self.total - self.done) / rate if rate else 0.0
        share = self.done / self.total if self.total else 1.0
        self.log(
            f"embedded {self.done:,}/{self.total:,} units ({share:.0%}), {rate:.0f} units/s, "
            f"about {duration(left)} left"
        )
