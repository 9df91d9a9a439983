"""Building index versions from a corpus folder, re-embedding only what changed."""

from __future__ import annotations

import time
from collections.abc import Callable, Collection
from typing import Any

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
