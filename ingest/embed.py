"""Dense embeddings through sentence-transformers, normalised for inner-product search."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import numpy.typing as npt

from .e5model import load_model, prefixes

Vectors = npt.NDArray[np.float32]


class Embedder:
    """One loaded model, with the query/passage prefixes its training expects."""

    def __init__(self, name: str, cache_dir: Path, batch_size: int = 32) -> None:
        self.name = name
        self.batch_size = batch_size
        self.model = load_model(name, cache_dir)
        self.query_prefix, self.passage_prefix = prefixes(name)
        dim = self.model.get_embedding_dimension()
        if dim is None:
            raise ValueError(f"model {name} does not report its embedding dimension")
        self.dim = int(dim)

    def passages(self, texts: Sequence[str], progress: bool = False) -> Vectors:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        return self._encode([self.passage_prefix + t for t in texts], progress)

    def query(self, text: str) -> Vectors:
        vector: Vectors = self._encode([self.query_prefix + text], False)[0]
        return vector

    def _encode(self, texts: list[str], progress: bool) -> Vectors:
        vectors = self.model.encode(
            texts,
            batch_size=self.batch_size,
            show_progress_bar=progress,
            convert_to_numpy=True,
            normalize_embeddings=True,
        )
        return np.ascontiguousarray(vectors, dtype=np.float32)
