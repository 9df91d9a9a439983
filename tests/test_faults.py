"""Faults an operator meets, each with the real parts: a disk that fills up during a build, a
damaged index version, and the service killed while it writes feedback."""

from __future__ import annotations

import json
import os
import resource
import shutil
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient

from api.main import create_app
from api.service.settings import Settings
from ingest.embedding.embed import Embedder
from ingest.index import store
from ingest.index.build import build
from ingest.settings import IngestSettings

from .conftest import AUTH, HTTP_TIMEOUT, NEW_DOC, REPO, TOKEN, free_port, make_settings, stop
from .test_feedback import GOOD

PAGE = 4096


def _mount_tmpfs(where: Path, size: int) -> bool:
    """A tmpfs of ``size`` bytes at ``where``; False where mounting is not allowed (not root, or a
    container without CAP_SYS_ADMIN)."""
    if shutil.which("mount") is None:
        return False
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(where)], capture_output=True
    )
    return done.returncode == 0


def _resize(where: Path, size: int) -> None:
    subprocess.run(["mount", "-o", f"remount,size={size}", str(where)], check=True)


def _used(where: Path) -> int:
    stats = os.statvfs(where)
    return (stats.f_blocks - stats.f_bfree) * stats.f_frsize


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    disk = tmp_path / "disk"
    disk.mkdir()
    if not _mount_tmpfs(disk, 4 << 20):
        pytest.skip("mount(2) is not allowed here: test_build_past_a_file_size_limit covers the build")
    try:
        yield disk
    finally:
        subprocess.run(["umount", "-l", str(disk)], check=False)


def _wait(client: TestClient, job_id: str) -> dict[str, object]:
    deadline = time.monotonic() + 600
    while True:
        job: dict[str, object] = client.get(f"/admin/jobs/{job_id}", headers=AUTH).json()
        if job["state"] != "running":
            return job
        assert time.monotonic() < deadline, "job never finished"
        time.sleep(0.05)


def test_a_disk_that_fills_up_fails_the_build_and_keeps_serving(
    small_disk: Path, tmp_path: Path, embedder: Embedder, caplog: pytest.LogCaptureFixture
) -> None:
    """The index folder on a small real filesystem (tmpfs): the first version fits, the next
    one does not. The job fails with a clear error, the log says so, the served version stays
    whole and a build succeeds again once there is room."""
    base = make_settings(tmp_path)
    settings = Settings(**{**base.model_dump(), "index_dir": small_disk / "index"}, admin_token=TOKEN)
    served = build(settings, embedder_factory=lambda: embedder).version
    version_bytes = _used(small_disk)
    # Room for half a version more: the next build starts, then runs out of space.
    _resize(small_disk, _used(small_disk) + max(PAGE * 8, version_bytes // 2 // PAGE * PAGE))
    (base.corpus_dir / "nq-nha-van-hoa.txt").write_text(NEW_DOC, encoding="utf-8")
    with TestClient(create_app(settings)) as client:
        job = _wait(client, client.post("/admin/reindex", headers=AUTH).json()["id"])
        assert job["state"] == "failed"
        [error] = job["errors"]
        assert isinstance(error, str)
        assert "the disk is full" in error
        assert "the served version is unchanged" in error
        assert f"failed: {error}" in caplog.text
        assert client.get("/readyz").json()["index_version"] == served
        assert client.post("/search", json={"query": "nghỉ hằng năm"}).status_code == 200
        assert store.current_name(settings.index_dir) == served
        store.load_manifest(settings.index_dir / served)  # every file matches its checksum
        assert not list(settings.index_dir.glob(f"{store.TMP_PREFIX}*")), "the partial version was left"
        _resize(small_disk, 4 << 20)
        job = _wait(client, client.post("/admin/reindex", headers=AUTH).json()["id"])
        assert job["state"] == "succeeded", job
        assert job["changed"] == ["nq-nha-van-hoa"]


def test_build_past_a_file_size_limit(fresh_settings: IngestSettings, embedder: Embedder) -> None:
    """Where no filesystem can be mounted: the CLI build in a process whose files may not grow
    past a few pages (RLIMIT_FSIZE, a real write failure from the kernel: EFBIG) fails cleanly."""
    served = build(fresh_settings, embedder_factory=lambda: embedder).version
    (fresh_settings.corpus_dir / "nq-nha-van-hoa.txt").write_text(NEW_DOC, encoding="utf-8")
    largest = max(
        p.stat().st_size for p in (fresh_settings.index_dir / str(served)).rglob("*") if p.is_file()
    )
    limit = largest // 2

    def small_files() -> None:
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    env = {
        **os.environ,
        "VNLAW_CORPUS_DIR": str(fresh_settings.corpus_dir),
        "VNLAW_INDEX_DIR": str(fresh_settings.index_dir),
        "VNLAW_MODEL_DIR": str(fresh_settings.model_dir),
        "COLUMNS": "500",  # the error on one line
    }
    done = subprocess.run(
        [sys.executable, "-m", "ingest", "build"],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        preexec_fn=small_files,
        check=False,
    )
    assert done.returncode == 1, done.stderr
    assert "File too large" in done.stderr
    assert "the served version is unchanged" in done.stderr
    assert "Traceback" not in done.stderr
    assert store.current_name(fresh_settings.index_dir) == served
    store.load_manifest(fresh_settings.index_dir / str(served))
    assert not list(fresh_settings.index_dir.glob(f"{store.TMP_PREFIX}*"))


def _truncate_vectors(version: Path) -> None:
    data = (version / "vectors.npy").read_bytes()
    (version / "vectors.npy").write_bytes(data[: len(data) // 2])


def _edit_manifest(version: Path) -> None:
    manifest = json.loads((version / "manifest.json").read_text(encoding="utf-8"))
    manifest["counts"]["units"] += 1
    manifest["files"]["units.jsonl"] = "0" * 64
    (version / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")


def _cut_manifest(version: Path) -> None:
    text = (version / "manifest.json").read_text(encoding="utf-8")
    (version / "manifest.json").write_text(text[: len(text) // 2], encoding="utf-8")


@pytest.mark.parametrize(
    ("damage", "named"),
    [
        (_truncate_vectors, "checksum mismatch in vectors.npy"),
        (_edit_manifest, "checksum mismatch in units.jsonl"),
        (_cut_manifest, "unreadable manifest"),
    ],
    ids=["truncated-vectors", "edited-manifest", "cut-manifest"],
)
def test_a_damaged_new_version_is_refused_and_the_served_one_stays(
    fresh_settings: IngestSettings,
    embedder: Embedder,
    caplog: pytest.LogCaptureFixture,
    damage: Callable[[Path], None],
    named: str,
) -> None:
    served = build(fresh_settings, embedder_factory=lambda: embedder).version
    settings = Settings(**fresh_settings.model_dump(), reload_interval=0.05)
    with TestClient(create_app(settings)) as client:
        assert client.get("/readyz").json()["index_version"] == served
        doc = fresh_settings.corpus_dir / "qd-mau-2023.txt"
        doc.write_text(doc.read_text(encoding="utf-8") + "Điều 3. Hiệu lực thi hành.\n", encoding="utf-8")
        # Built aside, damaged, then switched to: as a disk error or a hand edit would leave it.
        current = fresh_settings.index_dir / store.CURRENT
        kept = current.with_name("kept")
        current.rename(kept)
        damaged = build(fresh_settings, embedder_factory=lambda: embedder).version
        assert damaged is not None
        damage(fresh_settings.index_dir / damaged)
        store.switch_current(fresh_settings.index_dir, damaged)
        kept.unlink()
        deadline = time.monotonic() + 60
        while f"index version {damaged} refused" not in caplog.text:
            assert time.monotonic() < deadline, "the damaged version was never looked at"
            time.sleep(0.05)
        assert named in caplog.text
        assert client.get("/readyz").json()["index_version"] == served
        hits = client.post("/search", json={"query": "nghỉ hằng năm"})
        assert hits.status_code == 200
        assert hits.json()["results"]


def test_sigkill_while_feedback_is_written_keeps_every_acknowledged_row(tmp_path: Path) -> None:
    """The real service, 4 clients rating answers; SIGKILL once 40 ratings were acknowledged,
    while the others are still being written. The database opens, passes its integrity check
    and holds every acknowledged row as it was sent."""
    db = tmp_path / "feedback.sqlite3"
    port = free_port()
    env = {
        **os.environ,
        "VNLAW_INDEX_DIR": str(tmp_path / "index"),  # no index: /feedback needs none
        "VNLAW_FEEDBACK_DB": str(db),
        "VNLAW_LIMITS__ENABLED": "false",  # a load test: one address sends every rating
        "OMP_NUM_THREADS": "1",
    }
    log = (tmp_path / "server.log").open("w")
    cmd = [sys.executable, "-m", "uvicorn", "api.main:app", "--port", str(port), "--log-level", "warning"]
    server = subprocess.Popen(cmd, cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    acknowledged: dict[int, str] = {}
    failures: list[str] = []
    lock = threading.Lock()
    killed = threading.Event()
    try:
        deadline = time.monotonic() + 600
        while True:
            assert server.poll() is None, (tmp_path / "server.log").read_text()
            assert time.monotonic() < deadline, "server never started"
            try:
                if httpx.get(f"{url}/healthz", timeout=HTTP_TIMEOUT).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.1)

        def client(n: int) -> None:
            with httpx.Client(base_url=url, timeout=HTTP_TIMEOUT) as c:
                for i in range(10_000):
                    comment = f"khách {n}, góp ý {i}"
                    try:
                        r = c.post("/feedback", json={**GOOD, "comment": comment})
                    except httpx.TransportError as exc:
                        if not killed.is_set():
                            failures.append(f"the server went away before it was killed: {exc}")
                        return
                    if r.status_code != 201:
                        failures.append(f"{r.status_code} {r.text}")
                        return
                    with lock:
                        acknowledged[r.json()["id"]] = comment
                        if len(acknowledged) >= 40 and not killed.is_set():
                            killed.set()
                            os.kill(server.pid, signal.SIGKILL)

        threads = [threading.Thread(target=client, args=(n,)) for n in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    finally:
        if server.poll() is None:
            stop(server)
        log.close()
    assert not failures
    assert server.wait() == -signal.SIGKILL
    with sqlite3.connect(db) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        stored = dict(conn.execute("SELECT id, comment FROM feedback").fetchall())
    assert len(acknowledged) >= 40
    missing = {i: c for i, c in acknowledged.items() if stored.get(i) != c}
    assert not missing, f"acknowledged rows lost or changed: {missing}"
