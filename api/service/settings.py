"""Service settings: the ingest settings plus what only the HTTP service needs."""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache
from ipaddress import ip_network
from pathlib import Path
from typing import Literal, TypeVar

from pydantic import Field, PrivateAttr, SecretStr, field_validator, model_validator
from pydantic_settings import SettingsConfigDict

from api.answering.answer import Abstention
from api.answering.generate import LLMConfig
from api.retrieval.fusion import FusionWeights
from api.retrieval.outside import DEFAULT_FILE as DEFAULT_OUTSIDE_TOPICS
from api.retrieval.outside import Topic, load_topics
from api.retrieval.parties import DEFAULT_FILE as DEFAULT_PARTIES
from api.retrieval.parties import Parties
from api.retrieval.qamemory import MEMORY_FILE
from api.retrieval.rerank.stage import RANKER_FILE
from api.retrieval.reviewed import DEFAULT_NAME as VALIDITY_TABLE_NAME
from api.retrieval.reviewed import ReviewedTable
from api.retrieval.terms import DEFAULT_FILE as DEFAULT_TERMS
from api.retrieval.terms import Terms
from api.service.budgets import ApiKey, RateLimits
from ingest.settings import IngestSettings

_T = TypeVar("_T")


def _read(setting: str, path: Path | None, load: Callable[[Path], _T], empty: _T) -> _T:
    """A hand-written list the settings name (``empty`` when unset); an unreadable file is a
    settings error that names the setting."""
    try:
        return load(path) if path is not None else empty
    except OSError as exc:
        raise ValueError(f"cannot read {setting}: {exc}") from exc


class Settings(IngestSettings):
    # Nested settings are read as VNLAW_<FIELD>__<NAME>, e.g. VNLAW_FUSION__MEMORY=0.5.
    model_config = SettingsConfigDict(env_prefix="VNLAW_", extra="ignore", env_nested_delimiter="__")

    host: str = "127.0.0.1"
    port: int = Field(8000, ge=1, le=65535)
    # Comma-separated origins allowed to call the API from a browser ("*" for any).
    cors_origins: str = ""
    # Unset means the admin API is closed; there is deliberately no default token.
    admin_token: SecretStr | None = None
    # SQLite database of citizens' ratings of answers (POST /feedback); created on first use.
    feedback_db: Path = Path("var/feedback.sqlite3")
    max_upload_bytes: int = Field(20 * 1024 * 1024, ge=1)
    max_question_chars: int = Field(2000, ge=10)
    max_top_k: int = Field(50, ge=1, le=1000)
    # The first stage's weight of each ranking signal (api/retrieval/fusion.py).
    fusion: FusionWeights = Field(default_factory=FusionWeights)
    # The second stage (api/retrieval/rerank/): "learned", the LightGBM ranker shipped in
    # api/retrieval/data (or another file, ``rerank_model``); "cross-encoder", any
    # sentence-transformers CrossEncoder (a hub id or a local folder) over the first stage's
    # ``rerank_depth`` best articles, its standardised score added ``rerank_cross_weight``
    # times to the first stage's; "off", the first stage's order.
    rerank: Literal["learned", "cross-encoder", "off"] = "off"
    rerank_model: Path = RANKER_FILE
    rerank_cross_encoder: str | None = None
    rerank_depth: int = Field(30, ge=2, le=200)
    rerank_cross_weight: float = Field(1.0, ge=0, le=10)
    # Earlier questions and the articles their answers cite (api/retrieval/qamemory.py; empty = none).
    qa_memory: Path | None = MEMORY_FILE
    # Everyday words and the statutory wording searched with them (api/retrieval/terms.py; empty = none).
    terms: Path | None = DEFAULT_TERMS
    _terms: Terms = PrivateAttr(default_factory=lambda: Terms([]))
    # The two sides of relations whose articles are headed by one side (api/retrieval/parties.py;
    # empty = none).
    parties: Path | None = DEFAULT_PARTIES
    _parties: Parties = PrivateAttr(default_factory=lambda: Parties([]))
    # Abstention: subjects outside the corpus (api/retrieval/outside.py; empty = none) and thresholds
    # calibrated with `python -m api.eval.calibrate`; recalibrate when the corpus changes much.
    outside_topics: Path | None = DEFAULT_OUTSIDE_TOPICS
    abstain_min_dense: float = Field(0.82, ge=-1, le=1)
    abstain_min_margin: float = Field(-0.0175, ge=-2, le=2)
    abstain_min_subject: float = Field(-0.03, ge=-2, le=2)
    # From this many searchable units on (the national collection has 284,135), these instead:
    # calibrated on that index, where the subject check declined no question more of the fresh
    # set and cost 2.7% more answerable ones, so it is off there (README).
    abstain_large_from: int = Field(100_000, ge=0)
    abstain_large_min_dense: float = Field(0.835, ge=-1, le=1)
    abstain_large_min_margin: float = Field(0.015, ge=-2, le=2)
    abstain_large_min_subject: float = Field(-2.0, ge=-2, le=2)
    _topics: list[Topic] = PrivateAttr(default_factory=list)
    # The reviewed validity table (api/retrieval/reviewed.py, docs/operations.md); unset,
    # the corpus folder's validity.json when there is one.
    validity_table: Path | None = None
    _reviewed: ReviewedTable = PrivateAttr(default_factory=ReviewedTable)
    # Answers: "extractive" (no network) or "openai" (any OpenAI-compatible chat endpoint).
    generator: Literal["extractive", "openai"] = "extractive"
    llm_base_url: str | None = None  # e.g. http://localhost:8080/v1
    llm_model: str | None = None
    llm_api_key: SecretStr | None = None
    llm_timeout: float = Field(20.0, gt=0, le=300)
    llm_max_tokens: int = Field(600, ge=16, le=8192)
    # How often (seconds) a worker checks index/current for a new version.
    reload_interval: float = Field(2.0, gt=0)
    # Run the staged build of the corpus and collections in the background (api/service/indexing.py);
    # `make run` and the container turn it on.
    background_build: bool = False
    # Per-client budgets (api/service/budgets.py), e.g. VNLAW_LIMITS__ASK="30/minute;300/hour";
    # VNLAW_LIMITS__ENABLED=false for benchmarks and load tests.
    limits: RateLimits = Field(default_factory=RateLimits)
    # Services' keys (header X-API-Key), each with its own budgets, as a JSON list:
    # [{"name": "portal", "key": "...", "ask": "600/minute"}]. Unset: every client is anonymous.
    api_keys: list[ApiKey] = Field(default_factory=list)
    # Reverse proxies (addresses or networks, comma-separated) whose X-Forwarded-For names the
    # client. Empty: the connection's own address is the client, whatever the headers say.
    trusted_proxies: str = ""
    # Answer streams a worker holds open at once, in all (beyond: 503) and per client (429).
    max_streams: int = Field(32, ge=1, le=10_000)
    max_streams_per_client: int = Field(4, ge=1, le=10_000)
    # Largest request body but for document uploads (VNLAW_MAX_UPLOAD_BYTES); refused (413)
    # before anything parses it. The largest valid /feedback body is 0.95 MB as UTF-8, 1.9 MB
    # with every letter \u-escaped (tests/test_bodies.py).
    max_body_bytes: int = Field(2 * 1024 * 1024, ge=1024)
    # Slow clients: seconds to send a whole request body (408), to take each piece of a response
    # (the connection is closed); idle keep-alive connections are closed after
    # VNLAW_KEEP_ALIVE_TIMEOUT s and connections past VNLAW_MAX_CONNECTIONS get a 503 (uvicorn).
    body_timeout: float = Field(30.0, gt=0, le=3600)
    send_timeout: float = Field(60.0, gt=0, le=3600)
    keep_alive_timeout: int = Field(5, ge=1, le=3600)
    max_connections: int = Field(1000, ge=1)
    # Feedback storage: at most this many ratings (beyond: 507) and none older than this many days.
    feedback_max_rows: int = Field(100_000, ge=1)
    feedback_retention_days: int = Field(365, ge=1)

    @field_validator("admin_token")
    @classmethod
    def _no_placeholder(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and (
            len(value.get_secret_value()) < 16 or value.get_secret_value() == "changeme"
        ):
            raise ValueError("VNLAW_ADMIN_TOKEN must be at least 16 characters and not a placeholder")
        return value

    @field_validator("trusted_proxies")
    @classmethod
    def _networks(cls, value: str) -> str:
        for part in (p.strip() for p in value.split(",") if p.strip()):
            try:
                ip_network(part, strict=False)
            except ValueError as exc:
                raise ValueError(f"VNLAW_TRUSTED_PROXIES: not an address or network: {part!r}") from exc
        return value

    @field_validator("api_keys")
    @classmethod
    def _distinct_keys(cls, value: list[ApiKey]) -> list[ApiKey]:
        if len({k.name for k in value}) < len(value) or len({k.key.get_secret_value() for k in value}) < len(
            value
        ):
            raise ValueError("VNLAW_API_KEYS: each key needs its own name and its own key")
        return value

    @field_validator("outside_topics", "qa_memory", "terms", "parties", mode="before")
    @classmethod
    def _empty_is_none(cls, value: object) -> object:
        return None if value == "" else value

    @model_validator(mode="after")
    def _read_topics(self) -> Settings:
        # Read with the settings, so a broken file stops the service at start, with the line named.
        self._topics = _read("VNLAW_OUTSIDE_TOPICS", self.outside_topics, load_topics, [])
        self._terms = _read("VNLAW_TERMS", self.terms, Terms.load, Terms([]))
        self._parties = _read("VNLAW_PARTIES", self.parties, Parties.load, Parties([]))
        table = self.validity_table
        if table is None and (self.corpus_dir / VALIDITY_TABLE_NAME).is_file():
            table = self.corpus_dir / VALIDITY_TABLE_NAME
        self._reviewed = _read("VNLAW_VALIDITY_TABLE", table, ReviewedTable.load, ReviewedTable())
        return self

    @property
    def reviewed_validity(self) -> ReviewedTable:
        return self._reviewed

    @property
    def topics(self) -> list[Topic]:
        return self._topics

    @property
    def statutory_terms(self) -> Terms:
        return self._terms

    @property
    def relation_sides(self) -> Parties:
        return self._parties

    @model_validator(mode="after")
    def _generator_complete(self) -> Settings:
        if self.generator == "openai" and not (self.llm_base_url and self.llm_model):
            raise ValueError("VNLAW_GENERATOR=openai needs VNLAW_LLM_BASE_URL and VNLAW_LLM_MODEL")
        return self

    @model_validator(mode="after")
    def _reranker_named(self) -> Settings:
        if self.rerank == "cross-encoder" and not self.rerank_cross_encoder:
            raise ValueError("VNLAW_RERANK=cross-encoder needs VNLAW_RERANK_CROSS_ENCODER (an id or folder)")
        return self

    @property
    def abstention(self) -> Abstention:
        large = Abstention(
            self.abstain_large_min_dense, self.abstain_large_min_margin, self.abstain_large_min_subject
        )
        return Abstention(
            self.abstain_min_dense,
            self.abstain_min_margin,
            self.abstain_min_subject,
            large,
            self.abstain_large_from,
        )

    @property
    def llm(self) -> LLMConfig | None:
        if self.generator != "openai" or not self.llm_base_url or not self.llm_model:
            return None
        key = self.llm_api_key.get_secret_value() if self.llm_api_key else None
        return LLMConfig(self.llm_base_url, self.llm_model, key, self.llm_timeout, self.llm_max_tokens)

    @property
    def trusted_proxy_list(self) -> list[str]:
        return [p.strip() for p in self.trusted_proxies.split(",") if p.strip()]

    @property
    def cors_origin_list(self) -> list[str]:
        return [o.strip() for o in self.cors_origins.split(",") if o.strip()]


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
