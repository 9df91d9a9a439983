"""Where documents come from: the corpus folder, and collections (folders or zip archives).

A collection has the corpus layout, ``<doc_id>.<ext>`` with an optional
``<doc_id>.meta.json``, either as a folder or packed flat into a ``.zip`` archive (``python
-m ingest pack``). Archives are read member by member, never unpacked: the national
collection is 112 MB of text but 17 MB packed with LZMA.
"""

from __future__ import annotations

import zipfile
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from ingest.errors import IngestError, LoadError
from ingest.sources.load import SUPPORTED_SUFFIXES

META_SUFFIX = ".meta.json"


@dataclass(frozen=True)
class Entry:
    """One document of a corpus folder or collection, readable without knowing which."""

    doc_id: str
    name: str  # the document's file name, e.g. "luat-31-2024-qh15.txt"
    where: str  # for messages and the manifest: "x.txt", or "national.zip:x.txt" in an archive
    _folder: Path | None = None
    _archive: zipfile.ZipFile | None = None

    def data(self) -> bytes:
        return self._read(self.name)

    def meta(self) -> bytes | None:
        """The bytes of the document's ``.meta.json``, or None when it has none."""
        name = self.doc_id + META_SUFFIX
        if self._archive is not None:
            return self._read(name) if name in self._archive.NameToInfo else None
        assert self._folder is not None
        return self._read(name) if (self._folder / name).is_file() else None

    def _read(self, name: str) -> bytes:
        try:
            if self._archive is not None:
                return self._archive.read(name)
            assert self._folder is not None
            return (self._folder / name).read_bytes()
        except (OSError, zipfile.BadZipFile, EOFError, RuntimeError, ValueError) as exc:
            raise LoadError(name, f"cannot read {self.where}: {exc}") from exc


def is_document(name: str) -> bool:
    path = PurePosixPath(name)
    return path.suffix.lower() in SUPPORTED_SUFFIXES and path.stem.upper() != "README"


def folder_entries(folder: Path) -> list[Entry]:
    """Documents of a folder (metadata and README excluded), by doc_id."""
    if not folder.is_dir():
        raise IngestError(f"corpus folder {folder} does not exist")
    return sorted(
        (
            Entry(p.stem, p.name, p.name, _folder=folder)
            for p in folder.iterdir()
            if p.is_file() and is_document(p.name)
        ),
        key=lambda e: e.doc_id,
    )


def _archive_entries(archive: zipfile.ZipFile, label: str) -> list[Entry]:
    names = [i.filename for i in archive.infolist() if not i.is_dir()]
    nested = [n for n in names if "/" in n]
    if nested:
        raise IngestError(f"{label}: documents must sit at the top of the archive, not {nested[0]}")
    return sorted(
        (Entry(PurePosixPath(n).stem, n, f"{label}:{n}", _archive=archive) for n in names if is_document(n)),
        key=lambda e: e.doc_id,
    )


@contextmanager
def open_collection(path: Path) -> Iterator[list[Entry]]:
    """The documents of a collection folder or ``.zip``; archive entries are readable
    until the context ends."""
    if path.is_dir():
        yield folder_entries(path)
        return
    if path.suffix.lower() != ".zip" or not path.is_file():
        raise IngestError(f"collection {path} is neither a folder nor a .zip archive")
    try:
        archive = zipfile.ZipFile(path)
    except (OSError, zipfile.BadZipFile) as exc:
        raise IngestError(f"collection {path}: not a readable zip archive ({exc})") from exc
    with archive:
        yield _archive_entries(archive, path.name)


@contextmanager
def open_sources(corpus_dir: Path, collections: list[Path]) -> Iterator[list[Entry]]:
    """Every document the build indexes: the corpus folder's, then each collection's."""
    with ExitStack() as stack:
        entries = folder_entries(corpus_dir)
        for path in collections:
            entries.extend(stack.enter_context(open_collection(path)))
        yield entries


def pack(folder: Path, archive: Path) -> int:
    """Write a collection folder into a flat LZMA ``.zip``; returns the documents packed.

    Written under a temporary name and renamed, so a killed run leaves no half archive.
    """
    entries = folder_entries(folder)
    tmp = archive.with_name(f".{archive.name}.tmp")
    with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_LZMA) as out:
        for entry in entries:
            # Fixed timestamps: the same folder always packs to the same bytes.
            out.writestr(zipfile.ZipInfo(entry.name, (2020, 1, 1, 0, 0, 0)), entry.data(), zipfile.ZIP_LZMA)
            side = entry.meta()
            if side is not None:
                info = zipfile.ZipInfo(entry.doc_id + META_SUFFIX, (2020, 1, 1, 0, 0, 0))
                out.writestr(info, side, zipfile.ZIP_LZMA)
    tmp.replace(archive)
    return len(entries)
