"""Figures for the national collection: a full build (time, units/s, peak memory, size), then
the service and the development sets against that index.

The index is built into var/bench/national with the collection of ``COLLECTIONS``. A build
takes ~40 min on 2 cores, so a later run whose corpus, collection and model are unchanged
finds the index up to date and prints the figures recorded when it was built (with their
date); delete var/bench to measure the build again. Never run it beside another CPU-heavy job.
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).parent.parent
WEAK_PAIRS = ROOT.parent / "shared" / "eval" / "qa_pairs_weak.jsonl"
WORK = ROOT / "var" / "bench" / "national"
RECORD = WORK / "build.json"


def main() -> None:
    collections = os.environ.get("COLLECTIONS", "corpus/collections/national.zip")
    env = {**os.environ, "VNLAW_INDEX_DIR": str(WORK / "index"), "VNLAW_COLLECTIONS": collections}
    record = _build(env)
    print(
        f"national build ({record['built_at']}): {record['seconds'] / 60:.1f} min for "
        f"{record['searchable']:,} searchable units of {record['documents']:,} documents, "
        f"{record['searchable'] / record['seconds']:.0f} units/s; peak memory {record['peak_rss_mb']:,.0f} MB"
    )
    version = WORK / "index" / "current"
    size = sum(p.stat().st_size for p in version.resolve().rglob("*") if p.is_file())
    print(f"national index size: {size / 1e6:,.0f} MB")
    for command in (
        ["bench.faiss_choice", str(version)],
        ["bench.api"],
        ["api.eval", "eval/dev_qa.jsonl", "--summary"],
        ["api.eval", str(WEAK_PAIRS), "--split", "heldout", "--summary"],
        ["api.calibrate", "--answerable", "eval/dev_qa.jsonl", "--answerable", "eval/answerable_extra.jsonl",
         "--answerable", str(WEAK_PAIRS), "--out-of-corpus", "eval/out_of_national.jsonl"],
    ):  # fmt: skip
        print(f"$ python -m {' '.join(command)}", flush=True)
        # One torch thread per request, as `make run` serves.
        subprocess.run(
            [sys.executable, "-m", *command], env={**env, "OMP_NUM_THREADS": "1"}, cwd=ROOT, check=True
        )


def _build(env: dict[str, str]) -> dict[str, float | str]:
    WORK.mkdir(parents=True, exist_ok=True)
    start = time.perf_counter()
    log = []
    with subprocess.Popen(
        [sys.executable, "-m", "ingest", "build"], env=env, cwd=ROOT, stderr=subprocess.PIPE, text=True
    ) as build:
        assert build.stderr is not None
        for line in build.stderr:  # progress with ETA, passed on as it comes
            sys.stderr.write(line)
            log.append(line)
    if build.returncode:
        raise SystemExit(f"the national build failed (exit {build.returncode})")
    seconds = time.perf_counter() - start
    if any("index is up to date" in line for line in log) and RECORD.is_file():
        recorded: dict[str, float | str] = json.loads(RECORD.read_text(encoding="utf-8"))
        return recorded
    manifest = json.loads((WORK / "index" / "current" / "manifest.json").read_text(encoding="utf-8"))
    record: dict[str, float | str] = {
        "built_at": manifest["built_at"],
        "seconds": seconds,
        "documents": manifest["counts"]["documents"],
        "searchable": manifest["counts"]["searchable"],
        # ru_maxrss of children is the peak of the largest one, in KiB on Linux.
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024,
    }
    RECORD.write_text(json.dumps(record, indent=1), encoding="utf-8")
    return record


if __name__ == "__main__":
    main()
