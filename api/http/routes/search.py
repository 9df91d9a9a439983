from fastapi import APIRouter, Depends

from api.http.citations import core_filters, to_citation
from api.http.clients import limited
from api.http.deps import RetrieverDep
from api.http.schemas import SearchRequest, SearchResponse
from api.service.metrics import timed

router = APIRouter(tags=["search"])


@router.post(
    "/search",
    response_model=SearchResponse,
    summary="Tìm các quy định liên quan",
    dependencies=[Depends(limited("search"))],
)
def search(body: SearchRequest, retriever: RetrieverDep) -> SearchResponse:
    with timed("search"):
        result = retriever.search(body.query, top_k=body.top_k, filters=core_filters(retriever, body.filters))
    return SearchResponse(results=[to_citation(retriever, h) for h in result.hits], ranking=result.ranking)
