"""`uvicorn --workers 2`: every worker picks up a new index version and reports any job."""

import os
import subprocess
import sys
import time

import httpx

from ingest.embedding.embed import Embedder
from ingest.index.build import build
from ingest.settings import IngestSettings

from .conftest import AUTH, HTTP_TIMEOUT, REPO, TOKEN, free_port, stop


def test_all_workers_switch_versions_and_share_jobs(
    fresh_settings: IngestSettings, embedder: Embedder
) -> None:
    first = build(fresh_settings, embedder_factory=lambda: embedder).version
    port = free_port()
    env = {
        **os.environ,
        "VNLAW_CORPUS_DIR": str(fresh_settings.corpus_dir),
        "VNLAW_INDEX_DIR": str(fresh_settings.index_dir),
        "VNLAW_MODEL_DIR": str(fresh_settings.model_dir),
        "VNLAW_RELOAD_INTERVAL": "0.2",
        "VNLAW_ADMIN_TOKEN": TOKEN,
        "OMP_NUM_THREADS": "1",
    }
    cmd = [
        sys.executable,
        "-m",
        "uvicorn",
        "api.main:app",
        "--workers",
        "2",
        "--port",
        str(port),
        "--log-level",
        "warning",
    ]
    server = subprocess.Popen(cmd, cwd=REPO, env=env)
    url = f"http://127.0.0.1:{port}"

    def versions(n: int) -> set[str]:
        seen = set()
        for _ in range(n):
            # A new connection each time, so both workers answer.
            with httpx.Client(timeout=HTTP_TIMEOUT) as c:
                try:
                    r = c.get(f"{url}/readyz")
                except httpx.TransportError:  # not listening yet
                    continue
                if r.status_code == 200:
                    seen.add(r.json()["index_version"])
        return seen

    try:
        deadline = time.monotonic() + 180
        while versions(10) != {first}:
            assert server.poll() is None, "server exited"
            assert time.monotonic() < deadline, "workers never became ready"
            time.sleep(0.2)
        doc = fresh_settings.corpus_dir / "qd-mau-2023.txt"
        doc.write_text(doc.read_text(encoding="utf-8") + "Điều 3. Hiệu lực thi hành.\n", encoding="utf-8")
        r = httpx.post(f"{url}/admin/reindex", headers=AUTH, timeout=HTTP_TIMEOUT)
        assert r.status_code == 202
        job_id = r.json()["id"]
        deadline = time.monotonic() + 180
        while True:
            states = set()
            for _ in range(6):
                with httpx.Client(timeout=HTTP_TIMEOUT) as c:
                    got = c.get(f"{url}/admin/jobs/{job_id}", headers=AUTH)
                    assert got.status_code == 200, got.text
                    states.add(got.json()["state"])
            if states == {"succeeded"}:
                break
            assert "failed" not in states
            assert time.monotonic() < deadline, "job never finished"
            time.sleep(0.2)
        new = got.json()["version"]
        while versions(10) != {new}:
            assert time.monotonic() < deadline, "a worker kept serving the old version"
            time.sleep(0.2)
    finally:
        stop(server)
