"""The analysis of changed documents: the tokens and vectors of their searchable units.

The embedding model reads a unit's heading, its parent's intro and its text; BM25 the same
with one more heading level. Documents go through in chunks, each finished one kept in the
build cache, and each chunk's texts are tokenised while the model embeds them.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor

from ingest.embedding.embed import Embedder, Vectors
from ingest.errors import ModelMismatch
from ingest.index.buildreport import BuildReport, Log
from ingest.index.cache import BuildCache
from ingest.index.previous import model_of
from ingest.index.progress import Progress
from ingest.settings import IngestSettings
from ingest.structure.units import ParsedDocument, Unit
from ingest.text.segment import tokenize_many

_MAX_DENSE_INTRO = 300


def dense_text(unit: Unit) -> str:
    """What the embedding model reads for a unit: its heading, its parent's intro, its text.

    Chapter titles and the document title would add ~40% more tokens to embed (minutes on
    2 cores) and say little the article heading does not; the lexical side keeps them.
    """
    intro = unit.intro if len(unit.intro) <= _MAX_DENSE_INTRO else unit.intro[:_MAX_DENSE_INTRO] + " …"
    parts = [*unit.breadcrumbs[-1:], intro, unit.text]
    return "\n".join(p for p in parts if p)


def lexical_parts(unit: Unit) -> list[str]:
    return [p for p in (*unit.breadcrumbs[-2:], unit.intro, unit.text) if p]


def analyse(
    fresh: list[ParsedDocument],
    settings: IngestSettings,
    embedder_factory: Callable[[], Embedder] | None,
    report: BuildReport,
    log: Log,
) -> tuple[dict[str, list[list[str]]], dict[str, Vectors]]:
    """Tokens and vectors for the searchable units of changed documents.

    Documents go through in chunks of about ``settings.build_chunk_units`` units; each
    finished document is kept in the build cache, so a killed build resumes from there.
    """
    tokens: dict[str, list[list[str]]] = {}
    vectors: dict[str, Vectors] = {}
    cache = BuildCache(settings.index_dir, model_of(settings))
    todo = []
    for doc in fresh:
        hit = cache.get(doc.content_hash)
        if hit is None:
            todo.append(doc)
        else:
            tokens[doc.meta.doc_id], vectors[doc.meta.doc_id] = hit
    report.resumed = len(fresh) - len(todo)
    if report.resumed:
        log(f"resuming: {report.resumed} documents were finished by an interrupted build")
    if not todo:
        return tokens, vectors
    t0 = time.perf_counter()
    embedder = embedder_factory() if embedder_factory else Embedder.from_settings(settings)
    report.timings["model_load"] = time.perf_counter() - t0
    expected = model_of(settings)
    if embedder.name != expected:
        # The manifest records the settings' model; vectors from another one must not hide under it.
        raise ModelMismatch(f"embedder is {embedder.name}, settings say {expected}")
    total = sum(d.searchable_count for d in todo)
    log(f"embedding {total} units of {len(todo)} documents with {embedder.name}")
    progress = Progress(total, log)
    for chunk in _chunks(todo, settings.build_chunk_units):
        chunk_tokens, chunk_vectors = _analyse_chunk(chunk, embedder, report)
        for doc in chunk:
            doc_id = doc.meta.doc_id
            tokens[doc_id], vectors[doc_id] = chunk_tokens[doc_id], chunk_vectors[doc_id]
            cache.put(doc.content_hash, tokens[doc_id], vectors[doc_id])
        progress.advance(sum(d.searchable_count for d in chunk))
    report.embedded = total
    return tokens, vectors


def _chunks(docs: list[ParsedDocument], size: int) -> Iterator[list[ParsedDocument]]:
    chunk: list[ParsedDocument] = []
    units = 0
    for doc in docs:
        chunk.append(doc)
        units += doc.searchable_count
        if units >= size:
            yield chunk
            chunk, units = [], 0
    if chunk:
        yield chunk


def _analyse_chunk(
    docs: list[ParsedDocument], embedder: Embedder, report: BuildReport
) -> tuple[dict[str, list[list[str]]], dict[str, Vectors]]:
    searchable = [(d, [u for u in d.units if u.searchable]) for d in docs]
    t0 = time.perf_counter()
    # One call per chunk: the model sorts the chunk's texts by length, so batches pad little.
    # The model runs outside the GIL, so this thread tokenises meanwhile: a quarter of a
    # national build's CPU time, which otherwise left both cores to the model idle.
    with ThreadPoolExecutor(1, thread_name_prefix="embed") as pool:
        embedding = pool.submit(embedder.passages, [dense_text(u) for _, units in searchable for u in units])
        # Headings and intros repeat across a clause's siblings: tokenise each distinct string once.
        strings = sorted({p for _, units in searchable for u in units for p in lexical_parts(u)})
        token_of = dict(zip(strings, tokenize_many(strings), strict=True))
        tokens = {
            d.meta.doc_id: [[t for p in lexical_parts(u) for t in token_of[p]] for u in units]
            for d, units in searchable
        }
        t1 = time.perf_counter()
        matrix = embedding.result()
    t2 = time.perf_counter()
    # The two overlap: "embed" is the chunk's whole time, "tokenise" the part spent tokenising.
    report.timings["tokenise"] = report.timings.get("tokenise", 0.0) + t1 - t0
    report.timings["embed"] = report.timings.get("embed", 0.0) + t2 - t0
    vectors, row = {}, 0
    for d, units in searchable:
        vectors[d.meta.doc_id] = matrix[row : row + len(units)]
        row += len(units)
    return tokens, vectors
