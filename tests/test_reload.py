"""Serving across index versions: live switch to a new version, refusal of a corrupt one."""

import time

from fastapi.testclient import TestClient

from api.main import create_app
from api.service.settings import Settings
from ingest.embedding.embed import Embedder
from ingest.index import store
from ingest.index.build import build
from ingest.settings import IngestSettings


def version(client: TestClient) -> str:
    response = client.get("/readyz")
    assert response.status_code == 200
    name: str = response.json()["index_version"]
    return name


def add_article(settings: IngestSettings, text: str) -> None:
    doc = settings.corpus_dir / "qd-mau-2023.txt"
    doc.write_text(doc.read_text(encoding="utf-8") + text, encoding="utf-8")


def test_new_version_is_picked_up_without_restart(fresh_settings: IngestSettings, embedder: Embedder) -> None:
    first = build(fresh_settings, embedder_factory=lambda: embedder).version
    settings = Settings(**fresh_settings.model_dump(), reload_interval=0.05)
    with TestClient(create_app(settings)) as client:
        assert version(client) == first
        add_article(fresh_settings, "Điều 3. Thư viện số phải mở cửa cho học sinh vào thứ Bảy hằng tuần.\n")
        second = build(fresh_settings, embedder_factory=lambda: embedder).version
        deadline = time.monotonic() + 30
        while version(client) != second:
            assert time.monotonic() < deadline, "the new version was never loaded"
            time.sleep(0.05)
        hits = client.post("/search", json={"query": "thư viện số mở cửa thứ Bảy"}).json()["results"]
        assert hits[0]["path"] == [["dieu", "3"]]


def test_corrupt_current_version_falls_back_to_the_previous_one(
    fresh_settings: IngestSettings, embedder: Embedder
) -> None:
    good = build(fresh_settings, embedder_factory=lambda: embedder).version
    add_article(fresh_settings, "Điều 3. Điều khoản thi hành.\n")
    bad = build(fresh_settings, embedder_factory=lambda: embedder).version
    assert store.current_name(fresh_settings.index_dir) == bad
    with (fresh_settings.index_dir / str(bad) / "units.jsonl").open("a", encoding="utf-8") as fh:
        fh.write('{"tampered": true}\n')
    settings = Settings(**fresh_settings.model_dump())
    with TestClient(create_app(settings)) as client:
        assert version(client) == good
        assert client.post("/search", json={"query": "thư viện số"}).status_code == 200
