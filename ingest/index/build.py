"""Building index versions from a corpus folder, re-embedding only what changed."""

from __future__ import annotations

import time
from collections.abc import Callable, Collection
from typing import Any

<<<<<<< HEAD
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
=======
from ingest.embedding.embed import Embedder
from ingest.index import store
from ingest.index.buildreport import BuildReport, Log
from ingest.index.cache import BuildCache
from ingest.index.documents import read_changed
from ingest.index.previous import load_previous, model_of, up_to_date
from ingest.index.version import write_version
from ingest.settings import IngestSettings
from ingest.sources.collections import open_sources
from ingest.structure.units import ParsedDocument
>>>>>>> split-ingest


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
        previous = None if force else load_previous(index_dir, model)
        prev_docs: dict[str, Any] = previous.manifest["documents"] if previous else {}
        with open_sources(settings.corpus_dir, settings.collections) as entries:
            if include is not None:
                entries = [e for e in entries if e.doc_id in include]
            docs, hashes = read_changed(entries, prev_docs if previous else {})
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
        write_version(settings, report, docs, previous, embedder_factory, log)
        store.switch_current(index_dir, report.version or "")
        BuildCache(index_dir, model).clear()
        pruned = store.prune(index_dir, settings.keep_versions)
        if pruned:
            log(f"pruned old versions: {', '.join(pruned)}")
    report.seconds = time.perf_counter() - started
    return report
