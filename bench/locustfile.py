"""The soak's clients (``make soak``, run by bench/soak.py): services with an API key asking,
searching, streaming and rating without pause, and one abusive client with none.

Runs in locust's own venv (var/soak/venv): nothing here imports the project.
"""

from __future__ import annotations

import json
import os
import random
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

from locust import HttpUser, constant, events, task

QUESTIONS = [
    json.loads(line)["question"]
    for line in Path(os.environ["SOAK_QUESTIONS"]).read_text(encoding="utf-8").splitlines()
    if line.strip()
]
KEY = os.environ["SOAK_API_KEY"]
ABUSER = "203.0.113.66"  # the address the reverse proxy (locust, trusted) reports for it

statuses: Counter[str] = Counter()  # "service 200", "abuser 429", ...
latencies: defaultdict[str, list[float]] = defaultdict(list)  # the services' ms, by request name


@events.request.add_listener
def _record(name: str, response_time: float, response: Any, context: dict[str, str], **_: Any) -> None:
    who = context.get("who", "?")
    code = getattr(response, "status_code", 0) or 0  # 0: no response (connection error)
    statuses[f"{who} {code}"] += 1
    if who == "service":
        latencies[name].append(response_time)


@events.test_stop.add_listener
def _write(**_: Any) -> None:
    Path(os.environ["SOAK_RESULTS"]).write_text(
        json.dumps({"statuses": statuses, "latencies": latencies}), encoding="utf-8"
    )


class Service(HttpUser):
    """A service calling the API directly: closed loop, no think time, its own key."""

    wait_time = constant(0)

    def on_start(self) -> None:
        self.client.headers["X-API-Key"] = KEY

    def context(self) -> dict[str, str]:
        return {"who": "service"}

    @task(5)
    def ask(self) -> None:
        self.client.post("/ask", json={"question": random.choice(QUESTIONS)}, name="ask")

    @task(3)
    def search(self) -> None:
        self.client.post("/search", json={"query": random.choice(QUESTIONS), "top_k": 5}, name="search")

    @task(2)
    def stream(self) -> None:
        question = {"question": random.choice(QUESTIONS), "stream": True}
        with self.client.post("/ask", json=question, name="stream", stream=True, catch_response=True) as r:
            body = r.content.decode()
            if r.status_code == 200 and "event: done" not in body:
                r.failure("stream ended without its done event")

    @task(1)
    def feedback(self) -> None:
        rating = {
            "question": random.choice(QUESTIONS),
            "answer": "Theo quy định: … [1]",
            "citations": [],
            "rating": random.choice(["up", "down"]),
            "comment": "góp ý thử tải",
        }
        self.client.post("/feedback", json=rating, name="feedback")


class Abuser(HttpUser):
    """One client behind the proxy asking as fast as it can, whatever it is told."""

    fixed_count = 1
    wait_time = constant(0)

    def on_start(self) -> None:
        self.client.headers["X-Forwarded-For"] = ABUSER

    def context(self) -> dict[str, str]:
        return {"who": "abuser"}

    @task
    def ask(self) -> None:
        with self.client.post(
            "/ask", json={"question": random.choice(QUESTIONS)}, name="abuser ask", catch_response=True
        ) as r:
            if r.status_code == 429:
                r.success()  # refused as it should be: not a failure of the service
