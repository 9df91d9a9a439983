"""Operators' API: re-index, documents, index versions. Closed unless VNLAW_ADMIN_TOKEN is set."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, Form, HTTPException, Request, UploadFile
from pydantic import BaseModel, ConfigDict

from api.http.auth import admin_guard
from api.http.schemas import DocId
from api.service.jobs import Jobs
from api.service.settings import Settings
from ingest.corpus import add_document, remove_document
from ingest.errors import BuildInProgress
from ingest.index import store

CHUNK = 1 << 16


def _jobs(request: Request) -> Jobs:
    found: Jobs = request.app.state.jobs
    return found


# Module level: routes are declared inside build_router, where FastAPI could not resolve a
# local alias from a postponed annotation.
JobsDep = Annotated[Jobs, Depends(_jobs)]


class Rollback(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)
    version: str | None = None  # default: the version before the current one


def build_router(settings: Settings) -> APIRouter:
    router = APIRouter(
        prefix="/admin", tags=["admin"], dependencies=[Depends(admin_guard(settings.admin_token))]
    )

    @router.post(
        "/reindex", status_code=202, summary="Rebuild the index from the corpus folder (incremental)"
    )
    def reindex(runner: JobsDep) -> dict[str, Any]:
        return runner.start_reindex().to_dict()

    @router.get("/jobs/{job_id}", summary="State, progress, counts and errors of a re-index job")
    def job(job_id: str, runner: JobsDep) -> dict[str, Any]:
        return runner.get(job_id).to_dict()

    @router.post("/documents", status_code=201, summary="Upload a legal text into the corpus folder")
    def upload(
        file: Annotated[UploadFile, File(description=".txt, .docx, .html or .pdf")],
        meta: Annotated[str | None, Form(description="optional .meta.json content")] = None,
    ) -> dict[str, str]:
        name = file.filename or ""
        with tempfile.TemporaryDirectory(prefix="vnlaw-upload-") as tmp:
            data = Path(tmp) / "upload"
            size = 0
            with data.open("wb") as out:
                while chunk := file.file.read(CHUNK):
                    size += len(chunk)
                    if size > settings.max_upload_bytes:
                        raise HTTPException(
                            413, detail=f"file is larger than {settings.max_upload_bytes} bytes"
                        )
                    out.write(chunk)
            meta_file = None
            if meta is not None:
                meta_file = Path(tmp) / "meta.json"
                meta_file.write_text(json.dumps(_meta_object(meta), ensure_ascii=False), encoding="utf-8")
            doc_id = add_document(data, settings.corpus_dir, name=name, meta=meta_file)
        return {"doc_id": doc_id, "detail": "saved; POST /admin/reindex to make it searchable"}

    @router.delete("/documents/{doc_id}", summary="Remove a document from the corpus folder")
    def delete(doc_id: DocId) -> dict[str, Any]:
        removed = remove_document(doc_id, settings.corpus_dir)
        return {
            "doc_id": doc_id,
            "removed": removed,
            "detail": "POST /admin/reindex to drop it from the index",
        }

    @router.get("/index/versions", summary="Index versions on disk, oldest first")
    def versions() -> dict[str, Any]:
        current = store.current_name(settings.index_dir)
        out = []
        for name in store.list_versions(settings.index_dir):
            manifest = store.load_manifest(
                settings.index_dir / name, verify=False, formats=store.REUSABLE_FORMATS
            )
            out.append({"version": name, "built_at": manifest["built_at"], "counts": manifest["counts"],
                        "current": name == current})  # fmt: skip
        return {"versions": out}

    @router.post("/index/rollback", summary="Serve an earlier index version")
    def rollback(body: Rollback, request: Request, runner: JobsDep) -> dict[str, str]:
        if runner.busy:
            raise BuildInProgress("a re-index job is running")
        names = store.list_versions(settings.index_dir)
        current = store.current_name(settings.index_dir)
        target = body.version
        if target is None:
            older = [n for n in names if current is None or n < current]
            if not older:
                raise HTTPException(409, detail="no earlier index version to roll back to")
            target = older[-1]
        if target not in names:
            raise HTTPException(404, detail=f"no index version '{target}'")
        with store.build_lock(settings.index_dir):
            store.load_manifest(settings.index_dir / target, verify=True)  # refuse a damaged one
            store.switch_current(settings.index_dir, target)
        request.app.state.holder.refresh()
        return {"version": target}

    return router


def _meta_object(text: str) -> dict[str, Any]:
    try:
        value = json.loads(text)
    except ValueError as exc:
        raise HTTPException(422, detail=f"meta is not valid JSON: {exc}") from exc
    if not isinstance(value, dict):
        raise HTTPException(422, detail="meta must be a JSON object")
    return value
