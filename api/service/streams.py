"""A cap on the answer streams a worker holds open at once, in all and per client.

A stream keeps a connection, and with a generator configured a worker thread, for the whole
answer; the thread pool that also serves every other request has 40 threads.
"""

from __future__ import annotations

import threading
from collections import Counter


class StreamsBusy(Exception):
    """The worker already holds its most answer streams; another may open in a moment."""


class ClientStreamsBusy(Exception):
    """This client already holds its most answer streams at once."""


class Slot:
    """One open stream; ``release`` may be called more than once."""

    def __init__(self, owner: StreamSlots, client: str) -> None:
        self._owner = owner
        self._client = client
        self._held = True

    def release(self) -> None:
        with self._owner.lock:
            if self._held:
                self._held = False
                self._owner.release(self._client)


class StreamSlots:
    def __init__(self, total: int, per_client: int) -> None:
        self.total = total
        self.per_client = per_client
        self.lock = threading.Lock()
        self._open: Counter[str] = Counter()

    def acquire(self, client: str) -> Slot:
        with self.lock:
            if self._open[client] >= self.per_client:
                raise ClientStreamsBusy
            if self._open.total() >= self.total:
                raise StreamsBusy
            self._open[client] += 1
        return Slot(self, client)

    def release(self, client: str) -> None:
        """Called by ``Slot.release`` with the lock held."""
        self._open[client] -= 1
        if self._open[client] <= 0:
            del self._open[client]

    @property
    def open(self) -> int:
        with self.lock:
            return self._open.total()
