"""The documents of a build: the corpus folder's files, their content hashes, and each
document read, normalised and parsed, or found unchanged since the current version.
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path
from typing import Any

from ingest.errors import IngestError, LoadError, ParseError
from ingest.sources.collections import Entry, folder_entries
from ingest.sources.load import decode_text
from ingest.sources.meta import meta_from
from ingest.structure.parse import parse_units
from ingest.structure.units import ParsedDocument
from ingest.text.normalize import display_form

# Bump when parsing, context or tokenisation change: documents are then rebuilt, not reused.
PIPELINE_VERSION = 1
DOC_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$")


class BuildFailed(IngestError):
    """Some documents could not be read or parsed; nothing was switched."""

    def __init__(self, errors: list[str]) -> None:
        self.errors = errors
        super().__init__("; ".join(errors))


def corpus_files(corpus_dir: Path) -> list[Path]:
    """Document files of a corpus folder (metadata and README excluded), by doc_id."""
    return [corpus_dir / e.name for e in folder_entries(corpus_dir)]


def content_hash(entry: Entry) -> str:
    digest = hashlib.sha256(f"pipeline-{PIPELINE_VERSION}\0".encode())
    digest.update(entry.data())
    side = entry.meta()
    if side is not None:
        digest.update(b"\0meta\0" + side)
    return digest.hexdigest()


def read_document(path: Path) -> ParsedDocument:
    """Load, normalise and parse one corpus file."""
    return read_entry(Entry(path.stem, path.name, path.name, _folder=path.parent))


def read_entry(entry: Entry) -> ParsedDocument:
    """Load, normalise and parse one document of the corpus or a collection."""
    text = display_form(decode_text(entry.name, entry.data()))
    meta = meta_from(entry.doc_id, text, entry.meta(), entry.doc_id + ".meta.json")
    try:
        units = parse_units(entry.doc_id, text, meta.short_title, meta.number, meta.partial)
    except (ValueError, IndexError, KeyError) as exc:
        # A parser bug on one text must name that text, not abort the build with a traceback.
        raise ParseError(entry.doc_id, f"cannot parse: {type(exc).__name__}: {exc}") from exc
    if meta.searchable and not any(u.searchable for u in units):
        raise LoadError(entry.name, "no text that could be indexed was found")
    return ParsedDocument(meta, text, units, content_hash(entry), entry.where)


def read_changed(
    entries: list[Entry], prev_docs: dict[str, Any]
) -> tuple[list[ParsedDocument | str], dict[str, str]]:
    """Parsed documents, or the doc_id of those unchanged since ``prev_docs``, and every
    document's content hash; BuildFailed naming each document that cannot be read."""
    where: dict[str, list[str]] = {}
    for entry in entries:
        where.setdefault(entry.doc_id, []).append(entry.where)
    dupes = {d: places for d, places in where.items() if len(places) > 1}
    if dupes:
        raise BuildFailed(
            [f"{d}: several files share this document id ({', '.join(p)})" for d, p in dupes.items()]
        )
    docs: list[ParsedDocument | str] = []
    hashes: dict[str, str] = {}
    errors: list[str] = []
    for entry in entries:
        try:
            hashes[entry.doc_id] = content_hash(entry)
            if prev_docs.get(entry.doc_id, {}).get("hash") == hashes[entry.doc_id]:
                docs.append(entry.doc_id)
            else:
                docs.append(read_entry(entry))
        except IngestError as exc:
            errors.append(str(exc))
    if errors:
        raise BuildFailed(errors)
    return docs, hashes
