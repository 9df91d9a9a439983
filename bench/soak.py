"""`make soak`: the real service under locust for SOAK_MINUTES (default 10) minutes, outside CI.

32 services with an API key (twice the 16 clients of bench/api.py, closed loop, no think time)
send a mix of /ask, /search, streamed /ask and /feedback; one abusive client behind the
(trusted) proxy asks without pause under the default budgets. Prints and writes to
var/soak/report.json: 5xx responses, the abusive client's 429s, the services' latencies by
request, and the service's resident memory at the start, at its peak and at the end.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx

from bench.api import _free_port, _rss_mb

ROOT = Path(__file__).parent.parent
WORK = ROOT / "var" / "soak"
LOCUST = WORK / "venv" / "bin" / "locust"
QUESTIONS = ROOT / "eval" / "dev_qa.jsonl"
SERVICES = 32


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def _wait_ready(base: str, server: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 600
    while True:
        try:
            if httpx.get(f"{base}/readyz", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        if server.poll() is not None or time.monotonic() > deadline:
            raise SystemExit("service did not become ready")
        time.sleep(0.2)


def main() -> None:
    minutes = float(os.environ.get("SOAK_MINUTES", "10"))
    feedback = WORK / "feedback.sqlite3"
    for path in (
        feedback,
        feedback.with_name(feedback.name + "-wal"),
        feedback.with_name(feedback.name + "-shm"),
    ):
        path.unlink(missing_ok=True)
    key = secrets.token_urlsafe(32)
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    env = {
        **os.environ,
        "VNLAW_PORT": str(port),
        "VNLAW_FEEDBACK_DB": str(feedback),
        # locust stands for the reverse proxy: the abusive client's address comes in its header.
        "VNLAW_TRUSTED_PROXIES": "127.0.0.1",
        "VNLAW_API_KEYS": json.dumps(
            [
                {
                    "name": "soak",
                    "key": key,
                    **dict.fromkeys(("ask", "search", "feedback", "stream"), "1000000/minute"),
                }
            ]
        ),
        "VNLAW_MAX_STREAMS_PER_CLIENT": str(SERVICES),
        "OMP_NUM_THREADS": "1",
    }
    log = (WORK / "service.log").open("wb")
    server = subprocess.Popen(
        [sys.executable, "-m", "api"], env=env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT
    )
    rss: list[float] = []
    done = threading.Event()
    try:
        _wait_ready(base, server)
        with httpx.Client(base_url=base, timeout=60, headers={"X-API-Key": key}) as client:
            for line in QUESTIONS.read_text(encoding="utf-8").splitlines()[:5]:  # warm-up
                client.post("/ask", json={"question": json.loads(line)["question"]}).raise_for_status()
        rss.append(_rss_mb(server.pid))

        def sample() -> None:
            while not done.wait(10):
                rss.append(_rss_mb(server.pid))

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        results = WORK / "locust.json"
        results.unlink(missing_ok=True)
        subprocess.run(
            [str(LOCUST), "-f", str(ROOT / "bench" / "locustfile.py"), "--headless", "--host", base,
             "--users", str(SERVICES + 1), "--spawn-rate", str(SERVICES + 1),
             "--run-time", f"{round(minutes * 60)}s", "--stop-timeout", "60", "--only-summary",
             "--loglevel", "WARNING"],
            env={**env, "SOAK_QUESTIONS": str(QUESTIONS), "SOAK_API_KEY": key, "SOAK_RESULTS": str(results)},
            cwd=ROOT,
            check=False,
        )  # fmt: skip
        done.set()
        rss.append(_rss_mb(server.pid))
    finally:
        done.set()
        server.terminate()
        server.wait()
        log.close()
    data = json.loads(results.read_text(encoding="utf-8"))
    statuses: dict[str, int] = data["statuses"]
    report = {
        "minutes": minutes,
        "clients": f"{SERVICES} services with a key + 1 abusive client",
        "requests": statuses,
        "5xx": sum(n for k, n in statuses.items() if k.split()[1].startswith("5")),
        "no response": sum(n for k, n in statuses.items() if k.split()[1] == "0"),
        "abuser 429": statuses.get("abuser 429", 0),
        "abuser served": statuses.get("abuser 200", 0),
        "services not 2xx": sum(n for k, n in statuses.items() if k.startswith("service ") and k[8] != "2"),
        "service latency ms": {
            name: {
                "n": len(v),
                "p50": round(statistics.median(v), 1),
                "p95": round(_percentile(v, 0.95), 1),
                "max": round(max(v), 1),
            }
            for name, v in sorted(data["latencies"].items())
        },
        "rss MB": {"start": round(rss[0]), "peak": round(max(rss)), "end": round(rss[-1])},
    }
    (WORK / "report.json").write_text(json.dumps(report, indent=1, ensure_ascii=False), encoding="utf-8")
    print(json.dumps(report, indent=1, ensure_ascii=False))
    if report["5xx"] or report["no response"] or not report["abuser 429"]:
        raise SystemExit("soak failed: 5xx or dropped responses, or the abusive client was never limited")


if __name__ == "__main__":
    if shutil.which(str(LOCUST)) is None:
        raise SystemExit(f"{LOCUST} is missing: run `make soak`, which installs it")
    WORK.mkdir(parents=True, exist_ok=True)
    main()
