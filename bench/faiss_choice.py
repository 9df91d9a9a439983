"""Which FAISS index for the dense channel: recall against exact search, latency, build time.

``python -m bench.faiss_choice INDEX_VERSION_DIR`` reads that version's vectors and embeds the
development and held-out weak-pair questions as the service does. Recall@100 is the share of
an index's top 100 whose exact scores reach the exact 100th best (equal copies count alike).
The service asks for its top ``candidates`` (200), which is timed. One thread, as a request
gets in the service.
"""

from __future__ import annotations

import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

import faiss
import numpy as np

from api.retrieval.fusion import FusionWeights
from ingest.embedding.embed import Embedder
from ingest.settings import get_settings
from ingest.sources.jsonl import read_jsonl

ROOT = Path(__file__).parent.parent
QUESTION_SETS = [ROOT / "eval" / "dev_qa.jsonl", ROOT.parent / "shared" / "eval" / "qa_pairs_weak.jsonl"]
MAX_QUESTIONS = 600


def _questions() -> list[str]:
    found: list[str] = []
    for path in QUESTION_SETS:
        if path.is_file():
            found += read_jsonl(path, lambda _, row: str(row["question"]))
    return found[:MAX_QUESTIONS]


def _ivf(dim: int) -> faiss.Index:
    return faiss.IndexIVFFlat(faiss.IndexFlatIP(dim), dim, 1024, faiss.METRIC_INNER_PRODUCT)


def _hnsw(dim: int) -> faiss.Index:
    index = faiss.IndexHNSWFlat(dim, 32, faiss.METRIC_INNER_PRODUCT)
    index.hnsw.efConstruction = 80
    return index


def _sq(kind: int) -> Callable[[int], faiss.Index]:
    return lambda dim: faiss.IndexScalarQuantizer(dim, kind, faiss.METRIC_INNER_PRODUCT)


def _set(name: str, value: int) -> Callable[[faiss.Index], None]:
    return lambda index: faiss.ParameterSpace().set_index_parameter(index, name, value)


# Each built once, then searched with each of its settings.
CANDIDATES: dict[str, tuple[Callable[[int], faiss.Index], dict[str, Callable[[faiss.Index], None]]]] = {
    "Flat": (faiss.IndexFlatIP, {"(exact)": lambda _: None}),
    "SQfp16": (_sq(faiss.ScalarQuantizer.QT_fp16), {"(fp16 flat)": lambda _: None}),
    "SQ8": (_sq(faiss.ScalarQuantizer.QT_8bit), {"(int8 flat)": lambda _: None}),
    "IVF1024,Flat": (_ivf, {f"nprobe {n}": _set("nprobe", n) for n in (32, 128)}),
    "HNSW32": (_hnsw, {f"efSearch {n}": _set("efSearch", n) for n in (256, 1024)}),
}


def main(version: Path) -> None:
    vectors = np.load(version / "vectors.npy")
    embedder = Embedder.from_settings(get_settings())
    queries = embedder.queries(_questions())
    k = FusionWeights().candidates
    faiss.omp_set_num_threads(1)
    print(f"{len(vectors):,} vectors, {len(queries)} questions; recall@100 against exact, one thread")
    print(f"{'index':26} {'build s':>8} {'MB':>6} {'recall@100':>10} {f'p50 ms (top {k})':>16} {'p95 ms':>7}")
    truth = faiss.IndexFlatIP(vectors.shape[1])
    truth.add(vectors)
    kth = truth.search(queries, 100)[0][:, -1]  # the exact 100th best score of each question
    for name, (make, settings) in CANDIDATES.items():
        faiss.omp_set_num_threads(2)  # building may use both cores; searching is timed on one
        start = time.perf_counter()
        index = make(vectors.shape[1])
        if not index.is_trained:
            index.train(vectors)
        index.add(vectors)
        built = time.perf_counter() - start
        size = faiss.serialize_index(index).nbytes / 1e6
        faiss.omp_set_num_threads(1)
        for setting, apply in settings.items():
            apply(index)
            _, top = index.search(queries, 100)
            # Tie-aware: many clauses recur word for word across documents, and which copy an
            # index returns does not matter; a result counts when its exact score reaches the
            # exact 100th score.
            found = np.einsum("qd,qkd->qk", queries, vectors[np.maximum(top, 0)]) >= kth[:, None] - 1e-6
            recall = float(np.mean(found & (top >= 0)))
            times = []
            for query in queries:
                t0 = time.perf_counter()
                index.search(query[None, :], k)
                times.append((time.perf_counter() - t0) * 1000)
            times.sort()
            p50, p95 = statistics.median(times), times[int(0.95 * (len(times) - 1))]
            label = f"{name} {setting}"
            print(f"{label:26} {built:8.1f} {size:6.0f} {recall:10.4f} {p50:16.2f} {p95:7.2f}", flush=True)


if __name__ == "__main__":
    if len(sys.argv) != 2 or not (Path(sys.argv[1]) / "vectors.npy").is_file():
        raise SystemExit("usage: python -m bench.faiss_choice INDEX_VERSION_DIR (a folder with vectors.npy)")
    main(Path(sys.argv[1]))
