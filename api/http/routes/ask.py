import json
from collections.abc import AsyncIterator, Generator, Iterator
from typing import Annotated

import anyio
from fastapi import APIRouter, Depends, Request
from fastapi.responses import StreamingResponse
from starlette.types import Receive, Scope, Send

from api.answering.answer import Answer, answer, answer_stream
from api.http.citations import core_filters, to_citation
from api.http.clients import charge, limited
from api.http.deps import RetrieverDep
from api.http.schemas import AskRequest, AskResponse
from api.retrieval.retriever import Retriever
from api.service.budgets import Client
from api.service.metrics import ABSTENTIONS, OPEN_STREAMS, timed
from api.service.streams import Slot, StreamSlots

router = APIRouter(tags=["ask"])


@router.post(
    "/ask",
    response_model=AskResponse,
    summary="Hỏi đáp có trích dẫn",
    responses={200: {"content": {"text/event-stream": {}}, "description": "JSON, or SSE when stream=true"}},
)
def ask(
    body: AskRequest,
    who: Annotated[Client, Depends(limited("ask"))],
    retriever: RetrieverDep,
    request: Request,
) -> AskResponse | StreamingResponse:
    options = {
        "history": [(t.role, t.content) for t in body.history],
        "top_k": body.top_k,
        "filters": core_filters(retriever, body.filters),
        "abstention": request.app.state.abstention,
        "llm": request.app.state.llm,
    }
    if body.stream:
        charge(request, who, "stream")
        streams: StreamSlots = request.app.state.streams
        slot = streams.acquire(who.id)
        OPEN_STREAMS.set(streams.open)
        stream = answer_stream(retriever, body.question, **options)
        return _SlotResponse(slot, streams, _relay(retriever, stream))
    with timed("ask"):
        return _response(retriever, answer(retriever, body.question, **options))


class _SlotResponse(StreamingResponse):
    """A stream that gives its slot back however it ends: done, failed or cut off."""

    def __init__(self, slot: Slot, streams: StreamSlots, content: AsyncIterator[str]) -> None:
        super().__init__(content, media_type="text/event-stream")
        self.slot = slot
        self.streams = streams

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            await super().__call__(scope, receive, send)
        finally:
            self.slot.release()
            OPEN_STREAMS.set(self.streams.open)


def _response(retriever: Retriever, result: Answer) -> AskResponse:
    if result.abstained:
        ABSTENTIONS.inc()
    return AskResponse(
        answer=result.text,
        citations=[to_citation(retriever, h) for h in result.cited],
        abstained=result.abstained,
        ranking=retriever.ranking,
    )


async def _relay(retriever: Retriever, stream: Generator[str | Answer]) -> AsyncIterator[str]:
    """Run the (blocking) answer stream in a worker thread, one event at a time, and close it
    when the client goes away: closing it closes the model's upstream request too."""
    events = _events(retriever, stream)
    try:
        while (event := await anyio.to_thread.run_sync(next, events, None)) is not None:
            yield event
    finally:
        await anyio.to_thread.run_sync(events.close)
        await anyio.to_thread.run_sync(stream.close)


def _events(retriever: Retriever, stream: Iterator[str | Answer]) -> Generator[str]:
    """SSE: ``token`` events with pieces of text, then ``done`` with the whole response."""
    for item in stream:
        if isinstance(item, str):
            yield f"event: token\ndata: {json.dumps({'text': item}, ensure_ascii=False)}\n\n"
        else:
            yield f"event: done\ndata: {_response(retriever, item).model_dump_json()}\n\n"
