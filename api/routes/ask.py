import json
from collections.abc import Iterator

from fastapi import APIRouter, Request
from fastapi.responses import StreamingResponse

from ..answer import Answer, answer, answer_stream
from ..citations import core_filters, to_citation
from ..deps import RetrieverDep
from ..metrics import ABSTENTIONS, timed
from ..retrieve import Retriever
from ..schemas import AskRequest, AskResponse

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
        return StreamingResponse(_events(retriever, answer_stream(retriever, body.question, **options)),
                                 media_type="text/event-stream")  # fmt: skip
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


def _events(retriever: Retriever, stream: Iterator[str | Answer]) -> Iterator[str]:
    """SSE: ``token`` events with pieces of text, then ``done`` with the whole response."""
    for item in stream:
        if isinstance(item, str):
            yield f"event: token\ndata: {json.dumps({'text': item}, ensure_ascii=False)}\n\n"
        else:
            yield f"event: done\ndata: {_response(retriever, item).model_dump_json()}\n\n"
