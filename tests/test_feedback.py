"""POST /feedback (citizens rate answers) and GET /feedback (operators read them)."""

import json
import sqlite3
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr

from api.http.feedback_schemas import FeedbackRequest
from api.http.feedback_store import FeedbackStore
from api.main import create_app
from api.service.settings import Settings

TOKEN = "test-admin-token-0123456789"
CITATION = {
    "doc_id": "qd-mau-2023",
    "doc_number": "77/QĐ-TTg",
    "doc_title": "Quyết định phê duyệt đề án “phát triển thư viện số trong trường học”",
    "path": [["dieu", "1"], ["muc", "II"], ["tieu_muc", "2"], ["diem", "a"]],
    "label": "Điểm a tiểu mục 2 Mục II Điều 1 Quyết định 77/QĐ-TTg",
    "heading": "2. Mục tiêu đến năm 2025",
    "quote": "a) Về hạ tầng\n- 70% trường trung học có thư viện số kết nối với kho học liệu quốc gia;",
    "score": 1.6,
    "status": None,
}
GOOD: dict[str, Any] = {
    "question": "Mục tiêu đến năm 2025 về thư viện số là gì?",
    "answer": "Theo quy định:\n- Điểm a ...: 70% trường trung học có thư viện số [1]",
    "citations": [CITATION],
    "rating": "up",
    "comment": "Rõ ràng, có trích dẫn.",
}


def _client(tmp_path: Path, **overrides: Any) -> TestClient:
    # No lifespan (no `with`): /feedback needs neither the model nor an index.
    settings = Settings(
        index_dir=tmp_path / "index",
        feedback_db=tmp_path / "var" / "nested" / "feedback.sqlite3",
        **overrides,
    )
    return TestClient(create_app(settings))


@pytest.fixture
def client(tmp_path: Path) -> TestClient:
    return _client(tmp_path, admin_token=SecretStr(TOKEN))


def _admin(token: str = TOKEN) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_feedback_is_stored_and_listed_most_recent_first(client: TestClient, tmp_path: Path) -> None:
    first = client.post("/feedback", json=GOOD)
    assert first.status_code == 201, first.text
    second = client.post("/feedback", json={**GOOD, "rating": "down", "citations": [], "comment": "   "})
    assert second.status_code == 201
    assert second.json()["id"] > first.json()["id"]

    page = client.get("/feedback", headers=_admin()).json()
    assert page["total"] == 2
    assert [item["rating"] for item in page["items"]] == ["down", "up"]
    newest, oldest = page["items"]
    assert newest["comment"] is None  # a blank comment is no comment
    assert oldest["comment"] == "Rõ ràng, có trích dẫn."
    assert oldest["question"] == GOOD["question"]
    assert oldest["answer"] == GOOD["answer"]
    assert oldest["citations"] == [CITATION]
    assert oldest["created_at"].endswith("+00:00")

    # Durable: on disk in a WAL database, in the folder the setting names (created on demand).
    db = tmp_path / "var" / "nested" / "feedback.sqlite3"
    with sqlite3.connect(db) as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert conn.execute("SELECT count(*) FROM feedback").fetchone()[0] == 2


def test_feedback_pagination(client: TestClient) -> None:
    for i in range(5):
        assert client.post("/feedback", json={**GOOD, "question": f"Câu hỏi số {i}?"}).status_code == 201
    page = client.get("/feedback?limit=2&offset=1", headers=_admin()).json()
    assert (page["total"], page["limit"], page["offset"]) == (5, 2, 1)
    assert [item["question"] for item in page["items"]] == ["Câu hỏi số 3?", "Câu hỏi số 2?"]
    assert client.get("/feedback?offset=5", headers=_admin()).json()["items"] == []
    for query in ("limit=0", "limit=201", "offset=-1", "limit=abc"):
        response = client.get(f"/feedback?{query}", headers=_admin())
        assert response.status_code == 422, query
        assert response.json()["detail"]


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Authorization": "Bearer wrong-token-0123456789"},
        {"Authorization": f"Bearer {TOKEN}x"},
        {"Authorization": f"Basic {TOKEN}"},
        {"Authorization": TOKEN},
    ],
)
def test_listing_needs_the_admin_token(client: TestClient, headers: dict[str, str]) -> None:
    response = client.get("/feedback", headers=headers)
    assert response.status_code == 401
    assert response.json()["detail"] == "invalid or missing admin token"
    assert response.headers["www-authenticate"] == "Bearer"


def test_listing_is_closed_without_a_configured_token(tmp_path: Path) -> None:
    client = _client(tmp_path)
    response = client.get("/feedback", headers=_admin())
    assert response.status_code == 403
    assert response.json()["detail"] == "admin API is disabled"
    # Citizens can still rate answers.
    assert client.post("/feedback", json=GOOD).status_code == 201


@pytest.mark.parametrize(
    "payload",
    [
        {},
        {**GOOD, "rating": "meh"},
        {**GOOD, "rating": 1},
        {**GOOD, "question": ""},
        {**GOOD, "question": "   "},
        {**GOOD, "question": "a" * 2001},
        {**GOOD, "question": 42},
        {**GOOD, "answer": ""},
        {**GOOD, "answer": "x" * 20_001},
        {**GOOD, "answer": "nghỉ\u0000phép"},
        {**GOOD, "comment": "c" * 2001},
        {**GOOD, "comment": "\u0007"},
        {**GOOD, "comment": 5},
        {**GOOD, "citations": "none"},
        {**GOOD, "citations": [CITATION] * 21},
        {**GOOD, "citations": [{**CITATION, "doc_id": "../../etc/passwd"}]},
        {**GOOD, "citations": [{**CITATION, "path": [["dieu", "1", "2"]]}]},
        {**GOOD, "citations": [{**CITATION, "score": "1.0"}]},
        {**GOOD, "citations": [{**CITATION, "quote": "q" * 10_001}]},
        {**GOOD, "citations": [{**CITATION, "extra": 1}]},
        {**GOOD, "unexpected": True},
    ],
)
def test_bad_feedback_is_a_4xx_with_detail(client: TestClient, payload: dict[str, Any]) -> None:
    response = client.post("/feedback", json=payload)
    assert 400 <= response.status_code < 500, response.text
    assert response.json()["detail"]


@pytest.mark.parametrize("body", [b"{not json", b"", b"[]", b"null", b'{"rating": "up"'])
def test_malformed_feedback_bodies_are_4xx(client: TestClient, body: bytes) -> None:
    response = client.post("/feedback", content=body, headers={"content-type": "application/json"})
    assert 400 <= response.status_code < 500
    assert response.json()["detail"]


def test_unwritable_storage_is_a_503_not_a_crash(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    settings = Settings(index_dir=tmp_path / "index", feedback_db=blocker / "feedback.sqlite3")
    response = TestClient(create_app(settings)).post("/feedback", json=GOOD)
    assert response.status_code == 503
    assert response.json()["detail"]
    assert str(tmp_path) not in response.text


def test_store_survives_reopening(tmp_path: Path) -> None:
    path = tmp_path / "fb.sqlite3"
    FeedbackStore(path).add(FeedbackRequest.model_validate_json(json.dumps(GOOD)))
    items, total = FeedbackStore(path).recent(10, 0)
    assert total == 1
    assert items[0].citations[0].path == [["dieu", "1"], ["muc", "II"], ["tieu_muc", "2"], ["diem", "a"]]
