from fastapi import APIRouter

from ..citations import core_filters, to_citation
from ..deps import RetrieverDep
from ..metrics import timed
from ..schemas import SearchRequest, SearchResponse

router = APIRouter(tags=["search"])


@router.post("/search", response_model=SearchResponse, summary="Tìm các quy định liên quan")
def search(body: SearchRequest, retriever: RetrieverDep) -> SearchResponse:
    with timed("search"):
        result = retriever.search(body.query, top_k=body.top_k, filters=core_filters(retriever, body.filters))
    return SearchResponse(results=[to_citation(retriever, h) for h in result.hits])
