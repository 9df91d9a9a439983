"""``once``: a lazily loaded resource is loaded by exactly one thread; the others wait for it."""

import threading

import pytest

from ingest.text import segment
from ingest.text.once import once


def test_concurrent_first_calls_load_once_and_all_see_the_loaded_value() -> None:
    calls = 0
    loading = threading.Event()
    release = threading.Event()

    @once
    def load() -> list[int]:
        nonlocal calls
        calls += 1
        loading.set()
        release.wait()  # the loader is slow: every other caller arrives while it runs
        return [calls]

    start = threading.Barrier(9)
    seen: list[list[int]] = []

    def caller() -> None:
        start.wait()
        seen.append(load())

    threads = [threading.Thread(target=caller) for _ in range(8)]
    for t in threads:
        t.start()
    start.wait()
    assert loading.wait(timeout=60)
    release.set()
    for t in threads:
        t.join()
    assert calls == 1
    assert len(seen) == 8
    assert all(value is seen[0] for value in seen)


def test_a_failed_load_is_retried_by_the_next_caller() -> None:
    attempts = 0

    @once
    def load() -> str:
        nonlocal attempts
        attempts += 1
        if attempts == 1:
            raise OSError("model file missing")
        return "loaded"

    with pytest.raises(OSError, match="missing"):
        load()
    assert load() == "loaded"
    assert load() == "loaded"
    assert attempts == 2


def test_load_models_makes_tokenizing_ready() -> None:
    segment.load_models()
    assert segment.tokenize("Người lao động nghỉ việc") == ["người", "lao_động", "nghỉ_việc"]
