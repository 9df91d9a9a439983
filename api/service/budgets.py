"""Per-client request budgets (the ``limits`` library, in memory) and their settings.

A budget is a ``limits`` string such as ``"20/minute;300/hour"``: every part must have room
for a request to pass. The library has no token bucket; its sliding-window counter is the
nearest one with constant memory per client: a budget refills continuously as the previous
window's requests age out, the short part acting as the bucket's burst and the long part as
its sustained rate. Keys expire with their windows, so memory does not grow with the number
of clients seen. Budgets live in each worker's memory: ``uvicorn --workers N`` or N replicas
give a client N times the budget (see docs/operations.md, "Limits").
"""

from __future__ import annotations

import hmac
import math
import threading
import time
from dataclasses import dataclass
from typing import Annotated, Literal

from limits import RateLimitItem, parse_many
from limits.storage import MemoryStorage
from limits.strategies import SlidingWindowCounterRateLimiter
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, SecretStr, field_validator

Kind = Literal["ask", "search", "feedback", "stream"]
KINDS: tuple[Kind, ...] = ("ask", "search", "feedback", "stream")


def _budget(value: str) -> str:
    try:
        parse_many(value)
    except ValueError as exc:
        raise ValueError(f"not a budget such as '20/minute;300/hour': {value!r}") from exc
    return value


Budget = Annotated[str, AfterValidator(_budget)]
# What a key gets for anything its entry does not name: a service, not a person.
SERVICE_BUDGET = "600/minute"


class RateLimits(BaseModel):
    """``VNLAW_LIMITS__*``: each client address's budgets, per kind of request.

    Ample for a person using the chat (a question every few seconds for minutes on end);
    benchmarks and load tests turn the limits off with ``VNLAW_LIMITS__ENABLED=false``."""

    enabled: bool = True
    # /ask, streamed or not: each question costs retrieval and answering.
    ask: Budget = "30/minute;300/hour"
    search: Budget = "60/minute;600/hour"
    feedback: Budget = "10/minute;100/hour"
    # Answer streams opened (/ask with "stream": true), on top of the /ask budget: the
    # widget streams every answer; a stream holds a connection for the whole answer.
    stream: Budget = "30/minute;300/hour"


class ApiKey(BaseModel):
    """One entry of ``VNLAW_API_KEYS`` (a JSON list): a service's key and its own budgets."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=64)  # what logs and metrics show instead of the key
    key: SecretStr
    ask: Budget = SERVICE_BUDGET
    search: Budget = SERVICE_BUDGET
    feedback: Budget = SERVICE_BUDGET
    stream: Budget = SERVICE_BUDGET

    @field_validator("key")
    @classmethod
    def _long_enough(cls, value: SecretStr) -> SecretStr:
        if len(value.get_secret_value()) < 24:
            raise ValueError("an API key must be at least 24 characters")
        return value


class RateLimited(Exception):
    """A client spent a budget; it may try again after ``retry_after`` seconds."""

    def __init__(self, kind: str, retry_after: int) -> None:
        self.kind = kind
        self.retry_after = retry_after
        super().__init__(f"{kind} budget spent; retry after {retry_after} s")


class UnknownApiKey(Exception):
    """A request carried an API key that no entry of ``VNLAW_API_KEYS`` holds."""


@dataclass(frozen=True)
class Client:
    """Whom a request is charged to: an API key's name, or else the client address."""

    id: str
    key: str | None = None  # the key's name, never the key


class Budgets:
    def __init__(self, limits: RateLimits, keys: list[ApiKey]) -> None:
        self.enabled = limits.enabled
        self._anonymous = {kind: parse_many(getattr(limits, kind)) for kind in KINDS}
        self._keys = [(k.key.get_secret_value().encode(), k.name) for k in keys]
        self._per_key = {k.name: {kind: parse_many(getattr(k, kind)) for kind in KINDS} for k in keys}
        self._limiter = SlidingWindowCounterRateLimiter(MemoryStorage())
        # Test and hit together: two requests racing for a budget's last request get one.
        self._lock = threading.Lock()

    def client(self, address: str, api_key: str | None) -> Client:
        """The client a request is charged to; an API key that matches no entry is refused."""
        if api_key is None:
            return Client(f"addr:{address}")
        given = api_key.encode()
        # Every key is compared, each in constant time, so timing tells nothing about which
        # (or how much of one) matched.
        matched = None
        for expected, name in self._keys:
            if hmac.compare_digest(given, expected):
                matched = name
        if matched is None:
            raise UnknownApiKey
        return Client(f"key:{matched}", key=matched)

    def charge(self, client: Client, kind: Kind) -> None:
        """Take one request of ``kind`` from the client's budget, or raise ``RateLimited``."""
        if not self.enabled:
            return
        items = self._per_key[client.key][kind] if client.key else self._anonymous[kind]
        with self._lock:
            if all(self._limiter.test(item, kind, client.id) for item in items):
                for item in items:
                    self._limiter.hit(item, kind, client.id)
                return
            retry_after = self._retry_after(items, kind, client.id)
        raise RateLimited(kind, retry_after)

    def _retry_after(self, items: list[RateLimitItem], *ids: str) -> int:
        now = time.time()
        waits = [
            stats.reset_time - now
            for item in items
            if (stats := self._limiter.get_window_stats(item, *ids)).remaining <= 0
        ]
        return max(1, math.ceil(max(waits, default=1.0)))
