"""Building index versions from a corpus folder, re-embedding only what changed."""

from __future__ import annotations

import hashlib
import json
import re
import shutil
import time
from collections.abc import Callable, Collection, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import bm25s
import faiss
import numpy as np

from ingest.embedding.embed import Embedder, Vectors, model_id
from ingest.errors import IndexCorrupt, IngestError, LoadError, ModelMismatch, ParseError
from ingest.index import store
from ingest.index.cache import BuildCache
from ingest.index.progress import Progress
from ingest.settings import IngestSettings
from ingest.sources.collections import Entry, folder_entries, open_sources
from ingest.sources.load import decode_text
from ingest.sources.meta import meta_from
from ingest.structure.conditions import CONDITIONS_VERSION, figure_kinds, read_conditions
from ingest.structure.parse import parse_units
from ingest.structure.units import ParsedDocument, Unit
from ingest.text.normalize import display_form
from ingest.text.segment import tokenize_many

# Bump when parsing, context or tokenisation change: documents are then rebuilt, not reused.
PIPELINE_VERSION = 1
_MAX_DENSE_INTRO = 300
DOC_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$")

Log = Callable[[str], None]


@dataclass
class BuildReport:
    version: str | None
    changed: list[str] = field(default_factory=list)
    reused: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    units: int = 0
    searchable: int = 0
    embedded: int = 0
    resumed: int = 0  # documents whose vectors an interrupted build had already made
    seconds: float = 0.0
    timings: dict[str, float] = field(default_factory=dict)

    @property
    def noop(self) -> bool:
        return self.version is None


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


@dataclass
class _Previous:
    path: Path
    manifest: dict[str, Any]
    units: dict[str, list[dict[str, Any]]]
    tokens: dict[str, list[list[str]]]
    vectors: dict[str, Vectors]


def _load_previous(index_dir: Path, model: str) -> _Previous | None:
    try:
        info = store.current_version(index_dir, formats=store.REUSABLE_FORMATS)
    except IndexCorrupt:
        return None  # nothing reusable: build everything afresh
    if info is None or info.manifest.get("model", {}).get("name") != model:
        return None
    units: dict[str, list[dict[str, Any]]] = {}
    tokens: dict[str, list[list[str]]] = {}
    rows: dict[str, list[int]] = {}
    with (info.path / "units.jsonl").open(encoding="utf-8") as fh:
        all_units = [json.loads(line) for line in fh]
    with (info.path / "tokens.jsonl").open(encoding="utf-8") as fh:
        all_tokens = [json.loads(line) for line in fh]
    if info.manifest.get("conditions_version") != CONDITIONS_VERSION:
        # Units of older formats or condition rules: their stored text is all it takes to
        # read the conditions and figures again, so nothing is re-embedded.
        for data in all_units:
            data["conditions"] = [c.to_dict() for c in read_conditions(data["text"])]
            data["figures"] = figure_kinds(data["text"])
    row = 0
    for data in all_units:
        units.setdefault(data["doc_id"], []).append(data)
        if data["searchable"]:
            tokens.setdefault(data["doc_id"], []).append(all_tokens[row])
            rows.setdefault(data["doc_id"], []).append(row)
            row += 1
    matrix = np.load(info.path / "vectors.npy")
    vectors = {doc: matrix[idx] for doc, idx in rows.items()}
    return _Previous(info.path, info.manifest, units, tokens, vectors)


def build(
    settings: IngestSettings,
    embedder_factory: Callable[[], Embedder] | None = None,
    log: Log = lambda _msg: None,
    force: bool = False,
    include: Collection[str] | None = None,
) -> BuildReport:
    """Build a new index version from ``settings.corpus_dir`` and the collections, and
    switch to it; with ``include``, of those documents only (a stage of ``ingest.index.stages``).

    Unchanged documents (same content hash, same model) are reused from the current
    version. When nothing changed, no version is written and ``report.noop`` is true.
    """
    started = time.perf_counter()
    index_dir = settings.index_dir
    with store.build_lock(index_dir):
        leftovers = store.clean_leftovers(index_dir)
        if leftovers:
            log(f"removed leftovers of an interrupted build: {', '.join(leftovers)}")
        model = model_of(settings)
        previous = None if force else _load_previous(index_dir, model)
        prev_docs: dict[str, Any] = previous.manifest["documents"] if previous else {}
        with open_sources(settings.corpus_dir, settings.collections) as entries:
            if include is not None:
                entries = [e for e in entries if e.doc_id in include]
            docs, hashes = _read_changed(entries, prev_docs if previous else {})
        if (
            previous
            and up_to_date(previous.manifest, model)
            and hashes == {d: v["hash"] for d, v in prev_docs.items()}
        ):
            return BuildReport(None, reused=sorted(hashes), seconds=time.perf_counter() - started)

        report = BuildReport(version=store.new_version_name(index_dir))
        report.reused = [d for d in docs if isinstance(d, str)]
        report.changed = [d.meta.doc_id for d in docs if isinstance(d, ParsedDocument)]
        report.removed = sorted(set(prev_docs) - set(hashes))
        report.timings["parse"] = time.perf_counter() - started
        _write_version(settings, report, docs, previous, embedder_factory, log)
        store.switch_current(index_dir, report.version or "")
        BuildCache(index_dir, model).clear()
        pruned = store.prune(index_dir, settings.keep_versions)
        if pruned:
            log(f"pruned old versions: {', '.join(pruned)}")
    report.seconds = time.perf_counter() - started
    return report


def _read_changed(
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


def _write_version(
    settings: IngestSettings,
    report: BuildReport,
    docs: list[ParsedDocument | str],
    previous: _Previous | None,
    embedder_factory: Callable[[], Embedder] | None,
    log: Log,
) -> None:
    assert report.version is not None
    tmp = settings.index_dir / f"{store.TMP_PREFIX}{report.version}"
    (tmp / "texts").mkdir(parents=True)
    all_units: list[dict[str, Any]] = []
    all_tokens: list[list[str]] = []
    blocks: list[Vectors] = []
    documents: dict[str, Any] = {}
    fresh = [d for d in docs if isinstance(d, ParsedDocument)]
    fresh_tokens, fresh_vectors = _analyse(fresh, settings, embedder_factory, report, log)
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


def _analyse(
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
    faiss.write_index(dense, str(tmp / "dense.faiss"))
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


def up_to_date(manifest: dict[str, Any], model: str) -> bool:
    """Whether a version needs no rewrite apart from its documents: built by ``model``, in
    today's format, its conditions read by today's rules."""
    return (
        manifest.get("model", {}).get("name") == model
        and manifest.get("format_version") == store.FORMAT_VERSION
        and manifest.get("conditions_version") == CONDITIONS_VERSION
    )


def model_of(settings: IngestSettings) -> str:
    """The model an index built with these settings records in its manifest."""
    return model_id(
        settings.embedding_model, settings.embed_runtime, settings.embed_bf16, settings.embed_max_tokens
    )
