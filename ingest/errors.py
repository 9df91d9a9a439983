"""Domain errors of the ingest package; the API maps them to HTTP in one place."""

from __future__ import annotations

from pathlib import Path


class IngestError(Exception):
    """Base class: something an operator can act on, with a message fit to show them."""


class LoadError(IngestError):
    """A file could not be read or decoded into text."""

    def __init__(self, path: Path | str, reason: str) -> None:
        self.path = Path(path)
        self.reason = reason
        super().__init__(f"{self.path.name}: {reason}")


class ParseError(IngestError):
    """A document was read but its legal structure could not be made sense of."""

    def __init__(self, doc_id: str, reason: str) -> None:
        self.doc_id = doc_id
        self.reason = reason
        super().__init__(f"{doc_id}: {reason}")


class DocumentNotFound(IngestError):
    """No document with this id is in the corpus or the index."""

    def __init__(self, doc_id: str) -> None:
        self.doc_id = doc_id
        super().__init__(f"Không có văn bản '{doc_id}'")


class UnknownFilterValue(IngestError):
    """A search filter names a value no indexed document has."""

    def __init__(self, field: str, value: str) -> None:
        self.field = field
        self.value = value
        super().__init__(f"Không có văn bản nào khớp bộ lọc {field}: '{value}'")


class IndexNotFound(IngestError):
    """No usable index version exists (yet)."""


class IndexCorrupt(IngestError):
    """An index version failed its checks (manifest, checksums, format)."""


class IndexWriteFailed(IngestError):
    """A new index version could not be written (a full disk, a file too large, a read-only
    folder); what was written of it is removed and the served version is untouched."""


class ModelMismatch(IngestError):
    """The index was built with another embedding model than the one configured."""


class BuildInProgress(IngestError):
    """Another build holds the index lock."""
