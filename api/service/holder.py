"""The service's loaded state: embedding model and the current index version."""

from __future__ import annotations

import logging
import threading
from pathlib import Path

from api.retrieval.docprior import DocPrior
from api.retrieval.index import LoadedIndex, load_index
from api.retrieval.outside import OutsideTopics
from api.retrieval.qamemory import QaMemory
from api.retrieval.rerank.stage import CrossEncoderRanker, LearnedRanker, SecondStage
from api.retrieval.retriever import QueryEncoder, Retriever
from api.retrieval.validity import Validities
from api.service.settings import Settings, get_settings
from ingest.embedding.embed import Embedder
from ingest.errors import IndexNotFound, IngestError
from ingest.index import store
from ingest.sources.collections import folder_entries

log = logging.getLogger(__name__)


class IndexHolder:
    """Holds the current retriever and swaps it when ``index/current`` points elsewhere.

    Every worker process polls the link itself, so ``uvicorn --workers N`` needs no
    coordination; a request always sees one complete version.
    """

    def __init__(
        self,
        settings: Settings,
        embedder: QueryEncoder,
        outside: OutsideTopics | None = None,
        memory: QaMemory | None = None,
        second_stage: SecondStage | None = None,
    ) -> None:
        self.settings = settings
        self.embedder = embedder
        self.outside = outside
        self.memory = memory
        self.doc_prior = DocPrior.load()
        self.second_stage = second_stage
        self.retriever: Retriever | None = None
        self._lock = threading.Lock()
        self._refused: set[str] = set()

    def refresh(self) -> bool:
        """Load ``index/current`` if it changed; True when a new version was loaded.

        A version that fails its checks is refused once (logged, never retried); with nothing
        loaded yet, the newest older version that passes is served instead. Callers (the
        watcher, a finished re-index job, a rollback) take turns, so a version loads once.
        """
        with self._lock:
            return self._refresh()

    def _refresh(self) -> bool:
        name = store.current_name(self.settings.index_dir)
        serving = self.retriever.index.version if self.retriever else None
        if name is None or name == serving or name in self._refused:
            return False
        candidates = [name]
        if self.retriever is None:
            candidates += reversed([v for v in store.list_versions(self.settings.index_dir) if v < name])
        for candidate in candidates:
            if candidate in self._refused:
                continue
            try:
                loaded = load_index(self.settings.index_dir / candidate, self.embedder.name)
            except IngestError as exc:
                log.error("index version %s refused: %s", candidate, exc)
                self._refused.add(candidate)
                continue
            self.retriever = make_retriever(
                self.settings, loaded, self.embedder, self.outside,
                self.doc_prior, self.memory, self.second_stage,
            )  # fmt: skip
            log.info("serving index version %s", candidate)
            return True
        return False

    def require(self) -> Retriever:
        if self.retriever is None:
            raise IndexNotFound("no index is loaded yet")
        return self.retriever


def make_retriever(
    settings: Settings,
    loaded: LoadedIndex,
    embedder: QueryEncoder,
    outside: OutsideTopics | None,
    doc_prior: DocPrior | None,
    memory: QaMemory | None,
    second_stage: SecondStage | None,
) -> Retriever:
    return Retriever(
        loaded,
        embedder,
        weights=settings.fusion,
        outside=outside,
        doc_prior=doc_prior,
        memory=memory,
        terms=settings.statutory_terms,
        parties=settings.relation_sides,
        core=core_documents(settings.corpus_dir),  # as it is now: `ingest add` writes there
        second_stage=second_stage,
        validity=Validities(loaded.documents, settings.reviewed_validity),
    )


def open_retriever(settings: Settings | None = None) -> Retriever:
    """A retriever over the current index, as the API builds it (for eval and benchmarks)."""
    settings = settings or get_settings()
    embedder = Embedder.from_settings(settings)
    outside = OutsideTopics.embed(settings.topics, embedder)
    memory = load_memory(settings, embedder)
    holder = IndexHolder(settings, embedder, outside, memory, load_second_stage(settings))
    if not holder.refresh():
        raise IndexNotFound(f"no index in {Path(settings.index_dir)}; run `python -m ingest build`")
    return holder.require()


def load_second_stage(settings: Settings) -> SecondStage | None:
    """The second stage ``settings.rerank`` names (None when it is off)."""
    if settings.rerank == "learned":
        return LearnedRanker.load(settings.rerank_model)
    if settings.rerank == "cross-encoder" and settings.rerank_cross_encoder:  # settings require the name
        return CrossEncoderRanker.load(
            settings.rerank_cross_encoder, settings.rerank_depth, settings.rerank_cross_weight
        )
    return None


def load_memory(settings: Settings, embedder: Embedder) -> QaMemory | None:
    """The earlier questions of ``settings.qa_memory``, embedded by ``embedder`` (cached)."""
    if settings.qa_memory is None:
        return None
    try:
        return QaMemory.load(embedder, settings.model_dir / ".cache", settings.qa_memory)
    except (OSError, ValueError, KeyError) as exc:
        raise IngestError(f"cannot read VNLAW_QA_MEMORY {settings.qa_memory}: {exc}") from exc


def core_documents(corpus_dir: Path) -> frozenset[str]:
    """The doc_ids of the corpus folder (none when the service runs without one)."""
    try:
        return frozenset(e.doc_id for e in folder_entries(corpus_dir))
    except IngestError:
        return frozenset()
