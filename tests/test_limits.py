"""Per-client budgets, API keys, trusted proxies, stream caps and the feedback store's bounds."""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from pydantic import ValidationError

from api.main import create_app
from api.service.budgets import ApiKey, RateLimits
from api.service.settings import Settings
from ingest.settings import IngestSettings

from .test_feedback import GOOD

KEY = "khoa-dich-vu-cong-0123456789abcdef"
OTHER_KEY = "khoa-dich-vu-khac-0123456789abcdef"
# Per day: no window of these budgets ends while a test runs (a window ending would refill them).
TIGHT = RateLimits(ask="3/day", search="2/day", feedback="2/day", stream="1/day")


@pytest.fixture(scope="module")
def app(built_settings: IngestSettings) -> Iterator[FastAPI]:
    """One served app with tight budgets; each test spends them as its own client address."""
    settings = Settings(
        **built_settings.model_dump(),
        limits=TIGHT,
        api_keys=[ApiKey(name="cong-thong-tin", key=KEY, search="5/day")],
        trusted_proxies="10.0.0.0/8",
        max_streams=2,
        max_streams_per_client=1,
    )
    application = create_app(settings)
    with TestClient(application):  # the lifespan loads the model and the index once
        yield application


def as_client(app: FastAPI, address: str) -> TestClient:
    return TestClient(app, client=(address, 40000))


def search(client: TestClient, **headers: str) -> int:
    return client.post("/search", json={"query": "nghỉ hằng năm"}, headers=headers).status_code


def test_a_spent_budget_is_a_429_with_retry_after_in_vietnamese(app: FastAPI) -> None:
    client = as_client(app, "198.51.100.1")
    assert [search(client), search(client)] == [200, 200]
    refused = client.post("/search", json={"query": "nghỉ hằng năm"})
    assert refused.status_code == 429
    retry_after = int(refused.headers["Retry-After"])
    assert 1 <= retry_after <= 24 * 3600
    assert refused.json()["detail"] == (
        f"Bạn đã gửi quá nhiều yêu cầu. Vui lòng thử lại sau {retry_after} giây."
    )
    # Refused before the body is validated: junk costs an abusive client nothing more.
    assert client.post("/search", json={"bad": 1}).status_code == 429
    # Each kind of request has its own budget, and so has every other client.
    assert client.post("/ask", json={"question": "nghỉ hằng năm"}).status_code == 200
    assert search(as_client(app, "198.51.100.2")) == 200
    metrics = client.get("/metrics").text
    assert 'vnlaw_rate_limited_total{kind="search"}' in metrics


def test_streams_have_their_own_budget_on_top_of_ask(app: FastAPI) -> None:
    client = as_client(app, "198.51.100.3")
    question = {"question": "nghỉ hằng năm", "stream": True}
    with client.stream("POST", "/ask", json=question) as first:
        assert first.status_code == 200
        assert "event: done" in first.read().decode()
    assert client.post("/ask", json=question).status_code == 429
    assert client.post("/ask", json={"question": "nghỉ hằng năm"}).status_code == 200
    # 3/day of /ask: the stream and the answer above spent two, the refused stream a third.
    assert client.post("/ask", json={"question": "nghỉ hằng năm"}).status_code == 429


def test_open_streams_are_capped_per_client_and_in_all(app: FastAPI) -> None:
    streams = app.state.streams
    question = {"question": "nghỉ hằng năm", "stream": True}
    held = streams.acquire("addr:198.51.100.4")  # as if a stream of that client were open
    try:
        refused = as_client(app, "198.51.100.4").post("/ask", json=question)
        assert refused.status_code == 429
        assert "cùng lúc" in refused.json()["detail"]
        other = streams.acquire("addr:198.51.100.5")
        try:
            busy = as_client(app, "198.51.100.6").post("/ask", json=question)
            assert busy.status_code == 503
            assert busy.headers["Retry-After"] == "5"
        finally:
            other.release()
    finally:
        held.release()
    with as_client(app, "198.51.100.7").stream("POST", "/ask", json=question) as ok:
        assert ok.status_code == 200
        ok.read()
    assert streams.open == 0  # every slot came back, the finished stream's too


def test_api_keys_have_their_own_budgets_and_are_checked(
    app: FastAPI, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    client = as_client(app, "198.51.100.8")
    assert [search(client, **{"X-API-Key": KEY}) for _ in range(5)] == [200] * 5
    assert search(client, **{"X-API-Key": KEY}) == 429
    # The address's own budget is untouched by what the key spent.
    assert search(client) == 200
    wrong = client.post("/search", json={"query": "nghỉ hằng năm"}, headers={"X-API-Key": OTHER_KEY})
    assert wrong.status_code == 401
    assert wrong.json()["detail"] == "Khóa API không hợp lệ."
    assert KEY not in caplog.text
    assert OTHER_KEY not in caplog.text


def test_forwarded_for_is_read_from_trusted_proxies_only(app: FastAPI) -> None:
    proxy = as_client(app, "10.1.2.3")  # inside VNLAW_TRUSTED_PROXIES
    for citizen in ("203.0.113.1", "203.0.113.2"):
        assert [search(proxy, **{"X-Forwarded-For": citizen}) for _ in range(3)] == [200, 200, 429]
    # A client cannot pass as another by sending the header itself: the proxy appends the
    # address it saw, and that rightmost untrusted address is the client.
    assert search(proxy, **{"X-Forwarded-For": "203.0.113.9, 203.0.113.1"}) == 429
    # From anywhere else the header is ignored: the connection's address is the client.
    direct = as_client(app, "198.51.100.9")
    statuses = [search(direct, **{"X-Forwarded-For": f"203.0.113.{20 + n}"}) for n in range(3)]
    assert statuses == [200, 200, 429]


def test_limits_are_on_by_default_and_budgets_are_checked() -> None:
    settings = Settings()
    assert settings.limits.enabled
    assert not settings.api_keys
    assert not settings.trusted_proxies
    with pytest.raises(ValidationError, match="budget"):
        RateLimits(ask="lots")
    with pytest.raises(ValidationError, match="24 characters"):
        ApiKey(name="ngan", key="qua-ngan")
    with pytest.raises(ValidationError, match="TRUSTED_PROXIES"):
        Settings(trusted_proxies="proxy.example")
    with pytest.raises(ValidationError, match="its own name"):
        Settings(api_keys=[ApiKey(name="a", key=KEY), ApiKey(name="a", key=OTHER_KEY)])


def test_keys_and_budgets_are_read_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VNLAW_LIMITS__ENABLED", "false")
    monkeypatch.setenv("VNLAW_LIMITS__ASK", "5/minute;50/hour")
    monkeypatch.setenv(
        "VNLAW_API_KEYS", f'[{{"name": "cong-thong-tin", "key": "{KEY}", "ask": "100/minute"}}]'
    )
    settings = Settings()
    assert not settings.limits.enabled
    assert settings.limits.ask == "5/minute;50/hour"
    assert settings.api_keys[0].ask == "100/minute"
    assert settings.api_keys[0].search == "600/minute"
    assert KEY not in repr(settings)


# --- the feedback store's bounds ------------------------------------------------------------


def _feedback_client(tmp_path: Path, **overrides: Any) -> TestClient:
    settings = Settings(index_dir=tmp_path / "index", feedback_db=tmp_path / "feedback.sqlite3", **overrides)
    return TestClient(create_app(settings))  # no lifespan: /feedback needs no index


def test_feedback_over_the_row_cap_is_refused_with_a_clear_error(tmp_path: Path) -> None:
    client = _feedback_client(tmp_path, feedback_max_rows=2)
    assert [client.post("/feedback", json=GOOD).status_code for _ in range(2)] == [201, 201]
    full = client.post("/feedback", json=GOOD)
    assert full.status_code == 507
    assert full.json()["detail"].startswith("Kho góp ý đã đầy")
    with sqlite3.connect(tmp_path / "feedback.sqlite3") as db:
        assert db.execute("SELECT count(*) FROM feedback").fetchone()[0] == 2


def test_feedback_older_than_the_retention_is_deleted(tmp_path: Path) -> None:
    client = _feedback_client(tmp_path, feedback_max_rows=2, feedback_retention_days=30)
    assert [client.post("/feedback", json=GOOD).status_code for _ in range(2)] == [201, 201]
    with sqlite3.connect(tmp_path / "feedback.sqlite3") as db:
        db.execute("UPDATE feedback SET created_at = '2020-01-01T00:00:00+00:00' WHERE id = 1")
    assert client.post("/feedback", json=GOOD).status_code == 201  # the old one made room
    with sqlite3.connect(tmp_path / "feedback.sqlite3") as db:
        assert [r[0] for r in db.execute("SELECT id FROM feedback ORDER BY id")] == [2, 3]


def test_feedback_has_its_own_budget(tmp_path: Path) -> None:
    client = _feedback_client(tmp_path, limits=TIGHT)
    statuses = [client.post("/feedback", json=GOOD).status_code for _ in range(3)]
    assert statuses == [201, 201, 429]
