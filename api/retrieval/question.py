"""The question as every ranking signal reads it, analysed once per search."""

from __future__ import annotations

from dataclasses import dataclass

from api.retrieval.scores import Mask
from ingest.embedding.embed import Vectors
from ingest.structure.quantities import Range

# Question words and particles ("là gì", "bao nhiêu", "như thế nào") carry no topic; left in,
# BM25 rewards clauses that happen to repeat them. Measured on the development set: +0.02 MRR.
_STOPWORDS = """là và của có được cho các những một thì trong theo với không khi nào gì bao_nhiêu
như thế sao ai ở tại về này đó để do bị hay hoặc phải nếu đã sẽ đang rằng mà từ đến
ra vào ạ vậy còn hay_không như_thế_nào thế_nào bao_lâu"""
STOPWORDS = frozenset(_STOPWORDS.split())


@dataclass(frozen=True)
class Question:
    """One search's question, read once: what it names or states (a provision, its figures) is
    read from ``asked``; the signals match ``query``, which adds the statutory wording of its
    everyday words (``api.retrieval.terms``)."""

    asked: str  # NFC, as asked
    query: str  # ``asked`` with the statutory wording added
    tokens: list[str]  # lexical tokens of ``query``, question words dropped
    vector: Vectors  # ``query`` embedded as a query
    facts: list[Range]  # the values it states ("trộm 3 triệu", "con 16 tuổi")
    figure_kinds: frozenset[str]  # the kinds of figure it asks for ("bao nhiêu giờ": hours)
    allowed: Mask  # the index rows the request's filters allow
