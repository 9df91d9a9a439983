"""Prometheus metrics of the service."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager

from prometheus_client import Counter, Gauge, Histogram

LATENCY = Histogram(
    "vnlaw_operation_seconds",
    "Time spent retrieving and answering, by operation.",
    ["operation"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5),
)
ABSTENTIONS = Counter("vnlaw_abstentions_total", "Questions answered with an abstention.")
INDEX_UNITS = Gauge("vnlaw_index_units", "Searchable units in the served index version.")
INDEX_RELOADS = Counter("vnlaw_index_reloads_total", "Index versions loaded by this process.")
REINDEX_JOBS = Counter(
    "vnlaw_reindex_jobs_total", "Re-index jobs run by this process, by outcome.", ["state"]
)


@contextmanager
def timed(operation: str) -> Iterator[None]:
    start = time.perf_counter()
    try:
        yield
    finally:
        LATENCY.labels(operation).observe(time.perf_counter() - start)


RATE_LIMITED = Counter(
    "vnlaw_rate_limited_total", "Requests refused because their client spent a budget.", ["kind"]
)
OPEN_STREAMS = Gauge("vnlaw_open_streams", "Answer streams this process holds open.")
