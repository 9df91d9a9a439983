"""Service figures against a live uvicorn on the current index: time to ready, /ask latency
(sequential p50/p95), throughput with 16 concurrent clients, and resident memory.

Run with ``make bench`` after ``make index``; questions come from eval/dev_qa.jsonl.
"""

from __future__ import annotations

import asyncio
import json
import os
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path

import httpx

QUESTIONS = Path(__file__).parent.parent / "eval" / "dev_qa.jsonl"
CONCURRENCY = 16


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


async def _concurrent(base: str, questions: list[str], total: int) -> float:
    async with httpx.AsyncClient(base_url=base, timeout=60) as client:
        queue = iter(range(total))

        async def worker() -> None:
            for i in queue:
                r = await client.post("/ask", json={"question": questions[i % len(questions)]})
                r.raise_for_status()

        start = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(CONCURRENCY)))
        return total / (time.perf_counter() - start)


def main() -> None:
    questions = [json.loads(line)["question"] for line in QUESTIONS.read_text(encoding="utf-8").splitlines()]
    port = _free_port()
    # Limits off: 16 clients on one address would spend a person's budget in seconds.
    env = {**os.environ, "VNLAW_PORT": str(port), "VNLAW_LIMITS__ENABLED": "false"}
    start = time.perf_counter()
    server = subprocess.Popen(
        [sys.executable, "-m", "api"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    base = f"http://127.0.0.1:{port}"
    try:
        while True:
            try:
                if httpx.get(f"{base}/readyz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if server.poll() is not None or time.perf_counter() - start > 600:
                raise SystemExit("service did not become ready")
            time.sleep(0.1)
        ready = time.perf_counter() - start
        print(f"ready in {ready:.1f} s")
        with httpx.Client(base_url=base, timeout=60) as client:
            for q in questions[:5]:  # warm-up
                client.post("/ask", json={"question": q})
            latencies = []
            for q in questions:
                t0 = time.perf_counter()
                client.post("/ask", json={"question": q}).raise_for_status()
                latencies.append((time.perf_counter() - t0) * 1000)
        latencies.sort()
        p95 = latencies[int(0.95 * (len(latencies) - 1))]
        print(f"/ask sequential over {len(latencies)} questions: p50 {statistics.median(latencies):.1f} ms, "
              f"p95 {p95:.1f} ms")  # fmt: skip
        rate = asyncio.run(_concurrent(base, questions, 4 * len(questions)))
        print(f"/ask with {CONCURRENCY} concurrent clients: {rate:.1f} answers/s")
        print(f"service RSS: {_rss_mb(server.pid):.0f} MB")
    finally:
        server.terminate()
        server.wait()


if __name__ == "__main__":
    main()
