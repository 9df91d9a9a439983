from fastapi import APIRouter

from api.http.deps import RetrieverDep
from api.http.schemas import DocId, DocumentDetail, DocumentInfo, DocumentList, OutlineItem
from api.retrieval.index import Document
from ingest.errors import DocumentNotFound

router = APIRouter(tags=["documents"])


def _info(doc: Document) -> dict[str, object]:
    m = doc.meta
    return {
        "doc_id": m.doc_id, "title": m.title, "number": m.number, "doc_type": m.doc_type,
        "issuer": m.issuer, "issued": m.issued, "effective": m.effective, "status": m.status,
        "searchable": m.searchable, "articles": len(doc.articles), "units": len(doc.units),
        "partial": m.partial, "source_kind": m.source_kind, "source": m.provenance,
    }  # fmt: skip


@router.get("/documents", response_model=DocumentList, summary="Các văn bản đang được tra cứu")
def list_documents(retriever: RetrieverDep) -> DocumentList:
    docs = retriever.index.documents.values()
    return DocumentList(
        documents=[DocumentInfo.model_validate(_info(d)) for d in docs],
        index_version=retriever.index.version,
    )


@router.get("/documents/{doc_id}", response_model=DocumentDetail, summary="Thông tin và mục lục một văn bản")
def get_document(doc_id: DocId, retriever: RetrieverDep) -> DocumentDetail:
    doc = retriever.index.documents.get(doc_id)
    if doc is None:
        raise DocumentNotFound(doc_id)
    outline = [
        OutlineItem(path=list(u.path), kind=u.kind, label=u.label, heading=u.heading) for u in doc.units
    ]
    return DocumentDetail.model_validate({**_info(doc), "outline": outline})
