"""A service started in a fresh process, hit by concurrent first requests and a re-index at once.

Nothing may be loaded by an earlier test here: every lazily loaded model (underthesea's word
and sentence models above all) is loaded for the first time by this server process, which is
the situation in which two threads used to race underthesea's own lazy loader.
"""

import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from ingest.embedding.embed import Embedder
from ingest.index.build import build
from ingest.settings import IngestSettings

from .conftest import AUTH, HTTP_TIMEOUT, NEW_DOC, REPO, TOKEN, free_port, stop, wait_job

CLIENTS = 8
QUERIES = ["nghỉ hằng năm", "thời giờ làm việc", "mục tiêu chuyển đổi số", "hợp đồng lao động"]


@pytest.fixture
def fresh_server(fresh_settings: IngestSettings, embedder: Embedder, tmp_path: Path) -> Iterator[str]:
    build(fresh_settings, embedder_factory=lambda: embedder)
    (fresh_settings.corpus_dir / "nq-nha-van-hoa.txt").write_text(NEW_DOC, encoding="utf-8")
    port = free_port()
    env = {
        **os.environ,
        "VNLAW_CORPUS_DIR": str(fresh_settings.corpus_dir),
        "VNLAW_INDEX_DIR": str(fresh_settings.index_dir),
        "VNLAW_MODEL_DIR": str(fresh_settings.model_dir),
        "VNLAW_ADMIN_TOKEN": TOKEN,
        "VNLAW_LIMITS__ENABLED": "false",  # a load test: every client has the same address
        "OMP_NUM_THREADS": "1",
    }
    log = (tmp_path / "server.log").open("w")
    cmd = [sys.executable, "-m", "uvicorn", "api.main:app", "--port", str(port), "--log-level", "warning"]
    server = subprocess.Popen(cmd, cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 600
        while True:
            assert server.poll() is None, (tmp_path / "server.log").read_text()
            assert time.monotonic() < deadline, "server never started"
            try:
                if httpx.get(f"{url}/healthz", timeout=HTTP_TIMEOUT).status_code == 200:
                    break
            except httpx.TransportError:  # not listening yet
                time.sleep(0.1)
        yield url
    finally:
        stop(server)
        log.close()
        # The server's own log, so that a failure shows the traceback of the server side.
        print((tmp_path / "server.log").read_text())


def test_first_requests_and_a_reindex_at_once_all_succeed(fresh_server: str) -> None:
    url = fresh_server
    start = threading.Barrier(CLIENTS + 1)
    failures: list[str] = []
    answered = 0
    job_id: list[str] = []

    def client(n: int) -> None:
        nonlocal answered
        with httpx.Client(base_url=url, timeout=HTTP_TIMEOUT) as c:
            start.wait()
            for i in range(3):
                r = c.post("/search", json={"query": QUERIES[(n + i) % len(QUERIES)]})
                if r.status_code != 200:
                    failures.append(f"{r.status_code} {r.text}")
                answered += 1

    def reindex() -> None:
        start.wait()
        r = httpx.post(f"{url}/admin/reindex", headers=AUTH, timeout=HTTP_TIMEOUT)
        assert r.status_code == 202, r.text
        job_id.append(str(r.json()["id"]))

    threads = [threading.Thread(target=client, args=(n,)) for n in range(CLIENTS)]
    threads.append(threading.Thread(target=reindex))
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    assert not failures
    assert answered == 3 * CLIENTS
    assert job_id, "the re-index request failed"
    job = wait_job(url, job_id[0])
    assert job["state"] == "succeeded", job
    assert job["changed"] == ["nq-nha-van-hoa"]
    hits = httpx.post(
        f"{url}/search", json={"query": "nhà văn hóa thiếu nhi mở cửa Chủ nhật"}, timeout=HTTP_TIMEOUT
    ).json()
    assert hits["results"][0]["doc_id"] == "nq-nha-van-hoa"
    metrics = httpx.get(f"{url}/metrics", timeout=HTTP_TIMEOUT).text
    assert 'vnlaw_reindex_jobs_total{state="succeeded"} 1.0' in metrics
