"""Questions asked before, and the articles their published answers cite: the train half of
the weak Q&A pairs. A new question's nearest earlier questions vote for those articles.

Citizens name an offence or a right the way they speak ("bị sa thải", "sổ đỏ"); earlier
answers say which article that is. A soft prior in fusion, like ``api.retrieval.docprior`` for whole
documents: the votes only add to articles that retrieval ranks anyway. The questions and
their citations are built by ``python -m api.retrieval.qamemory QA.jsonl`` into ``qa_memory.json``
next to this file; their vectors depend on the embedding model, so they are computed on first
use and cached beside the model (a few seconds).
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Protocol

import numpy as np
import typer

from ingest.embedding.embed import Vectors
from ingest.sources.weakpairs import train_pairs
from ingest.text.normalize import normalize_query

MEMORY_FILE = Path(__file__).parent / "data" / "qa_memory.json"
FORMAT = 1
log = logging.getLogger(__name__)

Article = tuple[str, str]  # doc_id, article number


class Encoder(Protocol):
    name: str

    def queries(self, texts: Sequence[str]) -> Vectors: ...


@dataclass(frozen=True)
class QaMemory:
    questions: list[str]
    cited: list[tuple[Article, ...]]  # per question, the articles its answer cites, in order
    vectors: Vectors  # the questions embedded as queries, one row each
    # Chosen on the train half's questions against the held-out half on both indexes (README):
    # ten neighbours, each weighted by exp((cosine - best) / 0.02), so a question nearly the
    # same as the best outweighs one 0.05 further.
    neighbours: int = 10
    temperature: float = 0.02

    def nearest(self, vector: Vectors) -> list[tuple[float, tuple[Article, ...]]]:
        """The nearest questions' weights (1 for the nearest) and the articles each cites."""
        if not len(self.questions):
            return []
        sims = self.vectors @ vector
        k = min(self.neighbours, len(sims))
        nearest = np.argpartition(-sims, k - 1)[:k]
        best = float(sims[nearest].max())
        return [(float(np.exp((sims[i] - best) / self.temperature)), self.cited[i]) for i in nearest]

    @classmethod
    def load(cls, embedder: Encoder, cache_dir: Path, path: Path = MEMORY_FILE) -> QaMemory:
        data = json.loads(path.read_text(encoding="utf-8"))
        if data.get("format") != FORMAT:
            raise ValueError(f"{path}: format {data.get('format')}, expected {FORMAT}")
        questions = [q for q, _ in data["questions"]]
        cited = [tuple((d, a) for d, a in (c.split(":", 1) for c in cites)) for _, cites in data["questions"]]
        return cls(questions, cited, _vectors(questions, embedder, cache_dir))


def _vectors(questions: Sequence[str], embedder: Encoder, cache_dir: Path) -> Vectors:
    """The questions' vectors under ``embedder``, from the cache when these questions were
    embedded by this model before (float16 on disk: 1.8 MB for 2,393 questions)."""
    key = hashlib.sha256("\n".join([embedder.name, *questions]).encode("utf-8")).hexdigest()[:16]
    cached = cache_dir / f"qa_memory-{key}.npy"
    if cached.is_file():
        stored: Vectors = np.load(cached).astype(np.float32)
        return stored
    log.info("embedding %d earlier questions for %s (once)", len(questions), embedder.name)
    vectors = embedder.queries([normalize_query(q) for q in questions])
    cache_dir.mkdir(parents=True, exist_ok=True)
    tmp = cached.with_suffix(".tmp.npy")
    np.save(tmp, vectors.astype(np.float16))
    tmp.replace(cached)  # workers starting together each write whole files
    return np.asarray(vectors, dtype=np.float32)


app = typer.Typer(add_completion=False)


@app.command()
def main(
    file: Annotated[Path, typer.Argument(help="Weak Q&A pairs (qa_pairs_weak.jsonl)")],
    out: Annotated[Path, typer.Option(help="Where to write the memory.")] = MEMORY_FILE,
) -> None:
    """Keep the train half's questions with the articles their answers cite."""
    pairs = train_pairs(file)
    rows = [[p.question, list(dict.fromkeys(f"{c.doc_id}:{c.article}" for c in p.cited))] for p in pairs]
    text = json.dumps({"format": FORMAT, "questions": rows}, ensure_ascii=False, separators=(",", ":"))
    out.write_text(text.replace('],["', '],\n["') + "\n", encoding="utf-8")
    print(f"{out}: {len(rows)} train questions citing {len({c for _, cs in rows for c in cs})} articles")


if __name__ == "__main__":
    app()
