"""The version a build starts from: the current version's units, tokens and vectors, which
unchanged documents reuse, and whether it was built by the settings' model in today's format.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ingest.embedding.embed import Vectors, model_id
from ingest.errors import IndexCorrupt
from ingest.index import store
from ingest.settings import IngestSettings
from ingest.structure.conditions import CONDITIONS_VERSION, figure_kinds, read_conditions


@dataclass
class Previous:
    path: Path
    manifest: dict[str, Any]
    units: dict[str, list[dict[str, Any]]]
    tokens: dict[str, list[list[str]]]
    vectors: dict[str, Vectors]


def load_previous(index_dir: Path, model: str) -> Previous | None:
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
    return Previous(info.path, info.manifest, units, tokens, vectors)


def up_to_date(manifest: dict[str, Any], model: str) -> bool:
    """Whether a version needs no rewrite apart from its documents: built by ``model``, in
    today's format, its conditions read by today's rules."""
    return (
        manifest.get("model", {}).get("name") == model
        and manifest.get("format_version") == store.FORMAT_VERSION
        and manifest.get("conditions_version") == CONDITIONS_VERSION
    )


def model_of(settings: IngestSettings) -> str:
    """The model an index built with these settings records in its manifest."""
    return model_id(
        settings.embedding_model, settings.embed_runtime, settings.embed_bf16, settings.embed_max_tokens
    )
