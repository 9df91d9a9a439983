"""Index versions on disk: ``index/<version>/`` folders of plain files, and ``index/current``.

A version holds ``manifest.json`` (format, model, per-document hashes, counts, build time,
file checksums), ``documents.json`` (metadata), ``texts/<doc_id>.txt`` (stored text that unit
offsets point into), ``units.jsonl``, ``tokens.jsonl`` and ``vectors.npy`` (one row per
searchable unit, for incremental rebuilds), ``dense.faiss``, ``lexical/`` (bm25s over units)
and ``lexical_articles/`` (bm25s over articles, in order of first appearance among units).

Versions are written under a temporary name and renamed when complete; ``current`` is a
symlink replaced atomically, so readers only ever see complete versions.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import shutil
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ingest.errors import BuildInProgress, IndexCorrupt, IndexNotFound

FORMAT_VERSION = 4
# Formats whose units, tokens and vectors a new build may reuse (format 2 only added files;
# format 3 added each unit's conditions, which a build reads again from older units' text;
# format 4 stores the dense index in fp16).
REUSABLE_FORMATS = frozenset({1, 2, 3, 4})
# Formats the service reads: FAISS reads format 3's exact index as well, so an index is
# served while the next build upgrades it.
SERVABLE_FORMATS = frozenset({3, 4})
CURRENT = "current"
TMP_PREFIX = ".tmp-"
LOCK_FILE = ".build.lock"


@dataclass(frozen=True)
class VersionInfo:
    name: str
    path: Path
    manifest: dict[str, Any]


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def new_version_name(index_dir: Path) -> str:
    """A name that sorts by build time and is not taken yet (builds hold the lock)."""
    now = time.time()
    stamp = time.strftime("%Y%m%dT%H%M%S", time.gmtime(now)) + f"{int(now % 1 * 1000):03d}Z"
    name, n = stamp, 1
    while (index_dir / name).exists():
        n += 1
        name = f"{stamp}-{n}"
    return name


def write_json(path: Path, data: Any) -> None:
    path.write_text(json.dumps(data, ensure_ascii=False, indent=1), encoding="utf-8")


def read_json(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))


def checksum_files(version_dir: Path) -> dict[str, str]:
    """sha256 of every file of a version except the manifest, by relative path."""
    return {
        str(p.relative_to(version_dir)): sha256_file(p)
        for p in sorted(version_dir.rglob("*"))
        if p.is_file() and p.name != "manifest.json"
    }


def load_manifest(
    version_dir: Path, verify: bool = True, formats: frozenset[int] = frozenset({FORMAT_VERSION})
) -> dict[str, Any]:
    """The manifest of a version; with ``verify``, every file is checked against it."""
    manifest_path = version_dir / "manifest.json"
    try:
        manifest = read_json(manifest_path)
    except (OSError, ValueError) as exc:
        raise IndexCorrupt(f"{version_dir.name}: unreadable manifest ({exc})") from exc
    if not isinstance(manifest, dict) or manifest.get("format_version") not in formats:
        raise IndexCorrupt(f"{version_dir.name}: unsupported index format")
    if verify:
        expected = manifest.get("files", {})
        actual = checksum_files(version_dir)
        bad = sorted(name for name in set(expected) | set(actual) if expected.get(name) != actual.get(name))
        if bad:
            raise IndexCorrupt(f"{version_dir.name}: checksum mismatch in {', '.join(bad[:5])}")
    return manifest


def current_name(index_dir: Path) -> str | None:
    """The version ``current`` points at, without reading it."""
    link = index_dir / CURRENT
    return os.readlink(link) if link.is_symlink() else None


def current_version(
    index_dir: Path, formats: frozenset[int] = frozenset({FORMAT_VERSION})
) -> VersionInfo | None:
    link = index_dir / CURRENT
    if not link.is_symlink() and not link.exists():
        return None
    target = index_dir / os.readlink(link) if link.is_symlink() else link
    if not target.is_dir():
        return None
    return VersionInfo(target.name, target, load_manifest(target, verify=False, formats=formats))


def list_versions(index_dir: Path) -> list[str]:
    """Complete version folders, oldest first."""
    if not index_dir.is_dir():
        return []
    return sorted(
        p.name
        for p in index_dir.iterdir()
        if p.is_dir() and not p.is_symlink() and not p.name.startswith(".") and (p / "manifest.json").exists()
    )


def switch_current(index_dir: Path, name: str) -> None:
    """Point ``current`` at version ``name`` atomically (rename over the old link)."""
    if not (index_dir / name / "manifest.json").exists():
        raise IndexNotFound(f"no complete index version '{name}'")
    tmp = index_dir / f"{TMP_PREFIX}{CURRENT}-{os.getpid()}"
    tmp.unlink(missing_ok=True)
    tmp.symlink_to(name)
    os.replace(tmp, index_dir / CURRENT)


def clean_leftovers(index_dir: Path) -> list[str]:
    """Remove temporary folders of builds that died; call only while holding the lock."""
    removed = []
    for p in index_dir.glob(TMP_PREFIX + "*"):
        if p.is_symlink() or p.is_file():
            p.unlink()
        else:
            shutil.rmtree(p, ignore_errors=True)
        removed.append(p.name)
    return removed


def prune(index_dir: Path, keep: int) -> list[str]:
    """Delete the oldest versions beyond ``keep``, never the current one."""
    current = current_version(index_dir)
    versions = [v for v in list_versions(index_dir) if current is None or v != current.name]
    doomed = versions[: max(0, len(versions) - (keep - 1))]
    for name in doomed:
        shutil.rmtree(index_dir / name, ignore_errors=True)
    return doomed


def build_running(index_dir: Path) -> bool:
    """Whether some process holds the build lock right now."""
    try:
        with build_lock(index_dir):
            return False
    except BuildInProgress:
        return True


@contextmanager
def build_lock(index_dir: Path) -> Iterator[None]:
    """One build at a time per index folder, across processes; released if the holder dies."""
    index_dir.mkdir(parents=True, exist_ok=True)
    with (index_dir / LOCK_FILE).open("a") as fh:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError as exc:
            raise BuildInProgress("another index build is running") from exc
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)
