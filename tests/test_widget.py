"""The citizens' chat in a real browser (Debian's Chromium through Playwright) against a real
uvicorn server over the fixture index: the full page at /, and widget.js embedded in a page of
another origin."""

from __future__ import annotations

import contextlib
import html
import json
import os
import re
import shutil
import socket
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse

import httpx
import pytest
import uvicorn
from fastapi import FastAPI
from fastapi.testclient import TestClient
from playwright.sync_api import Browser, BrowserContext, Locator, Page, expect, sync_playwright
from pydantic import SecretStr

from api.main import create_app
from api.service.settings import Settings
from ingest.embedding.embed import Embedder
from ingest.index.build import build
from ingest.settings import IngestSettings

from .conftest import FIXTURE_CORPUS, HTTP_TIMEOUT, MODEL_DIR

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
TOKEN = "widget-test-admin-token-42"
SCREENSHOTS = Path(__file__).parent.parent / "screenshots"
# Generous upper bounds for waiting on the service; nothing asserts on how long anything takes.
ANSWER_WAIT_MS = 30_000

QUESTION = "Mục tiêu đến năm 2025 về thư viện số là gì?"
FOLLOW_UP = "Còn về học liệu thì sao?"
OUT_OF_CORPUS = "Thủ tục đăng ký kết hôn với người nước ngoài như thế nào?"
XSS = '<img src=x onerror="window.__xss=1"><script>window.__xss=1</script>'

pytestmark = pytest.mark.browser


# ------------------------------------------------------------------------------ servers


def _listen() -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    return sock


class ApiServer:
    """``create_app(settings)`` served by uvicorn in a thread, on a free port."""

    def __init__(self, app: FastAPI) -> None:
        self.sock = _listen()
        self.origin = f"http://127.0.0.1:{self.sock.getsockname()[1]}"
        config = uvicorn.Config(app, log_config=None, log_level="warning", timeout_graceful_shutdown=2)
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, kwargs={"sockets": [self.sock]}, daemon=True)

    def __enter__(self) -> ApiServer:
        self.thread.start()
        # uvicorn sets `started` after the lifespan (model and index loaded) has completed.
        for _ in range(1200):
            if self.server.started or not self.thread.is_alive():
                break
            threading.Event().wait(0.05)
        assert self.server.started, "the API server did not start"
        return self

    def __exit__(self, *_: object) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=30)
        self.sock.close()


class HostSite:
    """Another origin: pages that embed widget.js with a <script> tag, and an endpoint that
    accepts a question and never answers (for the timeout)."""

    def __init__(self) -> None:
        self.api = ""
        self.release = threading.Event()
        self.gates = [threading.Event(), threading.Event()]
        site = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *_: object) -> None:
                pass

            def do_GET(self) -> None:
                url = urlparse(self.path)
                if url.path != "/embed":
                    self.send_error(404)
                    return
                params = {k: v[0] for k, v in parse_qs(url.query).items()}
                body = site.page(params).encode()
                self.send_response(200)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def _cors(self) -> None:
                self.send_header("Access-Control-Allow-Origin", "*")
                self.send_header("Access-Control-Allow-Headers", "Content-Type")
                self.send_header("Access-Control-Allow-Methods", "POST")

            def do_OPTIONS(self) -> None:
                self.send_response(204)
                self._cors()
                self.end_headers()

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                if self.path == "/relay/ask":
                    self.relay(body)
                    return
                # /hang/ask: accepted, never answered
                site.release.wait(120)
                with contextlib.suppress(OSError):  # the browser has long given up
                    self.send_response(503)
                    self.end_headers()

            def relay(self, body: bytes) -> None:
                """The real API's answer, replayed in steps the test controls: the first token
                event, then (gate 0) the other tokens, then (gate 1) the final event."""
                reply = httpx.post(
                    f"{site.api}/ask",
                    content=body,
                    headers={"Content-Type": "application/json"},
                    timeout=HTTP_TIMEOUT,
                )
                events = [e + "\n\n" for e in reply.text.split("\n\n") if e.strip()]
                self.send_response(reply.status_code)
                self.send_header("Content-Type", reply.headers["content-type"])
                self.end_headers()
                steps = [events[:1], events[1:-1], events[-1:]]
                for step, gate in zip(steps, [None, *site.gates], strict=True):
                    if gate is not None:
                        gate.wait(60)
                    self.wfile.write("".join(step).encode())
                    self.wfile.flush()

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.origin = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def page(self, params: dict[str, str]) -> str:
        attrs = {
            "data-title": "Trợ lý pháp luật",
            "data-color": "#0f766e",
            **{f"data-{k}": v for k, v in params.items()},
        }
        data = " ".join(f'{k}="{html.escape(v)}"' for k, v in attrs.items())
        return f"""<!doctype html>
<html lang="vi"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Cổng thông tin Phường Bến Nghé</title>
<style>
  body {{ margin: 0; font: 16px/1.6 Georgia, serif; color: #222; background: #fbfaf7; }}
  header {{ background: #7f1d1d; color: #fff; padding: 18px 24px; font-size: 20px; font-weight: bold; }}
  main {{ max-width: 760px; margin: 0 auto; padding: 24px; }}
  /* Hostile rules: the widget's shadow DOM must not care. */
  .launcher, .panel, .frame {{ display: none !important; }}
  button {{ background: rgb(0, 255, 0) !important; font-size: 40px !important; }}
</style></head>
<body>
<header>Cổng thông tin điện tử Phường Bến Nghé</header>
<main>
  <h1>Thông báo lịch tiếp công dân</h1>
  <p>Ủy ban nhân dân phường tiếp công dân vào sáng thứ Năm hằng tuần tại trụ sở.</p>
  <p>Người dân có thể tra cứu nhanh quy định pháp luật bằng trợ lý ở góc phải màn hình.</p>
  <p><a href="#lien-he">Liên hệ</a></p>
</main>
<script src="{html.escape(self.api)}/widget.js" defer {data}></script>
</body></html>"""

    def __enter__(self) -> HostSite:
        self.thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self.release.set()
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture(scope="module")
def host() -> Iterator[HostSite]:
    with HostSite() as site:
        yield site


@pytest.fixture(scope="module")
def api_settings(
    built_settings: IngestSettings, host: HostSite, tmp_path_factory: pytest.TempPathFactory
) -> Settings:
    return Settings(
        **built_settings.model_dump(),
        cors_origins=host.origin,
        admin_token=SecretStr(TOKEN),
        feedback_db=tmp_path_factory.mktemp("var") / "feedback.sqlite3",
    )


@pytest.fixture(scope="module")
def api(api_settings: Settings, host: HostSite) -> Iterator[ApiServer]:
    with ApiServer(create_app(api_settings)) as server:
        host.api = server.origin
        yield server


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: apt-get install -y chromium (see .ci/run)")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def context(browser: Browser) -> Iterator[BrowserContext]:
    ctx = browser.new_context(viewport={"width": 1280, "height": 800}, locale="vi-VN")
    yield ctx
    ctx.close()


@pytest.fixture
def page(context: BrowserContext) -> Page:
    page = context.new_page()
    page.set_default_timeout(ANSWER_WAIT_MS)
    return page


# ------------------------------------------------------------------------------ helpers


def shadow(page: Page, expression: str) -> Any:
    """Evaluate ``expression`` with ``root`` bound to the widget's shadow root."""
    root = "document.querySelector('[data-vnlaw-widget]').shadowRoot"
    return page.evaluate(f"() => {{ const root = {root}; return {expression}; }}")


def ask(page: Page, question: str) -> None:
    box = page.get_by_label("Câu hỏi của bạn")
    box.fill(question)
    box.press("Enter")


def answers(page: Page) -> Any:
    return page.locator("article.msg.bot")


def wait_answer(page: Page, n: int) -> None:
    """Wait until the n-th answer (1-based) is complete."""
    done = page.locator("article.msg.bot:not([aria-busy])")
    expect(done).to_have_count(n, timeout=ANSWER_WAIT_MS)


def ask_requests(page: Page) -> list[dict[str, Any]]:
    bodies: list[dict[str, Any]] = []

    def record(request: Any) -> None:
        if request.method == "POST" and request.url.endswith("/ask"):
            bodies.append(request.post_data_json)

    page.on("request", record)
    return bodies


# ------------------------------------------------------------------------------ plain HTTP


def test_page_and_script_are_served(api_settings: Settings) -> None:
    client = TestClient(create_app(api_settings))
    page = client.get("/")
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert "script-src 'self'" in page.headers["content-security-policy"]
    assert 'src="/widget.js" data-mode="page"' in page.text
    script = client.get("/widget.js")
    assert script.status_code == 200
    assert script.headers["content-type"].startswith("text/javascript")
    assert script.headers["cross-origin-resource-policy"] == "cross-origin"
    # No external assets: nothing is fetched from anywhere but the API itself.
    code = script.text.split("*/", 1)[1]  # past the usage comment
    assert "http://" not in code.replace("http://www.w3.org/2000/svg", "")  # (an XML namespace)
    assert "https://" not in code
    assert "url(" not in code
    assert "@import" not in code
    assert "https://" not in page.text
    assert not re.search(r"\.(innerHTML|outerHTML)\b|insertAdjacentHTML|document\.write|eval\(", code)


def test_cors_preflight_allows_json_posts_from_listed_origins(api_settings: Settings, host: HostSite) -> None:
    client = TestClient(create_app(api_settings))
    for path in ("/ask", "/feedback"):
        response = client.options(
            path,
            headers={
                "Origin": host.origin,
                "Access-Control-Request-Method": "POST",
                "Access-Control-Request-Headers": "content-type",
            },
        )
        assert response.status_code == 200, path
        assert response.headers["access-control-allow-origin"] == host.origin
        assert "POST" in response.headers["access-control-allow-methods"]
        assert "content-type" in response.headers["access-control-allow-headers"].lower()
    stranger = client.options(
        "/ask", headers={"Origin": "http://evil.example", "Access-Control-Request-Method": "POST"}
    )
    assert stranger.status_code == 400
    assert "access-control-allow-origin" not in stranger.headers


# ------------------------------------------------------------------------------ browser


def test_full_page_streams_cited_answers_and_keeps_the_conversation(api: ApiServer, page: Page) -> None:
    requests = ask_requests(page)
    page.goto(api.origin + "/")
    expect(page.get_by_role("heading", name="Hỏi đáp pháp luật")).to_be_visible()
    expect(page.get_by_label("Câu hỏi của bạn")).to_be_focused()

    with page.expect_response(lambda r: r.url.endswith("/ask")) as response:
        ask(page, QUESTION)
    assert response.value.headers["content-type"].startswith("text/event-stream")
    expect(page.locator(".msg.user .bubble")).to_have_text(QUESTION)
    wait_answer(page, 1)
    first = answers(page).nth(0)

    # Citations: [n] markers are buttons to footnotes naming the document and its number.
    source = first.locator("li.source").first
    expect(source).to_contain_text("77/QĐ-TTg")
    expect(source.locator("strong")).to_contain_text("Quyết định 77/QĐ-TTg")
    quote = source.locator("blockquote")
    expect(quote).to_be_hidden()
    source.get_by_text("Xem đoạn trích dẫn").click()
    expect(quote).to_be_visible()
    expect(quote).to_contain_text("thư viện số")
    marker = first.locator("button.marker").first
    expect(marker).to_have_text("1")
    marker.click()
    focused = shadow(page, "[root.activeElement.textContent, root.activeElement.closest('li').id]")
    assert focused[0] == "Xem đoạn trích dẫn"
    assert focused[1].endswith("-src-1")
    live = page.locator("[aria-live=polite]")
    expect(live).to_contain_text("Câu trả lời:")

    # A follow-up carries the conversation.
    ask(page, FOLLOW_UP)
    wait_answer(page, 2)
    expect(answers(page).nth(1).locator("li.source").first).to_contain_text("77/QĐ-TTg")
    assert requests[0]["history"] == []
    assert requests[0]["stream"] is True
    history = requests[1]["history"]
    assert history[0] == {"role": "user", "content": QUESTION}
    assert history[1]["role"] == "assistant"
    assert "[1]" in history[1]["content"]

    # Only the last 6 turns are sent.
    for i in range(3):
        ask(page, f"Mục tiêu đến năm 2025 về hạ tầng thư viện số lần {i}?")
        wait_answer(page, 3 + i)
    assert len(requests[-1]["history"]) == 6
    assert requests[-1]["history"][0] == {"role": "user", "content": FOLLOW_UP}

    # A new conversation forgets everything.
    page.get_by_role("button", name="Cuộc trò chuyện mới").click()
    expect(page.locator(".msg")).to_have_count(0)
    expect(page.get_by_text("Xin chào!")).to_be_visible()
    expect(page.get_by_label("Câu hỏi của bạn")).to_be_focused()
    ask(page, QUESTION)
    wait_answer(page, 1)
    assert requests[-1]["history"] == []


@pytest.fixture(scope="module")
def national_api(national_settings: IngestSettings) -> Iterator[ApiServer]:
    with ApiServer(create_app(Settings(**national_settings.model_dump()))) as server:
        yield server


def test_footnotes_say_what_the_cited_text_is(national_api: ApiServer, page: Page) -> None:
    page.goto(national_api.origin + "/")
    # A consolidated (pháp điển) wording, of an article the pháp điển filed in another document.
    ask(page, "Đấu giá viên có phải tham gia bảo hiểm trách nhiệm nghề nghiệp không?")
    wait_answer(page, 1)
    source = answers(page).nth(0).locator("li.source").first
    expect(source.locator("strong")).to_have_text("Khoản 1 Điều 20 Luật 01/2016/QH14")
    kind = source.locator(".fact.kind")
    expect(kind).to_have_text("Bản pháp điển (hợp nhất)")
    expect(kind).to_have_attribute("title", re.compile("Pháp điển"))
    expect(source.locator(".fact.origin")).to_have_text(
        ["Ban hành tại 01/2016/QH14", "Hiệu lực từ 01/07/2017"]
    )
    expect(source.locator(".fact.partial")).to_have_count(0)
    # Verbatim quotes of a law the collection holds only in part.
    ask(page, "Trách nhiệm lấy ý kiến về nhiệm vụ quy hoạch đô thị và nông thôn được quy định như thế nào?")
    wait_answer(page, 2)
    quoted = answers(page).nth(1).locator("li.source", has_text="Luật Quy hoạch đô thị và nông thôn").first
    expect(quoted.locator(".fact.kind")).to_have_text("Trích dẫn nguyên văn")
    expect(quoted.locator(".fact.partial")).to_have_text("Văn bản không đầy đủ")
    expect(quoted.locator(".fact.origin")).to_have_count(0)


# A decision written for the validity test: it takes over the fixture decision 77/QĐ-TTg (on
# the same subject, so the replaced text still follows it in answers; an unrelated successor's
# provisions would all rank before the demoted ones).
SUCCESSOR = """THỦ TƯỚNG CHÍNH PHỦ
Số: 15/QĐ-TTg
Hà Nội, ngày 20 tháng 12 năm 2024

QUYẾT ĐỊNH
PHÊ DUYỆT ĐỀ ÁN “THƯ VIỆN SỐ TRONG TRƯỜNG HỌC GIAI ĐOẠN 2025 - 2030”

Điều 1. Mục tiêu của Đề án
Mọi trường phổ thông có thư viện số kết nối với kho học liệu quốc gia.
Điều 2. Hiệu lực thi hành
Quyết định này có hiệu lực thi hành từ ngày 01 tháng 01 năm 2025.
"""
SUCCESSOR_META = {
    "ten_van_ban": "Quyết định 15/QĐ-TTg về thư viện số trong trường học giai đoạn 2025 - 2030",
    "so_hieu_van_ban": "15/QĐ-TTg",
    "loai_van_ban": "Quyết định",
    "noi_ban_hanh": "Thủ tướng Chính phủ",
    "ngay_ban_hanh": "20/12/2024",
    "ngay_hieu_luc": "01/01/2025",
    "tinh_trang": "Còn hiệu lực",
}
# The fixture decision's text says nothing of a successor: a reviewed row says it.
REVIEWED_SOURCE = "Hàng kiểm thử của tests/test_widget.py, không phải văn bản thật"
REVIEWED = {
    "rows": [
        {
            "number": "77/QĐ-TTg",
            "status": "Hết hiệu lực toàn bộ",
            "successors": ["15/QĐ-TTg"],
            "from": "01/01/2025",
            "scope": "Toàn bộ Quyết định 77/QĐ-TTg",
            "source": REVIEWED_SOURCE,
            "reviewed": "07/12/2026",
        }
    ]
}


@pytest.fixture(scope="module")
def replaced_api(tmp_path_factory: pytest.TempPathFactory, embedder: Embedder) -> Iterator[ApiServer]:
    """The fixture decision, the decision that replaced it, and the reviewed table (through
    the VNLAW_VALIDITY_TABLE setting) that says so."""
    root = tmp_path_factory.mktemp("replaced")
    corpus = root / "corpus"
    corpus.mkdir()
    shutil.copy(FIXTURE_CORPUS / "qd-mau-2023.txt", corpus)
    (corpus / "qd-15-ttg.txt").write_text(SUCCESSOR, encoding="utf-8")
    meta = json.dumps(SUCCESSOR_META, ensure_ascii=False)
    (corpus / "qd-15-ttg.meta.json").write_text(meta, encoding="utf-8")
    table = root / "validity.json"
    table.write_text(json.dumps(REVIEWED, ensure_ascii=False), encoding="utf-8")
    ingest = IngestSettings(corpus_dir=corpus, index_dir=root / "index", model_dir=MODEL_DIR)
    build(ingest, embedder_factory=lambda: embedder)
    settings = Settings(**ingest.model_dump(), validity_table=table, feedback_db=root / "feedback.sqlite3")
    with ApiServer(create_app(settings)) as server:
        yield server


def test_every_citation_shows_its_validity_and_a_replaced_text_its_successor(
    replaced_api: ApiServer, page: Page
) -> None:
    page.goto(replaced_api.origin + "/")
    ask(page, "Mục tiêu về thư viện số trong trường học là gì?")
    wait_answer(page, 1)
    reply = answers(page).nth(0)
    sources = reply.locator("li.source")
    # The current decision leads; the replaced one follows, marked, with its successor named.
    expect(sources.first).to_contain_text("15/QĐ-TTg")
    marked = "Quyết định 77/QĐ-TTg (đã hết hiệu lực, thay bằng 15/QĐ-TTg):"
    expect(reply.locator(".answer")).to_contain_text(marked)

    def check(reply: Locator) -> None:
        sources = reply.locator("li.source")
        expect(sources.filter(has_text="77/QĐ-TTg")).not_to_have_count(0)
        expect(reply.locator("li.source:not(:has(.fact.status))")).to_have_count(0)
        for current in sources.filter(has_text="Số hiệu 15/QĐ-TTg").all():
            expect(current.locator(".fact.status")).to_have_text("Còn hiệu lực")
            expect(current.locator(".fact.status")).not_to_have_class(re.compile("expired"))
            expect(current.locator(".fact.successor")).to_have_count(0)
            expect(current.locator(".fact.origin")).to_have_text("Hiệu lực từ 01/01/2025")
        for old in sources.filter(has_text="Số hiệu 77/QĐ-TTg").all():
            status = old.locator(".fact.status")
            expect(status).to_have_text("Hết hiệu lực toàn bộ")
            expect(status).to_have_class(re.compile(r"\bexpired\b"))
            # The reviewed row's source is the chip's tooltip, as text.
            expect(status).to_have_attribute("title", REVIEWED_SOURCE)
            expect(old.locator(".fact.successor")).to_have_text("Thay bằng 15/QĐ-TTg")

    check(reply)
    # The stored conversation keeps them (what the widget checks and stores it shows again).
    page.reload()
    expect(answers(page)).to_have_count(1)
    check(answers(page).nth(0))


def test_the_chat_says_when_coverage_is_still_growing(
    national_api: ApiServer, national_settings: IngestSettings, page: Page
) -> None:
    page.goto(national_api.origin + "/")
    expect(page.locator(".coverage")).to_be_hidden()  # nothing is being indexed
    # What a staged build running in another process writes (ingest/index/stages.py).
    status = national_settings.index_dir / ".indexing.json"
    status.write_text(json.dumps({"state": "running", "stage": 2, "stages": 4, "pid": os.getpid()}))
    try:
        page.reload()
        expect(page.locator(".coverage")).to_have_text(
            "Kho văn bản đang được bổ sung (6 văn bản đã sẵn sàng, giai đoạn 2/4): "
            "câu trả lời có thể chưa đầy đủ."
        )
    finally:
        status.unlink()


def test_a_reload_keeps_the_conversation_of_the_tab(api: ApiServer, page: Page) -> None:
    requests = ask_requests(page)
    page.goto(api.origin + "/")
    ask(page, QUESTION)
    wait_answer(page, 1)

    page.reload()
    expect(page.locator(".msg.user .bubble")).to_have_text([QUESTION])
    expect(answers(page)).to_have_count(1)
    expect(answers(page).first.locator("li.source").first).to_contain_text("77/QĐ-TTg")
    ask(page, FOLLOW_UP)
    wait_answer(page, 2)
    assert requests[-1]["history"][0] == {"role": "user", "content": QUESTION}

    # Whatever else is in storage is ignored, and "new conversation" forgets for good.
    page.evaluate("() => sessionStorage.setItem('unrelated', '{')")
    page.get_by_role("button", name="Cuộc trò chuyện mới").click()
    page.reload()
    expect(page.get_by_text("Xin chào!")).to_be_visible()
    expect(page.locator(".msg")).to_have_count(0)


def test_a_tampered_conversation_is_dropped(api: ApiServer, page: Page) -> None:
    page.goto(api.origin + "/")
    key = f"vnlaw-chat:{api.origin}"
    page.evaluate(
        "([key]) => sessionStorage.setItem(key, JSON.stringify([{question: 'x', result: "
        "{answer: '<img src=x onerror=alert(1)>', abstained: false, citations: [{path: 5}]}}]))",
        [key],
    )
    page.reload()
    expect(page.get_by_text("Xin chào!")).to_be_visible()
    expect(page.locator(".msg")).to_have_count(0)
    expect(page.locator("img")).to_have_count(0)


def test_answer_grows_as_tokens_arrive(api: ApiServer, host: HostSite, page: Page) -> None:
    host.gates = [threading.Event(), threading.Event()]
    page.goto(f"{host.origin}/embed?api={host.origin}/relay")
    page.get_by_role("button", name="Trợ lý pháp luật").click()
    ask(page, QUESTION)
    reply = answers(page).nth(0)
    body = reply.locator(".answer")
    expect(body).to_have_text("Theo các quy định")  # the first token event: four words
    expect(reply).to_have_attribute("aria-busy", "true")
    host.gates[0].set()
    expect(body).to_contain_text("Quyết định 77/QĐ-TTg")  # the other tokens
    expect(body.locator(".marker.pending").first).to_have_text("1")  # not a link yet
    expect(reply).to_have_attribute("aria-busy", "true")
    expect(reply.locator("li.source")).to_have_count(0)
    host.gates[1].set()
    wait_answer(page, 1)
    expect(reply.locator("li.source").first).to_contain_text("77/QĐ-TTg")
    expect(body.locator("button.marker").first).to_have_text("1")


def test_abstention_offers_example_questions(api: ApiServer, page: Page) -> None:
    requests = ask_requests(page)
    page.goto(api.origin + "/")
    ask(page, OUT_OF_CORPUS)
    wait_answer(page, 1)
    reply = answers(page).nth(0)
    expect(reply).to_contain_text("Xin lỗi")
    expect(reply.locator("li.source")).to_have_count(0)
    chips = reply.locator("button.chip")
    expect(chips).to_have_count(3)
    expect(chips.nth(1)).to_have_text("Người lao động được nghỉ hằng năm bao nhiêu ngày?")
    chips.nth(1).click()
    wait_answer(page, 2)
    assert requests[-1]["question"] == "Người lao động được nghỉ hằng năm bao nhiêu ngày?"
    expect(answers(page).nth(1).locator("li.source").first).to_contain_text("99/2020/QH14")


def test_widget_embedded_in_another_origin(api: ApiServer, host: HostSite, page: Page) -> None:
    page.goto(host.origin + "/embed")
    launcher = page.get_by_role("button", name="Trợ lý pháp luật")
    expect(launcher).to_be_visible()
    expect(launcher).to_have_attribute("aria-expanded", "false")
    # The accent colour comes from data-color; the page's own button rules do not reach in.
    assert launcher.evaluate("el => getComputedStyle(el).backgroundColor") == "rgb(15, 118, 110)"
    assert launcher.evaluate("el => getComputedStyle(el).fontSize") == "15px"
    panel = page.get_by_role("dialog", name="Trợ lý pháp luật")
    expect(panel).to_be_hidden()

    # Keyboard only: tab to the launcher, open it, ask, read the answer, close with Esc.
    for _ in range(10):
        page.keyboard.press("Tab")
        if shadow(page, "root.activeElement && root.activeElement.classList.contains('launcher')"):
            break
    else:
        pytest.fail("the launcher is not reachable with Tab")
    page.keyboard.press("Enter")
    expect(panel).to_be_visible()
    expect(launcher).to_have_attribute("aria-expanded", "true")
    assert shadow(page, "root.activeElement.id") == "vnlaw-input"
    page.keyboard.type(QUESTION)
    page.keyboard.press("Enter")
    wait_answer(page, 1)
    source = answers(page).nth(0).locator("li.source").first
    expect(source).to_contain_text("77/QĐ-TTg")
    page.keyboard.press("Escape")
    expect(panel).to_be_hidden()
    expect(launcher).to_have_attribute("aria-expanded", "false")
    assert shadow(page, "root.activeElement.classList.contains('launcher')")
    # Reopening keeps the conversation.
    page.keyboard.press("Enter")
    expect(panel).to_be_visible()
    expect(answers(page)).to_have_count(1)


def test_feedback_is_sent_cross_origin_and_stored(api: ApiServer, host: HostSite, page: Page) -> None:
    page.goto(host.origin + "/embed")
    page.get_by_role("button", name="Trợ lý pháp luật").click()
    ask(page, QUESTION)
    wait_answer(page, 1)
    reply = answers(page).nth(0)
    up = reply.get_by_role("button", name="Hữu ích", exact=True)
    up.click()
    expect(up).to_have_attribute("aria-pressed", "true")
    comment = reply.get_by_label("Góp ý thêm (không bắt buộc)")
    expect(comment).to_be_focused()
    comment.fill("Rất rõ ràng <b>cảm ơn</b>")
    reply.get_by_role("button", name="Gửi góp ý").click()
    expect(reply.get_by_text("Cảm ơn bạn đã góp ý!")).to_be_visible()

    listing = httpx.get(
        f"{api.origin}/feedback", headers={"Authorization": f"Bearer {TOKEN}"}, timeout=HTTP_TIMEOUT
    )
    assert listing.status_code == 200
    newest = listing.json()["items"][0]
    assert newest["rating"] == "up"
    assert newest["comment"] == "Rất rõ ràng <b>cảm ơn</b>"
    assert newest["question"] == QUESTION
    assert newest["answer"].startswith("Theo")
    assert newest["citations"][0]["doc_number"] == "77/QĐ-TTg"
    assert httpx.get(f"{api.origin}/feedback", timeout=HTTP_TIMEOUT).status_code == 401


@pytest.mark.parametrize("where", ["page", "embed"])
def test_untrusted_text_is_never_markup(api: ApiServer, host: HostSite, page: Page, where: str) -> None:
    # The embedding page has no Content-Security-Policy: only the rendering protects it.
    page.goto(api.origin + "/" if where == "page" else host.origin + "/embed")
    if where == "embed":
        page.get_by_role("button", name="Trợ lý pháp luật").click()
    ask(page, XSS)
    wait_answer(page, 1)
    expect(page.locator(".msg.user .bubble")).to_have_text(XSS)

    # An answer whose every field holds markup, as a compromised or buggy service might send.
    evil = '<img src=x onerror="window.__xss=1"><script>window.__xss=1</script>'
    done = {
        "answer": f"Theo quy định:\n- {evil}: {evil} [1]",
        "abstained": False,
        "citations": [
            {
                "doc_id": "x",
                "doc_number": evil,
                "doc_title": evil,
                "path": [["dieu", evil]],
                "label": evil,
                "heading": evil,
                "quote": evil,
                "score": 1.0,
                "status": evil,
                "status_basis": evil,
                "replaced_by": [{"number": evil, "doc_id": evil}],
                "partial": True,
                "source_kind": "consolidated",
                "source": evil,
                "origin_number": "<b>" + evil,
                "origin_effective": evil,
            }
        ],
    }
    stream = (
        f"event: token\ndata: {json.dumps({'text': done['answer']})}\n\n"
        f"event: done\ndata: {json.dumps(done)}\n\n"
    )
    page.route(
        "**/ask",
        lambda route: route.fulfill(
            status=200,
            content_type="text/event-stream",
            headers={"Access-Control-Allow-Origin": "*"},
            body=stream,
        ),
    )
    ask(page, "Câu hỏi bình thường?")
    wait_answer(page, 2)
    reply = answers(page).nth(1)
    reply.locator("summary").first.click()
    expect(reply.locator("blockquote")).to_have_text(evil)
    expect(reply.locator(".source strong")).to_have_text(evil)
    expect(reply.locator(".fact.origin")).to_have_text([f"Ban hành tại <b>{evil}", f"Hiệu lực từ {evil}"])
    expect(reply.locator(".fact.kind")).to_have_attribute("title", evil)
    expect(reply.locator(".fact.status")).to_have_text(evil)
    expect(reply.locator(".fact.status")).to_have_attribute("title", evil)
    expect(reply.locator(".fact.successor")).to_have_text(f"Thay bằng {evil}")
    assert page.evaluate("window.__xss") is None
    assert shadow(page, "root.querySelectorAll('img, script').length") == 0
    assert page.locator("img").count() == 0


def test_unreachable_service_shows_an_error_and_retry(api: ApiServer, host: HostSite, page: Page) -> None:
    dead = _listen()
    dead_port = dead.getsockname()[1]
    dead.close()  # nothing listens there any more: connections are refused
    page.goto(f"{host.origin}/embed?api=http://127.0.0.1:{dead_port}")
    page.get_by_role("button", name="Trợ lý pháp luật").click()
    ask(page, QUESTION)
    error = page.locator("article.msg.error")
    expect(error).to_contain_text("Không kết nối được với máy chủ hỏi đáp.")
    retry = error.get_by_role("button", name="Thử lại")
    expect(retry).to_be_visible()
    expect(page.locator("[aria-live=polite]")).to_contain_text("Không kết nối được")
    retry.click()
    expect(page.locator("article.msg.error")).to_have_count(1)
    expect(page.locator("article.msg.error")).to_contain_text("Không kết nối được")
    expect(page.locator(".msg.user")).to_have_count(1)


def test_retry_after_a_dropped_connection_and_error_details(api: ApiServer, page: Page) -> None:
    page.goto(api.origin + "/")
    page.route("**/ask", lambda route: route.abort("connectionrefused"))
    ask(page, QUESTION)
    error = page.locator("article.msg.error")
    expect(error).to_contain_text("Không kết nối được")
    page.unroute("**/ask")
    error.get_by_role("button", name="Thử lại").click()
    wait_answer(page, 1)
    expect(page.locator("article.msg.error")).to_have_count(0)
    expect(answers(page).nth(0).locator("li.source").first).to_contain_text("77/QĐ-TTg")

    # The service's own words are shown when it refuses.
    page.route(
        "**/ask",
        lambda route: route.fulfill(
            status=503,
            content_type="application/json",
            body=json.dumps({"detail": "Chỉ mục đang được cập nhật."}),
        ),
    )
    ask(page, FOLLOW_UP)
    error = page.locator("article.msg.error")
    expect(error).to_contain_text("Hệ thống đang tạm thời chưa sẵn sàng.")
    expect(error).to_contain_text("Chi tiết: Chỉ mục đang được cập nhật.")
    page.unroute("**/ask")
    error.get_by_role("button", name="Thử lại").click()
    wait_answer(page, 2)


def test_slow_service_is_abandoned_with_a_retry(api: ApiServer, host: HostSite, page: Page) -> None:
    # data-timeout shortens the 30 s default; the host's /hang/ask accepts and never answers.
    page.goto(f"{host.origin}/embed?api={host.origin}/hang&timeout=1")
    page.get_by_role("button", name="Trợ lý pháp luật").click()
    ask(page, QUESTION)
    error = page.locator("article.msg.error")
    expect(error).to_contain_text("Máy chủ phản hồi quá lâu.", timeout=ANSWER_WAIT_MS)
    expect(error.get_by_role("button", name="Thử lại")).to_be_visible()


def test_accessibility_basics(api: ApiServer, host: HostSite, browser: Browser) -> None:
    for motion, animation in (("reduce", "none"), ("no-preference", "vnlaw-in")):
        ctx = browser.new_context(reduced_motion=motion)
        try:
            page = ctx.new_page()
            page.goto(host.origin + "/embed")
            page.get_by_role("button", name="Trợ lý pháp luật").click()
            panel = page.get_by_role("dialog", name="Trợ lý pháp luật")
            assert panel.evaluate("el => getComputedStyle(el).animationName") == animation
            ask(page, QUESTION)
            wait_answer(page, 1)
            # Every control has a name; every text box has a label.
            unnamed = shadow(
                page,
                """[...root.querySelectorAll('button, summary, textarea')].filter(el =>
                    !(el.textContent.trim() || el.getAttribute('aria-label') || el.labels?.length)
                ).map(el => el.outerHTML.slice(0, 80))""",
            )
            assert unnamed == []
            assert shadow(page, "root.querySelectorAll('[aria-live=polite]').length") == 1
        finally:
            ctx.close()


# ------------------------------------------------------------------------------ screenshots


@pytest.mark.parametrize("width", [360, 1280])
def test_screenshots(api: ApiServer, host: HostSite, browser: Browser, width: int) -> None:
    """Pictures to look at (screenshots/, not in git); they also check nothing overflows."""
    SCREENSHOTS.mkdir(exist_ok=True)
    height = 780 if width < 600 else 820
    ctx = browser.new_context(
        viewport={"width": width, "height": height}, device_scale_factor=1, reduced_motion="reduce"
    )
    try:
        page = ctx.new_page()
        page.goto(api.origin + "/")
        page.screenshot(path=SCREENSHOTS / f"page-welcome-{width}.png")
        ask(page, QUESTION)
        wait_answer(page, 1)
        page.locator("li.source summary").first.click()
        _no_horizontal_overflow(page)
        page.screenshot(path=SCREENSHOTS / f"page-answer-{width}.png")

        page = ctx.new_page()
        page.goto(host.origin + "/embed")
        launcher = page.get_by_role("button", name="Trợ lý pháp luật")
        expect(launcher).to_be_visible()
        page.screenshot(path=SCREENSHOTS / f"embed-closed-{width}.png")
        launcher.click()
        ask(page, QUESTION)
        wait_answer(page, 1)
        page.locator("li.source summary").first.click()
        _no_horizontal_overflow(page)
        page.screenshot(path=SCREENSHOTS / f"embed-open-{width}.png")
    finally:
        ctx.close()


def _no_horizontal_overflow(page: Page) -> None:
    wide = shadow(
        page,
        """[...root.querySelectorAll('.panel *')].filter(el => {
            const r = el.getBoundingClientRect();
            return r.width && (r.right > innerWidth + 0.5 || r.left < -0.5);
        }).map(el => el.className || el.tagName)""",
    )
    assert wide == []
    log_overflow = shadow(
        page, "root.querySelector('.log').scrollWidth - root.querySelector('.log').clientWidth"
    )
    assert log_overflow <= 0
