"""The staged build of the collections, run by the service in the background.

It runs as a separate, lower-priority process (``python -m ingest build --staged``): queries
keep their CPU share, the build's memory never counts against the service's, and torch may
use every core for it while the service itself runs one thread per request. Each complete
stage switches ``index/current``; every worker's watcher then serves it. With several
workers, each starts one and all but the first stop at once (one build at a time).
"""

from __future__ import annotations

import logging
import os
import subprocess
import sys
from pathlib import Path

from ingest.settings import IngestSettings

LOG_FILE = ".indexing.log"
log = logging.getLogger(__name__)


def child_env(settings: IngestSettings) -> dict[str, str]:
    """The environment that makes the child build what these settings say."""
    env = {k: v for k, v in os.environ.items() if k != "OMP_NUM_THREADS"}
    for name, value in settings.model_dump(include=set(IngestSettings.model_fields)).items():
        # Paths are made absolute here: the child runs in the repository, not in our cwd.
        if isinstance(value, list):
            text = ",".join(str(Path(v).resolve()) for v in value)
        else:
            text = str(value.resolve()) if isinstance(value, Path) else str(value)
        env[f"VNLAW_{name.upper()}"] = text
    return env


class BackgroundBuild:
    def __init__(self, settings: IngestSettings) -> None:
        settings.index_dir.mkdir(parents=True, exist_ok=True)
        self._log = (settings.index_dir / LOG_FILE).open("ab")
        command = ["nice", "-n", "10", sys.executable, "-m", "ingest", "build", "--staged"]
        self.process = subprocess.Popen(
            command,
            cwd=Path(__file__).resolve().parents[2],
            env=child_env(settings),
            stdout=self._log,
            stderr=subprocess.STDOUT,
        )
        log.info("staged build of the collections started (pid %d)", self.process.pid)

    def stop(self) -> None:
        """Stop the build; the next one resumes from the documents this one finished."""
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self._log.close()
