"""Durable store of citizens' feedback on answers: one SQLite file (WAL), stdlib only.

Each call opens its own connection, so the store is safe to share between the threads that
serve requests; WAL lets operators read while answers are being rated. The store is bounded:
ratings older than the retention are deleted as new ones come, and past the row cap new ones
are refused rather than filling the disk.
"""

from __future__ import annotations

import contextlib
import sqlite3
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

from pydantic import TypeAdapter

from api.http.feedback_schemas import FeedbackCitation, FeedbackRecord, FeedbackRequest

SCHEMA_VERSION = 1
_SCHEMA = """
CREATE TABLE IF NOT EXISTS feedback (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    created_at TEXT NOT NULL,
    rating TEXT NOT NULL CHECK (rating IN ('up', 'down')),
    question TEXT NOT NULL,
    answer TEXT NOT NULL,
    citations TEXT NOT NULL,  -- JSON array of citations, as shown to the citizen
    comment TEXT
);
CREATE INDEX IF NOT EXISTS feedback_created_at ON feedback (created_at);
"""
_CITATIONS = TypeAdapter(list[FeedbackCitation])


class FeedbackUnavailable(Exception):
    """The feedback database cannot be opened or written."""


class FeedbackFull(Exception):
    """The store holds its most ratings (``VNLAW_FEEDBACK_MAX_ROWS``)."""


class FeedbackStore:
    def __init__(self, path: Path, max_rows: int = 100_000, retention_days: int = 365) -> None:
        self.path = path
        self.max_rows = max_rows
        self.retention = timedelta(days=retention_days)
        self._ready = False
        self._lock = threading.Lock()

    def add(self, item: FeedbackRequest) -> int:
        """Store one rating and return its id; it is on disk when this returns.

        Raises ``FeedbackFull`` when the store already holds ``max_rows`` ratings younger than
        the retention."""
        citations = _CITATIONS.dump_json(item.citations).decode()
        now = datetime.now(UTC)
        with self._connect() as conn:
            # IMMEDIATE: the count and the insert are one step for every worker, so the
            # workers of one database never pass the cap together.
            conn.execute("BEGIN IMMEDIATE")
            try:
                conn.execute("DELETE FROM feedback WHERE created_at < ?", (_iso(now - self.retention),))
                held = int(conn.execute("SELECT count(*) FROM feedback").fetchone()[0])
                if held >= self.max_rows:
                    conn.execute("COMMIT")  # what the retention removed stays removed
                    raise FeedbackFull(f"feedback store {self.path} holds its cap of {self.max_rows} rows")
                cursor = conn.execute(
                    "INSERT INTO feedback (created_at, rating, question, answer, citations, comment)"
                    " VALUES (?, ?, ?, ?, ?, ?)",
                    (_iso(now), item.rating, item.question, item.answer, citations, item.comment or None),
                )
                conn.execute("COMMIT")
            except BaseException:
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
                raise
            assert cursor.lastrowid is not None
            return cursor.lastrowid

    def recent(self, limit: int, offset: int) -> tuple[list[FeedbackRecord], int]:
        """The most recent ratings first, and how many there are in all."""
        with self._connect() as conn:
            total = int(conn.execute("SELECT count(*) FROM feedback").fetchone()[0])
            rows = conn.execute(
                "SELECT id, created_at, rating, question, answer, citations, comment"
                " FROM feedback ORDER BY id DESC LIMIT ? OFFSET ?",
                (limit, offset),
            ).fetchall()
        return [_record(row) for row in rows], total

    @contextlib.contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        try:
            self._initialise()
            conn = sqlite3.connect(self.path, timeout=10)
        except (OSError, sqlite3.Error) as exc:
            raise FeedbackUnavailable(f"feedback storage is unavailable: {exc}") from exc
        try:
            # FULL: a rating acknowledged to the citizen survives a power cut, not just a crash.
            conn.execute("PRAGMA synchronous=FULL")
            yield conn
        except sqlite3.Error as exc:
            raise FeedbackUnavailable(f"feedback storage is unavailable: {exc}") from exc
        finally:
            conn.close()

    def _initialise(self) -> None:
        with self._lock:
            if self._ready:
                return
            self.path.parent.mkdir(parents=True, exist_ok=True)
            conn = sqlite3.connect(self.path, timeout=10)
            try:
                conn.execute("PRAGMA journal_mode=WAL")  # persistent: recorded in the file
                with conn:
                    conn.executescript(_SCHEMA)
                    conn.execute(f"PRAGMA user_version={SCHEMA_VERSION}")
            finally:
                conn.close()
            self._ready = True


def _iso(moment: datetime) -> str:
    return moment.isoformat(timespec="seconds")


def _record(row: tuple[int, str, str, str, str, str, str | None]) -> FeedbackRecord:
    id_, created_at, rating, question, answer, citations, comment = row
    return FeedbackRecord(
        id=id_,
        created_at=created_at,
        rating=rating,
        question=question,
        answer=answer,
        citations=_CITATIONS.validate_json(citations),
        comment=comment,
    )
