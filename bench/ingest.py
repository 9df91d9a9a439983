"""Ingest figures on the bundled corpus: cold full build, no-op rebuild, one-document add.

Run with ``make bench``; builds into a temporary index folder, never touching ``index/``.
"""

from __future__ import annotations

import shutil
import tempfile
import time
from pathlib import Path

from ingest.embedding.embed import Embedder
from ingest.index.build import build
from ingest.settings import IngestSettings, get_settings

ADDED = """Điều 1. Phạm vi điều chỉnh
Văn bản thử nghiệm này quy định về việc đo thời gian thêm một văn bản nhỏ vào chỉ mục.
Điều 2. Hiệu lực
Văn bản có hiệu lực kể từ ngày ký.
"""


def main() -> None:
    base = get_settings()
    with tempfile.TemporaryDirectory(prefix="vnlaw-bench-") as tmp:
        corpus = Path(tmp) / "corpus"
        shutil.copytree(base.corpus_dir, corpus)
        settings = IngestSettings(
            **{**base.model_dump(), "corpus_dir": corpus, "index_dir": Path(tmp) / "index"}
        )
        t0 = time.perf_counter()
        embedder = Embedder.from_settings(settings)
        load = time.perf_counter() - t0

        cold = build(settings, embedder_factory=lambda: embedder)
        total = cold.seconds + load
        print(f"cold full build: {total:.1f} s (model load {load:.1f} s) for {cold.units} units, "
              f"{cold.searchable} searchable; {cold.searchable / total:.0f} searchable units/s")  # fmt: skip
        print("  stages: " + ", ".join(f"{k} {v:.1f} s" for k, v in cold.timings.items()))

        noop = build(settings, embedder_factory=lambda: embedder)
        assert noop.noop
        print(f"no-op rebuild: {noop.seconds:.2f} s")

        (corpus / "bench-them-van-ban.txt").write_text(ADDED, encoding="utf-8")
        added = build(settings, embedder_factory=lambda: embedder)
        print(f"add one small document and rebuild: {added.seconds:.1f} s ({added.embedded} units embedded)")


if __name__ == "__main__":
    main()
