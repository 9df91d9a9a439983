"""Staged builds: the corpus folder first, then the collections in growing complete versions,
and a service that keeps answering while a real background build switches versions."""

import threading
import time
from pathlib import Path

import httpx
import pytest

from api.main import create_app
from api.service.budgets import RateLimits
from api.service.settings import Settings
from ingest.embedding.embed import Embedder
from ingest.index import stages, store
from ingest.settings import IngestSettings
from ingest.sources.collections import pack

from .conftest import FIXTURE_NATIONAL, HTTP_TIMEOUT, serve

CORE = {"luat-mau-2020", "qd-mau-2023"}
LAWS = {"luat-47-2024-qh15", "luat-57-2020-qh14"}


@pytest.fixture
def staged_settings(fresh_settings: IngestSettings, tmp_path: Path) -> IngestSettings:
    archive = tmp_path / "national.zip"
    pack(FIXTURE_NATIONAL, archive)
    return fresh_settings.model_copy(update={"collections": [archive]})


def documents(settings: IngestSettings) -> set[str]:
    info = store.current_version(settings.index_dir, formats=store.REUSABLE_FORMATS)
    return set(info.manifest["documents"]) if info else set()


def test_stages_grow_from_the_corpus_folder_by_document_type(staged_settings: IngestSettings) -> None:
    plan = stages.plan(staged_settings)
    assert [s.name for s in plan] == [
        "corpus",
        "luật, bộ luật, pháp lệnh",
        "nghị định, nghị quyết",
        "toàn bộ",
    ]
    assert plan[0].doc_ids == CORE
    assert plan[1].doc_ids == CORE | LAWS
    assert plan[2].doc_ids == CORE | LAWS | {"nghi-quyet-91-2025-ubtvqh15"}
    assert plan[3].doc_ids == plan[2].doc_ids | {"thong-tu-14-2018-tt-btp"}
    # Without collections a staged build is an ordinary one.
    assert [s.doc_ids for s in stages.plan(staged_settings.model_copy(update={"collections": []}))] == [CORE]


def test_each_stage_is_a_complete_version_and_a_rerun_never_shrinks_the_index(
    staged_settings: IngestSettings, embedder: Embedder
) -> None:
    seen: list[set[str]] = []

    def log(message: str) -> None:
        if "switched to" in message:
            seen.append(documents(staged_settings))

    first = stages.run(staged_settings, lambda: embedder, log=log, until=1)
    assert len(first) == 1
    assert documents(staged_settings) == CORE
    assert stages.read_status(staged_settings.index_dir)["state"] == "stopped"  # type: ignore[index]

    reports = stages.run(staged_settings, lambda: embedder, log=log)
    assert [len(r.changed) for r in reports] == [2, 1, 1]  # each stage embeds only what it adds
    assert seen[1:] == [
        CORE | LAWS,
        CORE | LAWS | {"nghi-quyet-91-2025-ubtvqh15"},
        set(stages.plan(staged_settings)[-1].doc_ids),
    ]
    status = stages.read_status(staged_settings.index_dir)
    assert status is not None
    assert (status["state"], status["stage"], status["stages"]) == ("done", 4, 4)

    versions = store.list_versions(staged_settings.index_dir)
    again = stages.run(staged_settings, lambda: embedder, log=log, until=1)
    assert again == []  # the corpus stage is covered: nothing is rebuilt, nothing dropped
    status = stages.read_status(staged_settings.index_dir)
    assert status is not None
    assert (status["state"], status["stage"], status["message"]) == ("stopped", 1, "already indexed")
    again = stages.run(staged_settings, lambda: embedder, log=log)
    assert [r.noop for r in again] == [True]
    assert store.list_versions(staged_settings.index_dir) == versions


def test_an_index_of_an_older_format_is_upgraded_then_extended_not_refused(
    staged_settings: IngestSettings, embedder: Embedder
) -> None:
    stages.run(staged_settings, lambda: embedder, until=1)
    info = store.current_version(staged_settings.index_dir)
    assert info is not None
    store.write_json(info.path / "manifest.json", dict(info.manifest, format_version=2))
    reports = stages.run(staged_settings, lambda: embedder, until=2)
    # Format 2 cannot be served: stage 1 rewrites it (embedding nothing), stage 2 adds the laws.
    assert [sorted(r.changed) for r in reports] == [[], sorted(LAWS)]
    assert documents(staged_settings) == CORE | LAWS


def test_an_index_of_another_model_covers_no_stage(
    staged_settings: IngestSettings, embedder: Embedder
) -> None:
    # `make index` after a model change must leave a version the service can load.
    stages.run(staged_settings, lambda: embedder, until=2)
    info = store.current_version(staged_settings.index_dir)
    assert info is not None
    other = dict(info.manifest["model"], name="another-model")
    store.write_json(info.path / "manifest.json", dict(info.manifest, model=other))
    reports = stages.run(staged_settings, lambda: embedder, until=1)
    assert [sorted(r.changed) for r in reports] == [sorted(CORE)]
    assert documents(staged_settings) == CORE  # the other model's laws are not re-embedded first
    info = store.current_version(staged_settings.index_dir)
    assert info is not None
    assert info.manifest["model"]["name"] == embedder.name


def test_the_service_answers_while_a_background_build_adds_the_collections(
    staged_settings: IngestSettings, embedder: Embedder
) -> None:
    stages.run(staged_settings, lambda: embedder, until=1)  # what `make run` does before serving
    # Limits off: the client below searches as fast as it can for minutes.
    settings = Settings(
        **staged_settings.model_dump(),
        background_build=True,
        reload_interval=0.2,
        limits=RateLimits(enabled=False),
    )
    failures: list[str] = []
    served: list[int] = []
    stop = threading.Event()
    with serve(create_app(settings)) as url:

        def client() -> None:
            with httpx.Client(base_url=url, timeout=HTTP_TIMEOUT) as c:
                while not stop.is_set():
                    r = c.post("/search", json={"query": "nghỉ hằng năm"})
                    if r.status_code != 200:
                        failures.append(f"{r.status_code} {r.text}")

        worker = threading.Thread(target=client)
        worker.start()
        try:
            deadline = time.monotonic() + 900
            while True:
                ready = httpx.get(f"{url}/readyz", timeout=HTTP_TIMEOUT).json()
                served.append(ready["documents"])
                if ready["indexing"] and ready["indexing"]["state"] == "done" and ready["documents"] == 6:
                    break
                assert ready["indexing"] is None or ready["indexing"]["state"] != "failed", ready
                assert time.monotonic() < deadline, f"the background build never finished: {ready}"
                time.sleep(0.2)
        finally:
            stop.set()
            worker.join()
        hit = httpx.post(
            f"{url}/search",
            json={"query": "trách nhiệm hình sự", "filters": {"doc_ids": ["luat-57-2020-qh14"]}},
            timeout=HTTP_TIMEOUT,
        ).json()["results"]
    assert not failures
    assert served == sorted(served)  # versions only ever grow
    assert hit
    assert hit[0]["doc_id"] == "luat-57-2020-qh14"
    assert (staged_settings.index_dir / ".indexing.log").exists()
