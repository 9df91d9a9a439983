"""Shared route dependencies."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from api.retrieval.retriever import Retriever
from api.service.holder import IndexHolder


def holder(request: Request) -> IndexHolder:
    state: IndexHolder = request.app.state.holder
    return state


def retriever(h: Annotated[IndexHolder, Depends(holder)]) -> Retriever:
    return h.require()


HolderDep = Annotated[IndexHolder, Depends(holder)]
RetrieverDep = Annotated[Retriever, Depends(retriever)]
