"""Dense embeddings, normalised for inner-product search."""

from __future__ import annotations

import copy
import warnings
from collections.abc import Callable, Sequence
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from ingest.embedding.e5model import load_model, onnx_model_dir, prefixes
from ingest.embedding.onnxrt import OnnxEncoder, Vectors
from ingest.embedding.threads import cpu_budget
from ingest.settings import IngestSettings, Runtime

if TYPE_CHECKING:
    from sentence_transformers import SentenceTransformer

__all__ = ["Embedder", "Vectors", "model_id"]


def model_id(name: str, runtime: Runtime, bf16: bool, max_tokens: int) -> str:
    """How a model is recorded in an index manifest: document vectors differ with these
    settings (how questions are embedded does not change the index)."""
    if runtime == "onnx-int8":
        return f"{name} (onnx int8, {max_tokens} tokens)"
    return f"{name} (bf16, {max_tokens} tokens)" if bf16 else f"{name} ({max_tokens} tokens)"


class Embedder:
    """One loaded model, with the query/passage prefixes its training expects.

    The default runtime is ONNX Runtime with int8 weights (ingest/embedding/onnxrt.py), 2x torch's
    bfloat16 on 2 cores, for documents and questions alike. ``torch`` runs the model as
    sentence-transformers loads it, e.g. a hub model: documents in bfloat16 if asked (fp32's
    vectors, cosine 0.99999, 1.6x faster) and questions with dynamic int8 (2x faster again).
    """

    def __init__(
        self,
        name: str,
        cache_dir: Path,
        batch_size: int = 4,
        runtime: Runtime = "onnx-int8",
        bf16: bool = False,
        query_int8: bool = False,
        max_tokens: int = 256,
    ) -> None:
        self.name = model_id(name, runtime, bf16, max_tokens)
        self.query_prefix, self.passage_prefix = prefixes(name)
        self._passages: Callable[[list[str]], Vectors]
        self._queries: Callable[[list[str]], Vectors]
        if runtime == "onnx-int8":
            encoder = OnnxEncoder(onnx_model_dir(name, cache_dir), max_tokens, cpu_budget())
            self._passages = self._queries = partial(encoder.encode, batch_size=batch_size)
            self.dim = encoder.dim
            return
        model = load_model(name, cache_dir)
        model.max_seq_length = max_tokens
        query_model = _quantized_copy(model) if query_int8 else model
        self._passages = partial(_encode, model, batch_size=batch_size, bf16=bf16)
        self._queries = partial(_encode, query_model, batch_size=batch_size, bf16=False)
        dim = model.get_embedding_dimension()
        if dim is None:
            raise ValueError(f"model {name} does not report its embedding dimension")
        self.dim = int(dim)

    @classmethod
    def from_settings(cls, settings: IngestSettings) -> Embedder:
        return cls(
            settings.embedding_model,
            settings.model_dir,
            settings.embed_batch_size,
            settings.embed_runtime,
            settings.embed_bf16,
            settings.embed_query_int8,
            settings.embed_max_tokens,
        )

    def passages(self, texts: Sequence[str]) -> Vectors:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        return self._passages([self.passage_prefix + t for t in texts])

    def query(self, text: str) -> Vectors:
        vector: Vectors = self.queries([text])[0]
        return vector

    def queries(self, texts: Sequence[str]) -> Vectors:
        return self._queries([self.query_prefix + t for t in texts])


def _encode(model: SentenceTransformer, texts: list[str], batch_size: int, bf16: bool) -> Vectors:
    import torch

    with torch.autocast("cpu", dtype=torch.bfloat16, enabled=bf16):
        vectors = model.encode(
            texts,
            batch_size=batch_size,
            show_progress_bar=False,
            convert_to_numpy=True,
            normalize_embeddings=True,
        )
    return np.ascontiguousarray(vectors, dtype=np.float32)


def _quantized_copy(model: SentenceTransformer) -> SentenceTransformer:
    """A copy with int8 weights for every Linear layer, activations quantised on the fly.

    The copy shares the token embedding tables (most of the model's memory, never quantised),
    so holding both precisions costs only the small int8 encoder layers.
    """
    import torch

    shared = {id(p): p for name, p in model.named_parameters() if ".embeddings." in name}
    with warnings.catch_warnings():
        # torch.ao's eager quantisation warns that it moves to torchao; it still works.
        warnings.simplefilter("ignore")
        quantized: SentenceTransformer = torch.ao.quantization.quantize_dynamic(  # type: ignore[no-untyped-call]
            copy.deepcopy(model, shared), {torch.nn.Linear}, dtype=torch.qint8, inplace=True
        )
    return quantized
