from typing import Any

from fastapi import APIRouter, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from api.http.deps import HolderDep
from ingest.index.stages import read_status

router = APIRouter(tags=["health"])


@router.get("/healthz", summary="The process is up")
def healthz() -> dict[str, str]:
    return {"status": "ok"}


@router.get("/readyz", summary="An index is loaded and queries can be answered")
def readyz(holder: HolderDep) -> dict[str, Any]:
    """Also says how far a staged build of the collections is (``indexing``), so operators
    and the chat can tell that coverage is still growing."""
    retriever = holder.require()
    return {
        "status": "ready",
        "index_version": retriever.index.version,
        "documents": len(retriever.index.documents),
        "indexing": read_status(holder.settings.index_dir),
    }


@router.get("/metrics", summary="Prometheus metrics", response_class=Response)
def metrics() -> Response:
    return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)
