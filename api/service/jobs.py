"""Re-index jobs run by the admin API: one at a time, in a background thread, while the
service keeps answering from the current version."""

from __future__ import annotations

import contextlib
import json
import logging
import re
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from api.service.metrics import REINDEX_JOBS
from ingest.embedding.embed import Embedder
from ingest.errors import BuildInProgress, IngestError
from ingest.index import store
from ingest.index.build import build
from ingest.index.documents import BuildFailed
from ingest.settings import IngestSettings

KEEP_JOBS = 50
JOB_ID = re.compile(r"^[0-9a-f]{12}$")
log = logging.getLogger(__name__)


class JobNotFound(IngestError):
    def __init__(self, job_id: str) -> None:
        super().__init__(f"no job '{job_id}'")


@dataclass
class Job:
    id: str
    state: str = "running"  # running | succeeded | failed
    started_at: str = field(default_factory=lambda: _now())
    finished_at: str | None = None
    progress: list[str] = field(default_factory=list)
    version: str | None = None
    changed: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    reused: int = 0
    units: int = 0
    embedded: int = 0
    errors: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


class Jobs:
    """Runs builds of ``settings.corpus_dir``; a second request while one runs is refused
    (409), as is any request while another process (a CLI build, another worker) holds the
    index lock. Each job's state lives in ``index/.jobs/<id>.json``, rewritten at every step,
    so that any worker of the service reports it."""

    def __init__(self, settings: IngestSettings, embedder: Embedder, on_done: Callable[[], None]) -> None:
        self.settings = settings
        self.embedder = embedder
        self.on_done = on_done
        self._lock = threading.Lock()
        self._running: Job | None = None

    def start_reindex(self) -> Job:
        with self._lock:
            if self._running is not None:
                raise BuildInProgress(f"re-index job {self._running.id} is running")
            if store.build_running(self.settings.index_dir):
                raise BuildInProgress("another index build is running")
            job = self._running = Job(uuid.uuid4().hex[:12])
        self._save(job)
        self._prune_files()
        threading.Thread(target=self._run, args=(job,), name=f"reindex-{job.id}", daemon=True).start()
        return job

    def get(self, job_id: str) -> Job:
        path = self._path(job_id) if JOB_ID.match(job_id) else None
        if path is None or not path.exists():
            raise JobNotFound(job_id)
        return Job(**json.loads(path.read_text(encoding="utf-8")))

    @property
    def _dir(self) -> Path:
        return self.settings.index_dir / ".jobs"

    def _path(self, job_id: str) -> Path:
        return self._dir / f"{job_id}.json"

    def _save(self, job: Job) -> None:
        path = self._path(job.id)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps(job.to_dict(), ensure_ascii=False), encoding="utf-8")
        tmp.replace(path)

    def _prune_files(self) -> None:
        """Keep the newest ``KEEP_JOBS`` job files: every re-index leaves one behind."""
        dated = []
        for path in self._dir.glob("*.json"):
            with contextlib.suppress(FileNotFoundError):  # another worker pruned it first
                dated.append((path.stat().st_mtime, path))
        for _, path in sorted(dated)[:-KEEP_JOBS]:
            path.unlink(missing_ok=True)

    def _log(self, job: Job, line: str) -> None:
        job.progress.append(line)
        self._save(job)

    @property
    def busy(self) -> bool:
        return self._running is not None

    def _run(self, job: Job) -> None:
        try:
            report = build(
                self.settings, embedder_factory=lambda: self.embedder, log=lambda m: self._log(job, m)
            )
            job.version, job.changed, job.removed = report.version, report.changed, report.removed
            job.reused, job.units, job.embedded = len(report.reused), report.units, report.embedded
            job.progress.append(
                "up to date, nothing to do" if report.noop else f"switched to {report.version}"
            )
            job.state = "succeeded"
            self.on_done()
        except BuildFailed as exc:
            job.errors, job.state = exc.errors, "failed"
        except IngestError as exc:
            job.errors, job.state = [str(exc)], "failed"
        except Exception as exc:  # a job must end in a state an operator can read
            log.exception("re-index job %s crashed", job.id)
            job.errors, job.state = [f"unexpected error: {exc}"], "failed"
        finally:
            job.finished_at = _now()
            REINDEX_JOBS.labels(job.state).inc()
            if job.state == "failed":
                log.error("re-index job %s failed: %s", job.id, "; ".join(job.errors))
            self._save(job)
            with self._lock:
                self._running = None


def _now() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
