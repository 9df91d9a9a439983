"""Adding and removing documents in the corpus folder; shared by the CLI and the admin API.

A document is checked (read and parsed) before the corpus is touched, and files land under
a temporary name renamed into place, so the folder never holds half a document.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from ingest.errors import DocumentNotFound, LoadError
from ingest.index.documents import DOC_ID, corpus_files, read_document
from ingest.sources.load import SUPPORTED_SUFFIXES
from ingest.sources.meta import meta_path


def check_name(name: str) -> str:
    """The doc_id a file name gives, or LoadError when the name is unusable."""
    path = Path(name)
    if path.name != name or not name:
        raise LoadError(name, "file name must not contain a path")
    if path.suffix.lower() not in SUPPORTED_SUFFIXES:
        raise LoadError(name, f"unsupported file type, use one of {', '.join(sorted(SUPPORTED_SUFFIXES))}")
    if not DOC_ID.match(path.stem):
        raise LoadError(name, "file name must be letters, digits, '.', '_' or '-'")
    return path.stem


def add_document(source: Path, corpus_dir: Path, name: str | None = None, meta: Path | None = None) -> str:
    """Validate ``source`` and place it in the corpus as ``name``; returns its doc_id.

    A document of the same id and type is replaced (an amended text); one of another type
    must be removed first, so that an id never names two files.
    """
    name = name or source.name
    doc_id = check_name(name)
    with tempfile.TemporaryDirectory(prefix="vnlaw-add-") as tmp:
        staged = Path(tmp) / name
        shutil.copyfile(source, staged)
        if meta is not None:
            shutil.copyfile(meta, meta_path(staged))
        read_document(staged)
    clash = [p for p in corpus_files(corpus_dir) if p.stem == doc_id and p.name != name]
    if clash:
        raise LoadError(name, f"'{doc_id}' is already in the corpus as {clash[0].name}; remove it first")
    target = corpus_dir / name
    if meta is not None:
        _copy_atomic(meta, meta_path(target))
    _copy_atomic(source, target)
    return doc_id


def remove_document(doc_id: str, corpus_dir: Path) -> list[str]:
    """Delete a document and its metadata from the corpus; returns the file names removed."""
    matches = [p for p in corpus_files(corpus_dir) if p.stem == doc_id] if DOC_ID.match(doc_id) else []
    if not matches:
        raise DocumentNotFound(doc_id)
    removed = []
    for path in matches:
        path.unlink()
        removed.append(path.name)
        side = meta_path(path)
        if side.exists():
            side.unlink()
            removed.append(side.name)
    return removed


def _copy_atomic(src: Path, dst: Path) -> None:
    tmp = dst.with_name(f".{dst.name}.tmp")
    shutil.copyfile(src, tmp)
    tmp.replace(dst)
