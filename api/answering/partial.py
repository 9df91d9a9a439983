"""What an answer says when the document it leads with is partial (a text rebuilt from verbatim
quotes, a pháp điển copy lacking articles: ``DocumentMeta.partial``) and the part it holds does
not meet the question: the provision that answers may lie in the missing part, so the reader
is told so and pointed to the whole document rather than left with a side provision."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from api.answering.clauses import Evidence, children, only_lead_in
from api.answering.grounding import content_words
from api.retrieval.index import Document
from api.retrieval.retriever import Hit
from ingest.text.normalize import normalize_query


def partial_note(documents: Mapping[str, Document], cited: Sequence[Hit], evidence: Evidence) -> str:
    """What to tell a reader when the leading document is partial and what it holds does not
    meet the question: its cited units are lead-ins whose items the text lacks, none states
    the figure asked for, or none holds a word of the question beyond the document's title."""
    if not cited:
        return ""
    meta = documents[cited[0].unit.doc_id].meta
    if not meta.partial:
        return ""
    shown = [u for h in cited if h.unit.doc_id == meta.doc_id for u in (h.unit, *h.items)]
    doc = documents[meta.doc_id]
    if all(only_lead_in(u) and not children(doc, u) for u in shown):
        met = False  # the list the question asks for lies in a gap of the text
    elif evidence.wanted:
        met = any(evidence.wanted & set(u.figures) for u in shown)
    else:
        title = content_words(normalize_query(meta.title).lower())
        words = content_words(normalize_query(" ".join(f"{u.heading} {u.text}" for u in shown)).lower())
        met = bool((evidence.words - title) & words)
    if met:
        return ""
    name = f"{meta.title} {meta.number}" if meta.number and meta.number not in meta.title else meta.title
    return (
        f"Lưu ý: kho tra cứu chỉ có một phần của {name}, và phần đó không nêu điều bạn hỏi; "
        f"quy định trả lời có thể nằm ở phần còn thiếu. Hãy tra toàn văn {name} trước khi áp dụng."
    )
