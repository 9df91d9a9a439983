import json
from collections.abc import AsyncIterator, Generator, Iterator

import anyio
from fastapi import APIRouter, Request
from fastapi.responses import StreamingResponse

from api.answering.answer import Answer, answer, answer_stream
from api.http.citations import core_filters, to_citation
from api.http.deps import RetrieverDep
from api.http.schemas import AskRequest, AskResponse
from api.retrieval.retriever import Retriever
from api.service.metrics import ABSTENTIONS, timed

router = APIRouter(tags=["ask"])


@router.post(
    "/ask",
    response_model=AskResponse,
    summary="Hỏi đáp có trích dẫn",
    responses={200: {"content": {"text/event-stream": {}}, "description": "JSON, or SSE when stream=true"}},
)
def ask(body: AskRequest, retriever: RetrieverDep, request: Request) -> AskResponse | StreamingResponse:
    options = {
        "history": [(t.role, t.content) for t in body.history],
        "top_k": body.top_k,
        "filters": core_filters(retriever, body.filters),
        "abstention": request.app.state.abstention,
        "llm": request.app.state.llm,
    }
    if body.stream:
        stream = answer_stream(retriever, body.question, **options)
        return StreamingResponse(_relay(retriever, stream), media_type="text/event-stream")
    with timed("ask"):
        return _response(retriever, answer(retriever, body.question, **options))


def _response(retriever: Retriever, result: Answer) -> AskResponse:
    if result.abstained:
        ABSTENTIONS.inc()
    return AskResponse(
        answer=result.text,
        citations=[to_citation(retriever, h) for h in result.cited],
        abstained=result.abstained,
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
