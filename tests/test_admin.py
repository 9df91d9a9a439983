"""Operators' API over a live uvicorn server: re-index under load, uploads, rollback."""

import json
import logging
import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass

import httpx
import pytest

from api.main import create_app
from api.service.budgets import RateLimits
from api.service.jobs import KEEP_JOBS
from api.service.settings import Settings
from ingest.embedding.embed import Embedder
from ingest.index import store
from ingest.index.build import build
from ingest.settings import IngestSettings

from .conftest import AUTH, HTTP_TIMEOUT, NEW_DOC, REPO, TOKEN, serve, wait_job


@dataclass
class Live:
    url: str
    settings: Settings
    http: httpx.Client  # bound to url


@pytest.fixture
def live(fresh_settings: IngestSettings, embedder: Embedder) -> Iterator[Live]:
    build(fresh_settings, embedder_factory=lambda: embedder)
    # Limits off: the load test below sends as many requests as one address can.
    settings = Settings(
        **fresh_settings.model_dump(),
        admin_token=TOKEN,
        max_upload_bytes=4096,
        limits=RateLimits(enabled=False),
    )
    with serve(create_app(settings)) as url, httpx.Client(base_url=url, timeout=HTTP_TIMEOUT) as http:
        yield Live(url, settings, http)


def serving(url: str) -> str:
    version: str = httpx.get(f"{url}/readyz", timeout=HTTP_TIMEOUT).json()["index_version"]
    return version


def test_reindex_under_load_loses_no_request(live: Live) -> None:
    failures: list[str] = []
    answered = 0
    stop = threading.Event()

    def client() -> None:
        nonlocal answered
        with httpx.Client(base_url=live.url, timeout=HTTP_TIMEOUT) as c:
            while not stop.is_set():
                r = c.post("/search", json={"query": "nhà văn hóa thiếu nhi mở cửa ngày Chủ nhật"})
                if r.status_code != 200:
                    failures.append(f"{r.status_code} {r.text}")
                answered += 1

    workers = [threading.Thread(target=client) for _ in range(4)]
    for w in workers:
        w.start()
    try:
        files = {"file": ("nq-nha-van-hoa.txt", NEW_DOC.encode(), "text/plain")}
        meta = json.dumps(
            {
                "ten_van_ban": "Nghị quyết nhà văn hóa",
                "so_hieu_van_ban": "12/NQ-HĐND",
                "tinh_trang": "Còn hiệu lực",
            },
            ensure_ascii=False,
        )
        r = live.http.post("/admin/documents", files=files, data={"meta": meta}, headers=AUTH)
        assert r.status_code == 201, r.text
        before = serving(live.url)
        r = live.http.post("/admin/reindex", headers=AUTH)
        assert r.status_code == 202
        job = wait_job(live.url, str(r.json()["id"]))
        assert job["state"] == "succeeded", job
        assert job["changed"] == ["nq-nha-van-hoa"]
        assert serving(live.url) == job["version"] != before
    finally:
        stop.set()
        for w in workers:
            w.join()
    assert not failures
    assert answered > 0
    hits = live.http.post("/search", json={"query": "nhà văn hóa thiếu nhi mở cửa Chủ nhật"}).json()
    assert hits["results"][0]["doc_id"] == "nq-nha-van-hoa"
    assert hits["results"][0]["doc_number"] == "12/NQ-HĐND"


def test_one_build_at_a_time(live: Live) -> None:
    # Another process (a CLI build, another worker) holding the index lock: refused, not queued.
    with store.build_lock(live.settings.index_dir):
        second = live.http.post("/admin/reindex", headers=AUTH)
        rollback = live.http.post("/admin/index/rollback", json={}, headers=AUTH)
    assert second.status_code == 409
    assert "running" in second.json()["detail"]
    assert rollback.status_code == 409
    first = live.http.post("/admin/reindex", headers=AUTH)
    assert first.status_code == 202
    assert wait_job(live.url, str(first.json()["id"]))["state"] == "succeeded"
    assert live.http.get("/admin/jobs/khong-co", headers=AUTH).status_code == 404


def test_a_failed_job_says_why_in_its_state_the_log_and_the_metrics(
    live: Live, caplog: pytest.LogCaptureFixture
) -> None:
    (live.settings.corpus_dir / "hong.docx").write_bytes(b"not a zip archive")
    before = live.http.get("/metrics").text
    job = live.http.post("/admin/reindex", headers=AUTH).json()
    with caplog.at_level(logging.ERROR, logger="api.service.jobs"):
        done = wait_job(live.url, str(job["id"]))
    assert done["state"] == "failed"
    assert any("hong.docx" in e for e in done["errors"])  # type: ignore[attr-defined]
    assert any(job["id"] in r.getMessage() and "hong.docx" in r.getMessage() for r in caplog.records)
    assert failed_jobs(live.http.get("/metrics").text) == failed_jobs(before) + 1


def failed_jobs(metrics: str) -> float:
    for line in metrics.splitlines():
        if line.startswith('vnlaw_reindex_jobs_total{state="failed"}'):
            return float(line.split()[-1])
    return 0.0


def test_old_job_files_are_pruned(live: Live) -> None:
    jobs = live.settings.index_dir / ".jobs"
    jobs.mkdir(exist_ok=True)
    for i in range(KEEP_JOBS + 5):
        stale = jobs / f"{i:012x}.json"
        stale.write_text("{}", encoding="utf-8")
        os.utime(stale, (1_000_000 + i, 1_000_000 + i))
    job = live.http.post("/admin/reindex", headers=AUTH).json()
    assert wait_job(live.url, str(job["id"]))["state"] == "succeeded"
    left = {p.stem for p in jobs.glob("*.json")}
    assert len(left) == KEEP_JOBS
    assert job["id"] in left
    assert f"{0:012x}" not in left  # the oldest go first


def test_remove_versions_and_rollback(live: Live) -> None:
    r = live.http.delete("/admin/documents/qd-mau-2023", headers=AUTH)
    assert r.status_code == 200
    assert live.http.delete("/admin/documents/qd-mau-2023", headers=AUTH).status_code == 404
    old = serving(live.url)
    job = wait_job(live.url, str(live.http.post("/admin/reindex", headers=AUTH).json()["id"]))
    assert job["removed"] == ["qd-mau-2023"]
    docs = {d["doc_id"] for d in live.http.get("/documents").json()["documents"]}
    assert docs == {"luat-mau-2020"}

    versions = live.http.get("/admin/index/versions", headers=AUTH).json()["versions"]
    assert [v["version"] for v in versions] == [old, job["version"]]
    assert versions[-1]["current"]
    r = live.http.post("/admin/index/rollback", json={}, headers=AUTH)
    assert r.status_code == 200
    assert r.json()["version"] == old
    assert serving(live.url) == old
    r = live.http.post("/admin/index/rollback", json={"version": "../../etc"}, headers=AUTH)
    assert r.status_code == 404


def test_killed_build_leaves_the_service_answering(live: Live) -> None:
    before = serving(live.url)
    (live.settings.corpus_dir / "nq-nha-van-hoa.txt").write_text(NEW_DOC, encoding="utf-8")
    env = {
        **os.environ,
        "VNLAW_CORPUS_DIR": str(live.settings.corpus_dir),
        "VNLAW_INDEX_DIR": str(live.settings.index_dir),
        "VNLAW_MODEL_DIR": str(live.settings.model_dir),
    }
    proc = subprocess.Popen([sys.executable, "-m", "ingest", "build"], cwd=REPO, env=env)
    deadline = time.monotonic() + 120
    while not list(live.settings.index_dir.glob(store.TMP_PREFIX + "2*")):
        assert proc.poll() is None
        assert time.monotonic() < deadline
        time.sleep(0.01)
    proc.kill()
    proc.wait()
    r = live.http.post("/search", json={"query": "nghỉ hằng năm"})
    assert r.status_code == 200
    assert serving(live.url) == before


@pytest.mark.parametrize(
    ("name", "content", "status"),
    [
        ("lon.txt", b"x" * 5000, 413),
        ("virus.exe", b"MZ...", 422),
        ("../../etc/passwd.txt", NEW_DOC.encode(), 422),
        ("hong.txt", b"\xff\xfe\x00\xd8 broken", 422),
        ("rong.txt", b"", 422),
        ("ten co dau cach.txt", NEW_DOC.encode(), 422),
    ],
)
def test_upload_abuse_is_refused(live: Live, name: str, content: bytes, status: int) -> None:
    before = sorted(p.name for p in live.settings.corpus_dir.iterdir())
    r = live.http.post("/admin/documents", files={"file": (name, content)}, headers=AUTH)
    assert r.status_code == status, r.text
    assert r.json()["detail"]
    assert sorted(p.name for p in live.settings.corpus_dir.iterdir()) == before


def test_admin_needs_the_token(live: Live) -> None:
    assert live.http.post("/admin/reindex").status_code == 401
    assert live.http.post("/admin/reindex", headers={"Authorization": "Bearer sai"}).status_code == 401
    assert live.http.get("/admin/index/versions").status_code == 401


def test_admin_is_closed_without_a_configured_token(built_settings: IngestSettings) -> None:
    from fastapi.testclient import TestClient

    with TestClient(create_app(Settings(**built_settings.model_dump()))) as client:
        r = client.post("/admin/reindex", headers=AUTH)
        assert r.status_code == 403
        assert r.json()["detail"] == "admin API is disabled"
