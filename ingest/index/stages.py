"""Staged builds: the core corpus first, then the collections in growing complete versions.

A national collection takes the better part of an hour to embed on two cores, and the
service must answer about the bundled corpus long before that. So a staged build switches
``index/current`` several times, each time to a complete version: the corpus folder alone,
then with the collections' laws and codes, then with their decrees and resolutions, then with
everything. A stage the current version already covers (built by the same model, in
today's format, its conditions read by today's rules) is skipped, and no stage drops a
document the current version holds, so restarting a staged build never shrinks the index.
The last stage is an ordinary build of everything, which also picks up changed documents.

While it runs, the build writes its state to ``index/.indexing.json`` so that every worker
of the service can show it (``/readyz``).
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from ingest.embedding.embed import Embedder
from ingest.errors import BuildInProgress, IndexCorrupt
from ingest.index import store
from ingest.index.build import build
from ingest.index.buildreport import BuildReport, Log
from ingest.index.previous import model_of, up_to_date
from ingest.settings import IngestSettings
from ingest.sources.collections import Entry, folder_entries, open_sources

STATUS_FILE = ".indexing.json"
# Stages after the corpus folder, by the collection documents' type (meta "loai_van_ban"):
# what citizens ask about is mostly in laws, then in the decrees that detail them.
GROUPS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("luật, bộ luật, pháp lệnh", ("Hiến pháp", "Bộ luật", "Luật", "Pháp lệnh")),
    ("nghị định, nghị quyết", ("Nghị định", "Nghị quyết", "Nghị quyết liên tịch")),
)


@dataclass(frozen=True)
class Stage:
    name: str
    doc_ids: frozenset[str]  # every document of this stage and the ones before it


@dataclass
class Status:
    """What ``index/.indexing.json`` says while (and after) a staged build runs."""

    state: str = "running"  # running | done | failed
    stage: int = 0
    stages: int = 0
    stage_name: str = ""
    documents: int = 0  # in the version this stage builds
    message: str = ""
    error: str = ""
    pid: int = field(default_factory=os.getpid)
    updated: str = ""


def plan(settings: IngestSettings) -> list[Stage]:
    """The stages of a build of ``settings``: the corpus folder, then collection groups."""
    core = frozenset(e.doc_id for e in folder_entries(settings.corpus_dir))
    if not settings.collections:
        return [Stage("corpus", core)]
    with open_sources(settings.corpus_dir, settings.collections) as entries:
        kinds = {e.doc_id: _doc_type(e) for e in entries if e.doc_id not in core}
    stages = [Stage("corpus", core)]
    included = set(core)
    for name, types in GROUPS:
        group = {d for d, kind in kinds.items() if kind in types}
        if group - included:
            included |= group
            stages.append(Stage(name, frozenset(included)))
    stages.append(Stage("toàn bộ", frozenset(included | set(kinds))))
    return stages


def _doc_type(entry: Entry) -> str:
    raw = entry.meta()
    try:
        kind = json.loads(raw).get("loai_van_ban", "") if raw else ""
    except (ValueError, AttributeError):
        return ""  # the build itself reports a broken meta file, naming it
    return kind if isinstance(kind, str) else ""


def _current(settings: IngestSettings) -> tuple[frozenset[str], bool]:
    """The documents of the current version that a build with ``settings`` can reuse, and
    whether it is up to date apart from them (``previous.up_to_date``). An index of another model
    is neither: its documents are not kept (re-embedding them could take an hour before the
    corpus folder is served) and it covers no stage."""
    model = model_of(settings)
    try:
        info = store.current_version(settings.index_dir, formats=store.REUSABLE_FORMATS)
    except IndexCorrupt:
        return frozenset(), False
    if info is None or info.manifest["model"]["name"] != model:
        return frozenset(), False
    return frozenset(info.manifest["documents"]), up_to_date(info.manifest, model)


def run(
    settings: IngestSettings,
    embedder_factory: Callable[[], Embedder] | None = None,
    log: Log = lambda _msg: None,
    until: int | None = None,
) -> list[BuildReport]:
    """Run the stages (up to stage ``until``, 1-based) that the current version lacks."""
    if store.build_running(settings.index_dir):
        # Another worker's staged build (or an operator's) is at work: leave its status alone.
        raise BuildInProgress("another index build is running")
    stages = plan(settings)
    last = len(stages) if until is None else min(until, len(stages))
    status = Status(stages=len(stages))
    reports: list[BuildReport] = []
    try:
        for number, stage in enumerate(stages[:last], 1):
            final = number == len(stages)
            have, up_to_date = _current(settings)
            if not final and up_to_date and stage.doc_ids <= have:
                status.stage, status.stage_name, status.message = number, stage.name, "already indexed"
                continue
            include = None if final else stage.doc_ids | have
            status.stage, status.stage_name = number, stage.name
            status.documents = len(include) if include is not None else len(stage.doc_ids)

            def step(message: str, stage_name: str = stage.name, n: int = number) -> None:
                status.message = message
                _write_status(settings.index_dir, status)
                log(f"[{n}/{len(stages)} {stage_name}] {message}")

            step(f"building {status.documents} documents")
            report = build(settings, embedder_factory, log=step, include=include)
            reports.append(report)
            step("up to date" if report.noop else f"switched to {report.version}")
    except BuildInProgress:
        raise
    except Exception as exc:
        status.state, status.error = "failed", str(exc)
        _write_status(settings.index_dir, status)
        raise
    status.state = "done" if last == len(stages) else "stopped"
    _write_status(settings.index_dir, status)
    return reports


def _write_status(index_dir: Path, status: Status) -> None:
    status.updated = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    index_dir.mkdir(parents=True, exist_ok=True)
    tmp = index_dir / f"{STATUS_FILE}.{os.getpid()}.tmp"
    tmp.write_text(json.dumps(asdict(status), ensure_ascii=False), encoding="utf-8")
    tmp.replace(index_dir / STATUS_FILE)


def read_status(index_dir: Path) -> dict[str, Any] | None:
    """The last staged build's state; a "running" one whose process is gone reads "stopped"."""
    try:
        data: dict[str, Any] = json.loads((index_dir / STATUS_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if data.get("state") == "running" and not _alive(int(data.get("pid", 0))):
        data["state"] = "stopped"
    return data


def _alive(pid: int) -> bool:
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # alive, under another user
        return True
    return True
