"""Tokens and vectors of documents a build has finished, kept until the build completes.

A national build embeds for tens of minutes; a build that is killed (or fails on a later
document) starts the next one from the documents it already finished instead of from zero.
Entries are keyed by the document's content hash (which covers the pipeline version) under a
folder per embedding model, so a changed document or another model never reuses them. A
completed build clears the cache: from then on the index version itself holds the vectors
that incremental builds reuse.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from pathlib import Path

import numpy as np

from ingest.embedding.embed import Vectors

CACHE_DIR = ".cache"


class BuildCache:
    def __init__(self, index_dir: Path, model: str) -> None:
        self.root = index_dir / CACHE_DIR
        self.dir = self.root / hashlib.sha256(model.encode()).hexdigest()[:16]

    def get(self, content_hash: str) -> tuple[list[list[str]], Vectors] | None:
        path = self.dir / f"{content_hash}.npz"
        try:
            with np.load(path) as data:
                tokens: list[list[str]] = json.loads(str(data["tokens"]))
                vectors = np.ascontiguousarray(data["vectors"], dtype=np.float32)
        except (OSError, ValueError, KeyError):  # absent, or torn by a kill mid-write
            return None
        return (tokens, vectors) if len(tokens) == len(vectors) else None

    def put(self, content_hash: str, tokens: list[list[str]], vectors: Vectors) -> None:
        self.dir.mkdir(parents=True, exist_ok=True)
        tmp = self.dir / f".{content_hash}.{os.getpid()}.tmp"
        with tmp.open("wb") as fh:  # a file object: np.savez would append ".npz" to a path
            np.savez(fh, tokens=np.array(json.dumps(tokens, ensure_ascii=False)), vectors=vectors)
        tmp.replace(self.dir / f"{content_hash}.npz")  # atomic: a reader sees all of it or nothing

    def __len__(self) -> int:
        return len(list(self.dir.glob("*.npz"))) if self.dir.is_dir() else 0

    def clear(self) -> None:
        shutil.rmtree(self.root, ignore_errors=True)
