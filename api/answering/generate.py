"""Generative answers through an OpenAI-compatible chat endpoint.

Passages go into the prompt as delimited, numbered data; the reply is checked afterwards
(``api.answering.grounding``). A time-out, an HTTP error or a malformed body fails the generation and the
caller falls back to the extractive answer.
"""

from __future__ import annotations

import json
import logging
import re
import time
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import httpx
import jinja2

from api.retrieval.retriever import Hit

log = logging.getLogger(__name__)

PROMPTS = Path(__file__).parents[2] / "prompts"
REFUSAL = "KHONG_DU_CAN_CU"
# Text inside a passage or question must not be able to close its delimiter.
_DELIMITER = re.compile(r"<<<|>>>")


@dataclass(frozen=True)
class LLMConfig:
    base_url: str
    model: str
    api_key: str | None = None
    timeout: float = 20.0
    max_tokens: int = 600


@cache
def _env() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(PROMPTS), undefined=jinja2.StrictUndefined, keep_trailing_newline=True
    )


@cache
def prompt_version() -> str:
    version: str = json.loads((PROMPTS / "manifest.json").read_text(encoding="utf-8"))["version"]
    return version


def _clean(text: str) -> str:
    return _DELIMITER.sub("", text)


def answer_messages(question: str, hits: list[Hit]) -> list[dict[str, str]]:
    passages = [
        {"label": _clean(h.unit.label), "heading": _clean(h.unit.heading), "text": _clean(h.unit.text)}
        for h in hits
    ]
    return [
        {"role": "system", "content": _env().get_template("system.j2").render()},
        {
            "role": "user",
            "content": _env().get_template("answer.j2").render(passages=passages, question=_clean(question)),
        },
    ]


def rewrite_messages(question: str, history: list[tuple[str, str]]) -> list[dict[str, str]]:
    turns = [{"role": role, "content": _clean(text)} for role, text in history]
    content = _env().get_template("rewrite.j2").render(history=turns, question=_clean(question))
    return [{"role": "user", "content": content}]


def _request(config: LLMConfig, messages: list[dict[str, str]], stream: bool) -> dict[str, Any]:
    """Keyword arguments of an httpx call to the chat completions endpoint."""
    body = {"model": config.model, "messages": messages, "temperature": 0,
            "max_tokens": config.max_tokens, "stream": stream}  # fmt: skip
    return {
        "url": config.base_url.rstrip("/") + "/chat/completions",
        "json": body,
        "headers": {"Authorization": f"Bearer {config.api_key}"} if config.api_key else {},
        "timeout": config.timeout,
    }


def chat(config: LLMConfig, messages: list[dict[str, str]]) -> str | None:
    """The model's reply, or None on any failure (logged)."""
    try:
        response = httpx.post(**_request(config, messages, stream=False))
        response.raise_for_status()
        content = response.json()["choices"][0]["message"]["content"]
    except (httpx.HTTPError, ValueError, KeyError, IndexError, TypeError) as exc:
        log.warning("generator failed (%s): %s", type(exc).__name__, exc)
        return None
    return content if isinstance(content, str) and content.strip() else None


class GeneratorFailed(Exception):
    """The model's stream broke off, timed out or was malformed."""


def stream_chat(config: LLMConfig, messages: list[dict[str, str]]) -> Iterator[str]:
    """The reply as the model produces it. Closing the iterator (a client that went away)
    closes the upstream connection, which stops the generation."""
    deadline = time.monotonic() + config.timeout
    try:
        with httpx.stream("POST", **_request(config, messages, stream=True)) as response:
            response.raise_for_status()
            for line in response.iter_lines():
                if time.monotonic() > deadline:
                    raise GeneratorFailed(f"no complete reply within {config.timeout} s")
                if not line.startswith("data:"):
                    continue
                data = line[5:].strip()
                if data == "[DONE]":
                    return
                piece = json.loads(data)["choices"][0].get("delta", {}).get("content")
                if isinstance(piece, str) and piece:
                    yield piece
    except (httpx.HTTPError, ValueError, KeyError, IndexError, TypeError, AttributeError) as exc:
        raise GeneratorFailed(f"{type(exc).__name__}: {exc}") from exc


def rewrite(config: LLMConfig, question: str, history: list[tuple[str, str]]) -> str | None:
    reply = chat(config, rewrite_messages(question, history))
    if reply is None:
        return None
    line = reply.strip().splitlines()[0].strip()
    return line if 0 < len(line) <= 2000 else None
