"""Building index versions from a corpus folder, re-embedding only what changed."""

from __future__ import annotations

import hashlib
import json
import re
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import bm25s
import faiss
import numpy as np

from . import store
from .conditions import CONDITIONS_VERSION, read_conditions
from .embed import Embedder, Vectors, model_id
from .errors import IndexCorrupt, IngestError, LoadError, ModelMismatch
from .load import SUPPORTED_SUFFIXES, read_text
from .meta import meta_path, read_meta
from .normalize import display_form
from .parse import parse_units
from .segment import tokenize_many
from .settings import IngestSettings
from .units import ParsedDocument, Unit

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
    if not corpus_dir.is_dir():
        raise IngestError(f"corpus folder {corpus_dir} does not exist")
    files = [
        p
        for p in corpus_dir.iterdir()
        if p.is_file() and p.suffix.lower() in SUPPORTED_SUFFIXES and p.stem.upper() != "README"
    ]
    return sorted(files, key=lambda p: p.stem)


def content_hash(path: Path) -> str:
    digest = hashlib.sha256(f"pipeline-{PIPELINE_VERSION}\0".encode())
    digest.update(path.read_bytes())
    side = meta_path(path)
    if side.exists():
        digest.update(b"\0meta\0" + side.read_bytes())
    return digest.hexdigest()


def read_document(path: Path) -> ParsedDocument:
    """Load, normalise and parse one corpus file."""
    text = display_form(read_text(path))
    meta = read_meta(path, text)
    units = parse_units(path.stem, text, meta.short_title)
    if meta.searchable and not any(u.searchable for u in units):
        raise LoadError(path, "no text that could be indexed was found")
    return ParsedDocument(meta, text, units, content_hash(path), path.name)


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
        # read the conditions again, so nothing is re-embedded.
        for data in all_units:
            data["conditions"] = [c.to_dict() for c in read_conditions(data["text"])]
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
    progress: bool = False,
    force: bool = False,
) -> BuildReport:
    """Build a new index version from ``settings.corpus_dir`` and switch to it.

    Unchanged documents (same content hash, same model) are reused from the current
    version. When nothing changed, no version is written and ``report.noop`` is true.
    """
    started = time.perf_counter()
    index_dir = settings.index_dir
    with store.build_lock(index_dir):
        leftovers = store.clean_leftovers(index_dir)
        if leftovers:
            log(f"removed leftovers of an interrupted build: {', '.join(leftovers)}")
        files = corpus_files(settings.corpus_dir)
        model = _model_of(settings)
        previous = None if force else _load_previous(index_dir, model)
        prev_docs: dict[str, Any] = previous.manifest["documents"] if previous else {}
        hashes = {p.stem: content_hash(p) for p in files}
        dupes = sorted({p.stem for p in files if sum(q.stem == p.stem for q in files) > 1})
        if dupes:
            raise BuildFailed([f"{d}: several files share this document id" for d in dupes])
        current_format = previous is not None and (
            previous.manifest["format_version"],
            previous.manifest.get("conditions_version"),
        ) == (store.FORMAT_VERSION, CONDITIONS_VERSION)
        if previous and current_format and hashes == {d: v["hash"] for d, v in prev_docs.items()}:
            return BuildReport(None, reused=sorted(hashes), seconds=time.perf_counter() - started)

        report = BuildReport(version=store.new_version_name(index_dir))
        docs: list[ParsedDocument | str] = []
        errors: list[str] = []
        for path in files:
            doc_id = path.stem
            if previous and prev_docs.get(doc_id, {}).get("hash") == hashes[doc_id]:
                report.reused.append(doc_id)
                docs.append(doc_id)
                continue
            try:
                parsed = read_document(path)
            except IngestError as exc:
                errors.append(str(exc))
                continue
            report.changed.append(doc_id)
            docs.append(parsed)
        if errors:
            raise BuildFailed(errors)
        report.removed = sorted(set(prev_docs) - set(hashes))
        report.timings["parse"] = time.perf_counter() - started
        _write_version(settings, report, docs, previous, embedder_factory, log, progress)
        store.switch_current(index_dir, report.version or "")
        pruned = store.prune(index_dir, settings.keep_versions)
        if pruned:
            log(f"pruned old versions: {', '.join(pruned)}")
    report.seconds = time.perf_counter() - started
    return report


def _write_version(
    settings: IngestSettings,
    report: BuildReport,
    docs: list[ParsedDocument | str],
    previous: _Previous | None,
    embedder_factory: Callable[[], Embedder] | None,
    log: Log,
    progress: bool,
) -> None:
    assert report.version is not None
    tmp = settings.index_dir / f"{store.TMP_PREFIX}{report.version}"
    (tmp / "texts").mkdir(parents=True)
    all_units: list[dict[str, Any]] = []
    all_tokens: list[list[str]] = []
    blocks: list[Vectors] = []
    documents: dict[str, Any] = {}
    fresh = [d for d in docs if isinstance(d, ParsedDocument)]
    fresh_tokens, fresh_vectors = _analyse(fresh, settings, embedder_factory, report, log, progress)
    model_name, dim = _model_of(settings), 0
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
            "searchable_units": sum(u.searchable for u in doc.units),
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
    progress: bool,
) -> tuple[dict[str, list[list[str]]], dict[str, Vectors]]:
    """Tokens and vectors for the searchable units of changed documents."""
    if not fresh:
        return {}, {}
    searchable = [(d, [u for u in d.units if u.searchable]) for d in fresh]
    t0 = time.perf_counter()
    # Headings and intros repeat across a clause's siblings: tokenise each distinct string once.
    strings = sorted({p for _, units in searchable for u in units for p in lexical_parts(u)})
    log(f"tokenising {len(strings)} passages")
    token_of = dict(zip(strings, tokenize_many(strings), strict=True))
    tokens = {
        d.meta.doc_id: [[t for p in lexical_parts(u) for t in token_of[p]] for u in units]
        for d, units in searchable
    }
    report.timings["tokenise"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    embedder = embedder_factory() if embedder_factory else Embedder.from_settings(settings)
    report.timings["model_load"] = time.perf_counter() - t0
    expected = _model_of(settings)
    if embedder.name != expected:
        # The manifest records the settings' model; vectors from another one must not hide under it.
        raise ModelMismatch(f"embedder is {embedder.name}, settings say {expected}")
    texts = [dense_text(u) for _, units in searchable for u in units]
    log(f"embedding {len(texts)} units with {embedder.name}")
    t0 = time.perf_counter()
    matrix = embedder.passages(texts, progress=progress)
    report.timings["embed"] = time.perf_counter() - t0
    report.embedded = len(texts)
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
    # Flat inner product on normalised vectors is exact cosine search; at this corpus size
    # (tens of thousands of units) it answers in about a millisecond, so no ANN is needed.
    dense = faiss.IndexFlatIP(matrix.shape[1])
    if len(matrix):
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


def _model_of(settings: IngestSettings) -> str:
    """The model an index built with these settings records in its manifest."""
    return model_id(settings.embedding_model, settings.embed_bf16, settings.embed_max_tokens)
