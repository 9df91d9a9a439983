import json
from collections.abc import Iterator

from fastapi import APIRouter, Request
from fastapi.responses import StreamingResponse

from ..answer import answer
from ..citations import core_filters, to_citation
from ..deps import RetrieverDep
from ..metrics import ABSTENTIONS, timed
from ..schemas import AskRequest, AskResponse

router = APIRouter(tags=["ask"])


@router.post(
    "/ask",
    response_model=AskResponse,
    summary="Hỏi đáp có trích dẫn",
    responses={200: {"content": {"text/event-stream": {}}, "description": "JSON, or SSE when stream=true"}},
)
def ask(body: AskRequest, retriever: RetrieverDep, request: Request) -> AskResponse | StreamingResponse:
    with timed("ask"):
        result = answer(
            retriever,
            body.question,
            history=[(t.role, t.content) for t in body.history],
            top_k=body.top_k,
            filters=core_filters(retriever, body.filters),
            abstention=request.app.state.abstention,
            llm=request.app.state.llm,
        )
    if result.abstained:
        ABSTENTIONS.inc()
    response = AskResponse(
        answer=result.text,
        citations=[to_citation(retriever, h) for h in result.cited],
        abstained=result.abstained,
    )
    if not body.stream:
        return response
    return StreamingResponse(_events(response), media_type="text/event-stream")


def _events(response: AskResponse) -> Iterator[str]:
    """SSE: the answer in small pieces as ``token`` events, then ``done`` with everything."""
    words = response.answer.split(" ")
    for i in range(0, len(words), 4):
        piece = " ".join(words[i : i + 4]) + (" " if i + 4 < len(words) else "")
        yield f"event: token\ndata: {json.dumps({'text': piece}, ensure_ascii=False)}\n\n"
    yield f"event: done\ndata: {response.model_dump_json()}\n\n"
