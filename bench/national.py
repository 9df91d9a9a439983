"""Figures for the national collection: a full build (time, units/s, peak memory, size), then
the service and the development sets against that index.

The index is built into var/bench/national with the collection of ``COLLECTIONS``. A build
from scratch takes ~42 min on 2 cores, so later runs only update the index (a no-op while
corpus, collection and model are unchanged) and print the figures recorded when it was built
from scratch (with their date); delete var/bench/national to measure the build again. Never
run it beside another CPU-heavy job.
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
        ["api.eval.calibrate", "--answerable", "eval/dev_qa.jsonl",
         "--answerable", "eval/answerable_extra.jsonl",
         "--answerable", str(WEAK_PAIRS), "--out-of-corpus", "eval/out_of_national.jsonl",
         "--out-of-corpus", "eval/out_of_national_2.jsonl",
         "--out-of-corpus", "eval/out_of_national_3.jsonl"],
    ):  # fmt: skip
        print(f"$ python -m {' '.join(command)}", flush=True)
        # One thread per request, as `make run` serves.
        subprocess.run(
            [sys.executable, "-m", *command], env={**env, "OMP_NUM_THREADS": "1"}, cwd=ROOT, check=True
        )


def _build(env: dict[str, str]) -> dict[str, float | str]:
    """Build (or update) the index; the figures of the last build from scratch."""
    WORK.mkdir(parents=True, exist_ok=True)
    from_scratch = not (WORK / "index" / "current").exists()
    start = time.perf_counter()
    with subprocess.Popen(
        [sys.executable, "-m", "ingest", "build"], env=env, cwd=ROOT, stderr=subprocess.PIPE, text=True
    ) as build:
        assert build.stderr is not None
        for line in build.stderr:  # progress with ETA, passed on as it comes
            sys.stderr.write(line)
    if build.returncode:
        raise SystemExit(f"the national build failed (exit {build.returncode})")
    seconds = time.perf_counter() - start
    if not from_scratch:
        # Up to date, or an update of some documents: not what a whole build takes.
        if not RECORD.is_file():
            raise SystemExit(f"no figures of a build from scratch: delete {WORK} and run again")
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
