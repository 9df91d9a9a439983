"""Settings shared by the CLI and the service, read once from ``VNLAW_*`` variables."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from ingest.embedding.e5model import DEFAULT_MODEL

Runtime = Literal["onnx-int8", "torch"]


class IngestSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="VNLAW_", extra="ignore")

    corpus_dir: Path = Path("corpus")
    # Further collections indexed with the corpus folder: folders or .zip archives in the corpus
    # layout, comma-separated (e.g. "corpus/collections/national.zip"). A doc_id must be unique
    # across all of them.
    collections: Annotated[list[Path], NoDecode] = Field(default_factory=list)
    index_dir: Path = Path("index")
    # Exported or downloaded embedding models are kept here, outside any index version.
    model_dir: Path = Path("models")
    embedding_model: str = DEFAULT_MODEL
    embed_batch_size: int = Field(4, ge=1, le=1024)
    # ONNX Runtime with int8 weights embeds 2x faster than torch (ingest/embedding/onnxrt.py, README);
    # "torch" runs any sentence-transformers model, e.g. one from the hub, as it loads.
    embed_runtime: Runtime = "onnx-int8"
    # For the torch runtime only: documents in bfloat16 (fp32's vectors, 1.6x faster on CPUs
    # with AVX-512 BF16), questions with dynamic int8 (2x faster again).
    embed_bf16: bool = True
    embed_query_int8: bool = True
    # Longer passages are cut for the dense side only (BM25 reads everything); 256 covers
    # ~98% of units whole and halves the cost of the longest ones.
    embed_max_tokens: int = Field(256, ge=16, le=8192)
    keep_versions: int = Field(5, ge=1, le=100)
    # Builds embed documents in chunks of about this many units; each finished chunk is kept
    # in index/.cache, so a killed build resumes from there (and logs its progress and ETA).
    build_chunk_units: int = Field(2048, ge=1, le=1_000_000)

    @field_validator("collections", mode="before")
    @classmethod
    def _comma_separated(cls, value: object) -> object:
        if isinstance(value, str):
            return [Path(part.strip()) for part in value.split(",") if part.strip()]
        return value


@lru_cache(maxsize=1)
def get_settings() -> IngestSettings:
    return IngestSettings()
