"""Lazily loaded resources that load exactly once, whichever thread asks first.

``functools.cache`` does not make the first call single: two threads that both miss run the
loader at once. underthesea's own loaders publish their model object before it is loaded, so
the second thread then uses a half-built model (seen as ``'NoneType' object has no attribute
'process'`` in a re-index job racing the first queries).
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable
from typing import Generic, TypeVar

T = TypeVar("T")


class Once(Generic[T]):
    """A zero-argument loader whose result is computed once; concurrent callers wait for it."""

    def __init__(self, load: Callable[[], T]) -> None:
        self._load = load
        self._lock = threading.Lock()
        self._done = False
        self._value: T | None = None
        functools.update_wrapper(self, load)

    def __call__(self) -> T:
        if not self._done:  # checked again under the lock: only the first caller loads
            with self._lock:
                if not self._done:
                    self._value = self._load()
                    self._done = True
        return self._value  # type: ignore[return-value]


def once(load: Callable[[], T]) -> Once[T]:
    return Once(load)
