"""Request bodies bounded at the door (413), slow senders (408) and slow readers, on a real server."""

from __future__ import annotations

import asyncio
import json
import socket
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient
from starlette.types import Message, Receive, Scope, Send

from api.http.bodies import BodyLimits
from api.http.feedback_schemas import MAX_ANSWER_CHARS, MAX_CITATIONS, MAX_COMMENT_CHARS
from api.main import create_app
from api.service.settings import Settings

from .conftest import HTTP_TIMEOUT, serve
from .test_feedback import CITATION, GOOD


@pytest.fixture(scope="module")
def url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    root = tmp_path_factory.mktemp("bodies")
    settings = Settings(
        index_dir=root / "index",
        feedback_db=root / "feedback.sqlite3",
        max_body_bytes=64 * 1024,
        body_timeout=0.5,
    )
    with serve(create_app(settings)) as base:
        yield base


def _raw(url: str, request: bytes) -> tuple[bytes, dict[str, str]]:
    """Send ``request`` as it is; the status line and the JSON body of the answer."""
    host, port = url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=HTTP_TIMEOUT) as sock:
        sock.sendall(request)
        received = b""
        while b"\r\n\r\n" not in received:
            received += sock.recv(65536)
        head, body = received.split(b"\r\n\r\n", 1)
        length = next(
            int(h.split(b":")[1]) for h in head.split(b"\r\n") if h.lower().startswith(b"content-length")
        )
        while len(body) < length:
            body += sock.recv(65536)
    detail: dict[str, str] = json.loads(body)
    return head.split(b"\r\n")[0], detail


def test_a_100_mb_body_is_refused_before_it_is_sent(url: str) -> None:
    head = (
        b"POST /ask HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"
        b"Content-Length: 104857600\r\n\r\n"
    )
    status, body = _raw(url, head)  # not one byte of the body: the headers alone are answered
    assert status == b"HTTP/1.1 413 Request Entity Too Large"
    assert body["detail"] == "Nội dung yêu cầu quá lớn (tối đa 65536 byte)."


def test_a_body_without_a_length_is_cut_off_at_the_limit(url: str) -> None:
    def chunks() -> Iterator[bytes]:
        for _ in range(1000):  # 16 MB offered, 64 KiB allowed
            yield b" " * 16384

    response = httpx.post(
        f"{url}/feedback",
        content=chunks(),
        headers={"Content-Type": "application/json"},
        timeout=HTTP_TIMEOUT,
    )
    assert response.status_code == 413
    assert "quá lớn" in response.json()["detail"]


def test_a_client_that_sends_its_body_too_slowly_gets_a_408(url: str) -> None:
    head = (
        b"POST /feedback HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"
        b"Content-Length: 100\r\n\r\n"
    )
    status, body = _raw(url, head + b'{"question": ')  # then nothing: the server must not wait for ever
    assert status.startswith(b"HTTP/1.1 408 ")
    assert body["detail"] == "Nội dung yêu cầu được gửi quá chậm."


def test_the_largest_valid_feedback_fits_the_default_limit(tmp_path: Path) -> None:
    letters = "ệ"  # three bytes in UTF-8, as many as any Vietnamese letter
    citation = {
        **CITATION,
        "doc_title": letters * 1000,
        "label": letters * 1000,
        "heading": letters * 2000,
        "quote": letters * 10_000,
        "doc_number": letters * 200,
        "status": letters * 200,
        "path": [["dieu", "1" * 32]] * 12,
    }
    body = {
        **GOOD,
        "question": letters * Settings().max_question_chars,
        "answer": letters * MAX_ANSWER_CHARS,
        "comment": letters * MAX_COMMENT_CHARS,
        "citations": [citation] * MAX_CITATIONS,
    }
    assert len(json.dumps(body).encode()) < Settings().max_body_bytes  # every letter \u-escaped
    data = json.dumps(body, ensure_ascii=False).encode()
    settings = Settings(index_dir=tmp_path / "index", feedback_db=tmp_path / "feedback.sqlite3")
    response = TestClient(create_app(settings)).post(
        "/feedback", content=data, headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 201, response.text[:300]


def test_a_client_that_leaves_the_response_unread_is_dropped() -> None:
    sent: list[Message] = []

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": []})
        for _ in range(3):
            await send({"type": "http.response.body", "body": b"data", "more_body": True})

    async def receive() -> Message:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def stalled(message: Message) -> None:
        if message["type"] == "http.response.body":
            await asyncio.Event().wait()  # a reader whose socket buffer never drains
        sent.append(message)

    limits = BodyLimits(app, max_bytes=1024, upload_bytes=1024, body_timeout=5, send_timeout=0.05)
    scope: Scope = {"type": "http", "path": "/ask", "headers": []}
    asyncio.run(limits(scope, receive, stalled))  # returns: the app is not left waiting for ever
    assert [m["type"] for m in sent] == ["http.response.start"]
