"""Writing a new index version: its texts, units, tokens, vectors, dense and lexical indexes,
and the manifest, in a temp folder renamed into place once everything is written.
"""

from __future__ import annotations

import errno
import json
import shutil
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import bm25s
import faiss
import numpy as np

from ingest.embedding.embed import Embedder, Vectors
from ingest.errors import IndexWriteFailed, IngestError
from ingest.index import store
from ingest.index.analysis import analyse
from ingest.index.buildreport import BuildReport, Log
from ingest.index.documents import PIPELINE_VERSION
from ingest.index.previous import Previous, model_of
from ingest.settings import IngestSettings
from ingest.structure.conditions import CONDITIONS_VERSION
from ingest.structure.units import ParsedDocument, Unit


def write_version(
    settings: IngestSettings,
    report: BuildReport,
    docs: list[ParsedDocument | str],
    previous: Previous | None,
    embedder_factory: Callable[[], Embedder] | None,
    log: Log,
) -> None:
    assert report.version is not None
    tmp = settings.index_dir / f"{store.TMP_PREFIX}{report.version}"
    try:
        _write_version(tmp, settings, report, docs, previous, embedder_factory, log)
    except (OSError, _FaissWriteError) as exc:
        free = shutil.disk_usage(settings.index_dir).free
        # Removed now rather than by the next build: on a full disk it holds the space that
        # the job's own state and the service's other files still need.
        shutil.rmtree(tmp, ignore_errors=True)
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        # numpy and faiss report a short write without an errno ("10752 requested and 992
        # written"): the free space tells a full disk from other failures.
        if (isinstance(exc, OSError) and exc.errno == errno.ENOSPC) or free < DISK_FULL_BYTES:
            reason = f"the disk is full ({free:,} bytes free): {reason}"
        raise IndexWriteFailed(
            f"cannot write index version {report.version} in {settings.index_dir}: {reason};"
            " the served version is unchanged"
        ) from exc


DISK_FULL_BYTES = 1 << 20


class _FaissWriteError(Exception):
    """faiss reports a failed write as a RuntimeError holding the C library's message."""


def _write_version(
    tmp: Path,
    settings: IngestSettings,
    report: BuildReport,
    docs: list[ParsedDocument | str],
    previous: Previous | None,
    embedder_factory: Callable[[], Embedder] | None,
    log: Log,
) -> None:
    assert report.version is not None
    (tmp / "texts").mkdir(parents=True)
    all_units: list[dict[str, Any]] = []
    all_tokens: list[list[str]] = []
    blocks: list[Vectors] = []
    documents: dict[str, Any] = {}
    fresh = [d for d in docs if isinstance(d, ParsedDocument)]
    fresh_tokens, fresh_vectors = analyse(fresh, settings, embedder_factory, report, log)
    model_name, dim = model_of(settings), 0
    for doc in docs:
        if isinstance(doc, str):
            assert previous is not None
            entry = previous.manifest["documents"][doc]
            shutil.copyfile(previous.path / "texts" / f"{doc}.txt", tmp / "texts" / f"{doc}.txt")
            all_units.extend(previous.units[doc])
            all_tokens.extend(previous.tokens.get(doc, []))
            if doc in previous.vectors:
                blocks.append(previous.vectors[doc])
            documents[doc] = entry
            dim = dim or int(previous.manifest["model"]["dim"])
            continue
        doc_id = doc.meta.doc_id
        (tmp / "texts" / f"{doc_id}.txt").write_text(doc.text, encoding="utf-8")
        all_units.extend(u.to_dict() for u in doc.units)
        all_tokens.extend(fresh_tokens[doc_id])
        blocks.append(fresh_vectors[doc_id])
        dim = dim or fresh_vectors[doc_id].shape[1]
        documents[doc_id] = {
            "hash": doc.content_hash,
            "source": doc.source,
            "meta": doc.meta.to_dict(),
            "units": len(doc.units),
            "searchable_units": doc.searchable_count,
            "articles": sum(u.kind == "dieu" for u in doc.units),
        }
    if not dim:
        raise IngestError("the corpus holds no searchable text")
    matrix = np.concatenate(blocks) if blocks else np.zeros((0, dim), dtype=np.float32)
    t0 = time.perf_counter()
    _write_files(tmp, all_units, all_tokens, matrix)
    report.timings["write"] = time.perf_counter() - t0
    report.units = len(all_units)
    report.searchable = len(all_tokens)
    manifest = {
        "format_version": store.FORMAT_VERSION,
        "conditions_version": CONDITIONS_VERSION,
        "pipeline_version": PIPELINE_VERSION,
        "version": report.version,
        "built_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "model": {"name": model_name, "dim": dim},
        "documents": documents,
        "counts": {"documents": len(documents), "units": report.units, "searchable": report.searchable},
        "files": store.checksum_files(tmp),
    }
    store.write_json(tmp / "manifest.json", manifest)
    (tmp).rename(settings.index_dir / report.version)


def _write_files(tmp: Path, units: list[dict[str, Any]], tokens: list[list[str]], matrix: Vectors) -> None:
    with (tmp / "units.jsonl").open("w", encoding="utf-8") as fh:
        fh.writelines(json.dumps(u, ensure_ascii=False) + "\n" for u in units)
    with (tmp / "tokens.jsonl").open("w", encoding="utf-8") as fh:
        fh.writelines(json.dumps(t, ensure_ascii=False) + "\n" for t in tokens)
    np.save(tmp / "vectors.npy", matrix)
    # Inner product on normalised vectors is cosine; stored in fp16 it finds 99.9% of the
    # exact top 100 on the national index at 8 ms a question instead of 20 ms. No
    # approximate index reached 0.99 there (HNSW 0.98 at efSearch 1024, IVF 0.93, int8
    # 0.983; bench/faiss_choice.py, README).
    dense = faiss.IndexScalarQuantizer(
        matrix.shape[1], faiss.ScalarQuantizer.QT_fp16, faiss.METRIC_INNER_PRODUCT
    )
    if len(matrix):
        dense.train(matrix)
        dense.add(matrix)
    try:
        faiss.write_index(dense, str(tmp / "dense.faiss"))
    except RuntimeError as exc:
        raise _FaissWriteError(str(exc).strip().splitlines()[-1]) from exc
    lexical = bm25s.BM25()
    lexical.index(tokens or [[]], show_progress=False)
    lexical.save(str(tmp / "lexical"), show_progress=False)
    # A second BM25 over whole articles: a question about an article's topic often shares
    # words with the article as a whole but with none of its clauses alone (+0.02 MRR).
    bags: dict[str, list[str]] = {}
    for unit, unit_tokens in zip((u for u in units if u["searchable"]), tokens, strict=True):
        bags.setdefault(Unit.from_dict(unit).article_key, []).extend(unit_tokens)
    articles = bm25s.BM25()
    articles.index(list(bags.values()) or [[]], show_progress=False)
    articles.save(str(tmp / "lexical_articles"), show_progress=False)
