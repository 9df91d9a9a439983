"""The FastAPI application: ``api.main:app`` (or ``python -m api``)."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from api.http import errors
from api.http.bodies import BodyLimits
from api.http.routes import admin, ask, documents, feedback, health, search, widget
from api.retrieval.outside import OutsideTopics
from api.service.batcher import QueryBatcher
from api.service.budgets import Budgets
from api.service.holder import IndexHolder, load_memory, load_second_stage
from api.service.indexing import BackgroundBuild
from api.service.jobs import Jobs
from api.service.metrics import INDEX_RELOADS, INDEX_UNITS
from api.service.settings import Settings, get_settings
from api.service.streams import StreamSlots
from ingest.embedding.embed import Embedder
from ingest.text import segment

DESCRIPTION = """Hỏi đáp pháp luật Việt Nam có trích dẫn: mỗi câu trả lời kèm văn bản, số hiệu
và vị trí Điều / Khoản / Điểm (hoặc Mục / tiểu mục) cùng đoạn trích nguyên văn."""


def _refresh(holder: IndexHolder) -> None:
    if holder.refresh():
        INDEX_RELOADS.inc()
        INDEX_UNITS.set(len(holder.require().index.rows))


async def _watch(holder: IndexHolder, interval: float) -> None:
    while True:
        await asyncio.sleep(interval)
        await asyncio.to_thread(_refresh, holder)


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        # Everything loaded lazily is loaded here, before the first request: the first
        # queries and a re-index job would otherwise race to load the same models.
        await asyncio.to_thread(segment.load_models)
        embedder = await asyncio.to_thread(Embedder.from_settings, settings)
        batcher = QueryBatcher(embedder)
        outside = await asyncio.to_thread(OutsideTopics.embed, settings.topics, embedder)
        memory = await asyncio.to_thread(load_memory, settings, embedder)
        second_stage = await asyncio.to_thread(load_second_stage, settings)
        holder = IndexHolder(settings, batcher, outside, memory, second_stage)
        app.state.holder = holder
        app.state.jobs = Jobs(settings, embedder, on_done=lambda: _refresh(holder))
        await asyncio.to_thread(_refresh, holder)
        watcher = asyncio.create_task(_watch(holder, settings.reload_interval))
        background = BackgroundBuild(settings) if settings.background_build else None
        yield
        if background is not None:
            await asyncio.to_thread(background.stop)
        watcher.cancel()
        batcher.close()

    app = FastAPI(title="vnlaw", description=DESCRIPTION, version="0.1.0", lifespan=lifespan)
    app.state.abstention = settings.abstention
    app.state.llm = settings.llm
    app.state.budgets = Budgets(settings.limits, settings.api_keys)
    app.state.streams = StreamSlots(settings.max_streams, settings.max_streams_per_client)
    errors.install(app)
    # Inside CORS, so that a page on another origin can read a 413 or 408 too.
    app.add_middleware(
        BodyLimits,
        max_bytes=settings.max_body_bytes,
        upload_bytes=settings.max_upload_bytes,
        body_timeout=settings.body_timeout,
        send_timeout=settings.send_timeout,
    )
    if settings.cors_origin_list:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.cors_origin_list,
            allow_methods=["GET", "POST"],
            allow_headers=["Content-Type", "Authorization", "X-API-Key"],
        )
    if settings.trusted_proxy_list:
        # Outermost: every other part sees the client those proxies name. `python -m api` turns
        # uvicorn's own reading of the header off (it trusts 127.0.0.1 by default).
        app.add_middleware(ProxyHeadersMiddleware, trusted_hosts=settings.trusted_proxy_list)
    for module in (search, ask, documents, health, widget):
        app.include_router(module.router)
    app.include_router(feedback.build_router(settings))
    app.include_router(admin.build_router(settings))
    return app


app = create_app()
