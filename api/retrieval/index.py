"""A loaded, read-only index version: units, document metadata, dense and lexical indexes."""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

import bm25s
import faiss
import numpy as np
import numpy.typing as npt

from ingest.embedding.embed import Vectors
from ingest.errors import IndexCorrupt, ModelMismatch
from ingest.index import store
from ingest.structure.units import DocumentMeta, Unit

log = logging.getLogger(__name__)


@dataclass
class Document:
    meta: DocumentMeta
    units: list[Unit]
    articles: dict[str, list[int]] = field(default_factory=dict)  # article_key → unit ordinals

    def add(self, unit: Unit) -> None:
        """Append ``unit`` (in document order) and file it under its article.

        By article_key: an article the pháp điển filed here from another document may share
        its number with one of this document's own.
        """
        self.units.append(unit)
        if unit.article is not None:
            self.articles.setdefault(unit.article_key, []).append(unit.ordinal)

    def article_of(self, unit: Unit) -> Unit | None:
        """The unit holding the heading and lead-in text of ``unit``'s article."""
        ordinals = self.articles.get(unit.article_key, []) if unit.article is not None else []
        return next((self.units[o] for o in ordinals if self.units[o].kind == "dieu"), None)


@dataclass
class LoadedIndex:
    version: str
    documents: dict[str, Document]
    rows: list[Unit]  # searchable units, in the row order of the vectors and lexical index
    vectors: Vectors
    dense: faiss.Index
    lexical: bm25s.BM25
    vocab: dict[str, int]
    articles: bm25s.BM25
    article_vocab: dict[str, int]
    article_keys: list[str]  # in the order of ``articles``
    article_of_row: npt.NDArray[np.int64]  # row → position in ``article_keys``

    @cached_property
    def doc_ids(self) -> list[str]:
        """The documents' ids, sorted: the positions ``article_doc`` refers to."""
        return sorted(self.documents)

    @cached_property
    def article_doc(self) -> npt.NDArray[np.int64]:
        """Article position → position of its document in ``doc_ids``."""
        positions = {d: i for i, d in enumerate(self.doc_ids)}
        article_doc = np.zeros(len(self.article_keys), dtype=np.int64)
        article_doc[self.article_of_row] = [positions[u.doc_id] for u in self.rows]
        return article_doc

    @cached_property
    def row_of(self) -> dict[str, int]:
        """Unit uid → its row, for the searchable units."""
        return {u.uid: row for row, u in enumerate(self.rows)}

    @cached_property
    def headings(self) -> dict[int, str]:
        """Article position → its heading, read once for the signals that read headings."""
        headings: dict[int, str] = {}
        for u, a in zip(self.rows, self.article_of_row, strict=True):
            headings.setdefault(int(a), u.heading)
        return headings


def load_index(path: Path, model_name: str, verify: bool = True) -> LoadedIndex:
    """Load and check one index version; refuse it if built with another model."""
    manifest = store.load_manifest(path, verify=verify, formats=store.SERVABLE_FORMATS)
    if manifest["model"]["name"] != model_name:
        raise ModelMismatch(
            f"index {path.name} was built with {manifest['model']['name']}, the service uses {model_name}"
        )
    try:
        units = [Unit.from_dict(json.loads(line)) for line in _lines(path / "units.jsonl")]
        documents: dict[str, Document] = {}
        for doc_id, entry in manifest["documents"].items():
            documents[doc_id] = Document(DocumentMeta(**entry["meta"]), [])
        for unit in units:
            documents[unit.doc_id].add(unit)
        rows = [u for u in units if u.searchable]
        vectors = np.load(path / "vectors.npy", mmap_mode="r")
        dense = faiss.read_index(str(path / "dense.faiss"))
        lexical = bm25s.BM25.load(str(path / "lexical"), mmap=True, show_progress=False)
        articles = bm25s.BM25.load(str(path / "lexical_articles"), mmap=True, show_progress=False)
    except (OSError, KeyError, ValueError, TypeError, RuntimeError) as exc:
        raise IndexCorrupt(f"{path.name}: {exc}") from exc
    if not (len(rows) == vectors.shape[0] == dense.ntotal):
        raise IndexCorrupt(f"{path.name}: {len(rows)} units but {dense.ntotal} vectors")
    positions: dict[str, int] = {}
    article_of_row = np.array(
        [positions.setdefault(u.article_key, len(positions)) for u in rows], dtype=np.int64
    )
    if len(positions) != articles.scores["num_docs"]:
        raise IndexCorrupt(
            f"{path.name}: {len(positions)} articles but {articles.scores['num_docs']} indexed"
        )
    log.info("loaded index %s: %d documents, %d searchable units", path.name, len(documents), len(rows))
    return LoadedIndex(
        path.name, documents, rows, vectors, dense, lexical, _vocab(lexical),
        articles, _vocab(articles), list(positions), article_of_row,
    )  # fmt: skip


def _vocab(model: bm25s.BM25) -> dict[str, int]:
    return {str(k): int(v) for k, v in model.vocab_dict.items()}


def _lines(path: Path) -> list[str]:
    return path.read_text(encoding="utf-8").splitlines()
