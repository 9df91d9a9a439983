"""Extractive answers: the most relevant sentences of the retrieved units, each marked [n],
or an abstention when nothing retrieved supports an answer."""

from __future__ import annotations

import logging
import re
from collections import Counter
from collections.abc import Generator, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from api.answering.clauses import Evidence, arrange, body, lead_in_of, statement
from api.answering.generate import (
    GeneratorFailed,
    LLMConfig,
    answer_messages,
    prompt_version,
    rewrite,
    stream_chat,
)
from api.answering.grounding import check, content_words
from api.answering.partial import partial_note
from api.retrieval.facts import Verdict
from api.retrieval.filters import Filters
from api.retrieval.index import Document, LoadedIndex
from api.retrieval.retriever import Hit, Retriever, SearchResult
from ingest.structure.quantities import quantities
from ingest.structure.units import Unit
from ingest.text.normalize import normalize_query
from ingest.text.segment import sentence_spans

# Questions that only make sense after the previous one ("Còn người dưới 18 tuổi thì sao?").
_FOLLOW_UP = re.compile(
    r"^(còn|vậy|thế|nếu vậy|trường hợp đó|như vậy)\b|(thì sao|thì thế nào|thì sao ạ|được không)\s*\??$"
)
log = logging.getLogger(__name__)
MAX_CITED = 3
# A passage is cited only when its article scores at least this share of the first one's: the
# 2025 targets of 131/QĐ-TTg (1.6) were followed by an article on training reports (0.62).
# Measured on dev: citation precision 0.363 -> 0.372, recall unchanged; on held-out pairs
# 0.259 -> 0.262, recall unchanged; 0.6 and above cost held-out recall (README).
MIN_SHARE_OF_FIRST = 0.5
MAX_SENTENCE_CHARS = 420
# Each item of a list shown whole: up to eight of them share one bullet.
MAX_ITEM_CHARS = 200
MAX_QUOTE_CHARS = 2400
MAX_TITLES_LISTED = 12


@dataclass(frozen=True)
class Abstention:
    """Answer only when the best unit is similar enough to the question, enough more similar
    than the nearest subject the corpus does not hold, and its article's heading is about as
    close to the question as that subject is (see ``api.retrieval.outside``, ``api.eval.calibrate``)."""

    min_dense: float = -1.0  # best unit's cosine similarity
    min_margin: float = -2.0  # best unit's cosine minus the nearest outside topic's
    # The best unit's article heading ("Tử hình") minus the nearest outside topic ("quyền nuôi
    # con"), both short phrases embedded alike: a passage can share the question's words
    # ("nuôi con dưới 36 tháng tuổi") while its article is about something else.
    min_subject: float = -2.0
    # The best cosine a question finds grows with the number of units searched: an index of at
    # least ``large_from`` searchable units (the national collection) is judged by ``large``.
    large: Abstention | None = None
    large_from: int = 0

    def for_units(self, searchable: int) -> Abstention:
        """The thresholds that judge an index of ``searchable`` units."""
        if self.large is not None and searchable >= self.large_from:
            return self.large
        return replace(self, large=None, large_from=0)


@dataclass
class Answer:
    text: str
    cited: list[Hit]
    abstained: bool


def retrieval_query(question: str, history: Sequence[tuple[str, str]]) -> str:
    """The question, completed with the previous user turn when it is a follow-up."""
    folded = normalize_query(question).lower()
    previous = next((text for role, text in reversed(history) if role == "user"), None)
    if previous and (_FOLLOW_UP.search(folded) or len(content_words(folded)) <= 3):
        return f"{previous.strip()} {question.strip()}"
    return question


def prepare(
    retriever: Retriever,
    question: str,
    history: Sequence[tuple[str, str]] = (),
    top_k: int = 5,
    filters: Filters | None = None,
    abstention: Abstention | None = None,
    llm: LLMConfig | None = None,
) -> tuple[SearchResult, bool]:
    """Retrieval for a question (rewritten from ``history`` when it is a follow-up), and
    whether it supports an answer."""
    rewritten = rewrite(llm, question, list(history)) if llm is not None and history else None
    query = rewritten or retrieval_query(question, history)
    result = retriever.search(query, top_k=top_k, filters=filters)
    rule = (abstention or Abstention()).for_units(len(retriever.index.rows))
    return result, supported(result, rule)


def answer(retriever: Retriever, question: str, llm: LLMConfig | None = None, **options: Any) -> Answer:
    """An answer with its citations; with ``llm``, a generated one when it passes the
    grounding checks (see ``api.answering.grounding``), else the extractive one."""
    *_, final = answer_stream(retriever, question, llm, **options)
    assert isinstance(final, Answer)
    return final


def answer_stream(
    retriever: Retriever, question: str, llm: LLMConfig | None = None, **options: Any
) -> Generator[str | Answer]:
    """The answer as it is produced: text pieces, then the final :class:`Answer`, which is
    authoritative (a generated reply may lose markers, or be replaced by the extractive one)."""
    result, ok = prepare(retriever, question, llm=llm, **options)
    if not ok:
        final = Answer(abstain_message(retriever), [], True)
    elif llm is not None:
        pieces: list[str] = []
        try:
            for piece in stream_chat(llm, answer_messages(question, result.hits)):
                pieces.append(piece)
                yield piece
        except GeneratorFailed as exc:
            log.warning("generator stream failed: %s", exc)
        checked = check("".join(pieces), question, result.hits)
        if checked.accepted:
            log.info("generated answer accepted (prompts %s); dropped: %s",
                     prompt_version(), checked.reason or "none")  # fmt: skip
            final = Answer(checked.text, checked.cited, False)
        else:
            log.warning("generated answer rejected, extractive instead (prompts %s): %s",
                        prompt_version(), checked.reason)  # fmt: skip
            final = extractive(result, retriever.index)
    else:
        final = extractive(result, retriever.index)
    if llm is None or final.abstained:
        words = final.text.split(" ")
        for i in range(0, len(words), 4):
            yield " ".join(words[i : i + 4]) + (" " if i + 4 < len(words) else "")
    yield final


def extractive(result: SearchResult, index: LoadedIndex) -> Answer:
    if result.reference is None:
        first = result.hits[0].score
        hits = [h for h in result.hits[:MAX_CITED] if h.score >= MIN_SHARE_OF_FIRST * first]
    else:
        hits = [h for h in result.hits if h.direct][:MAX_CITED]
    evidence = Evidence.of_result(result, index)
    cited = arrange(hits, index.documents, evidence, MAX_CITED)
    lines = [f"- {bullet(index.documents, hit, evidence)} [{n}]" for n, hit in enumerate(cited, 1)]
    intro = "Theo các quy định liên quan:" if len(cited) > 1 else "Theo quy định:"
    missing = partial_note(index.documents, cited, evidence)
    if missing:
        intro = f"{missing}\nNhững quy định gần nhất hiện có:"
    return Answer("\n".join([intro, *lines]), cited, False)


def bullet(documents: Mapping[str, Document], hit: Hit, evidence: Evidence) -> str:
    """One cited unit as the answer shows it, without its marker: its label, then a lead-in
    with the items shown under it, or the sentence that answers (after its lead-in)."""
    if hit.items:
        shown = f"{_trimmed(_last_sentence(body(hit.unit)))} {_listed(hit.items, evidence)}"
    else:
        sentence = best_sentence(statement(hit.unit), evidence.words, evidence.wanted)
        lead = lead_in(documents, hit.unit)
        shown = f"{lead} … {sentence}" if lead else sentence
    # A clause whose conditions exclude the question's facts (another amount, another age)
    # is shown only after those that fit, and said to be about other cases.
    other = " (trường hợp khác)" if hit.verdict is Verdict.EXCLUDES else ""
    if hit.replaced_by is not None:
        successors = " và ".join(hit.replaced_by)
        other += f" (đã hết hiệu lực{', thay bằng ' + successors if successors else ''})"
    return f"{hit.unit.label}{other}: {shown}"


def _listed(items: Sequence[Unit], evidence: Evidence) -> str:
    """The items of a list, each with its enumerator and its best sentence, shortened when
    several share the bullet."""
    limit = MAX_SENTENCE_CHARS if len(items) == 1 else MAX_ITEM_CHARS
    shown = []
    for item in items:
        number = item.path[-1][1]
        marker = f"{number})" if item.kind == "diem" else f"{number}."
        sentence = best_sentence(body(item), evidence.words, evidence.wanted)
        shown.append(f"{marker} {_shortened(sentence, limit)}")
    return " ".join(shown)


def supported(result: SearchResult, abstention: Abstention) -> bool:
    if not result.hits:
        return False
    if result.reference is not None:
        return True
    return (
        result.top_dense >= abstention.min_dense
        and result.top_dense - result.top_outside >= abstention.min_margin
        and result.top_subject - result.top_outside >= abstention.min_subject
    )


def abstain_message(retriever: Retriever) -> str:
    return (
        "Xin lỗi, tôi không tìm thấy quy định nào trong các văn bản hiện có trả lời được câu hỏi này. "
        f"Hiện tôi tra cứu được: {holdings(retriever.index)}. "
        "Bạn có thể hỏi lại cụ thể hơn, hoặc tham khảo ý kiến luật sư hay cơ quan có thẩm quyền."
    )


def holdings(index: LoadedIndex) -> str:
    """What the index holds, in a sentence: the titles of a few documents, or of thousands
    the count of each type ("2.200 thông tư")."""
    metas = [d.meta for d in index.documents.values() if d.meta.searchable]
    if len(metas) <= MAX_TITLES_LISTED:
        return ", ".join(m.short_title for m in metas)
    types = Counter((m.doc_type or "văn bản khác").lower() for m in metas)
    counts = ", ".join(f"{n:,} {t}".replace(",", ".") for t, n in types.most_common())
    return f"{len(metas):,} văn bản".replace(",", ".") + f" ({counts})"


def lead_in(documents: Mapping[str, Document], unit: Unit) -> str:
    """The sentence a list item completes ("Phạm tội thuộc một trong các trường hợp sau đây,
    thì bị phạt tù từ 02 năm đến 07 năm:"): without it a point or clause often says nothing
    of what the question asks (the penalty, the limit)."""
    lead = lead_in_of(documents[unit.doc_id], unit)
    return _trimmed(_last_sentence(body(lead))) if lead is not None else ""


def _last_sentence(text: str) -> str:
    text = text.strip()
    start, end = (sentence_spans(text) or [(0, len(text))])[-1]
    return text[start:end].strip()


def best_sentence(text: str, words: set[str], wanted: frozenset[str] = frozenset()) -> str:
    """The sentence of ``text`` that states a figure of the kind asked for (``wanted``
    dimensions, see ``api.retrieval.facts.asked_dims``) and shares most words with the question,
    trimmed for display without cutting that figure away."""
    spans = sentence_spans(text) or [(0, len(text))]
    scored = []
    for i, (start, end) in enumerate(spans):
        sentence = text[start:end]
        overlap = len(words & content_words(normalize_query(sentence).lower()))
        figures = [q.end for q in quantities(sentence) if q.dim in wanted]
        # A sentence announcing what follows ("... như sau:") says nothing by itself.
        says = not sentence.rstrip().endswith(":")
        scored.append((bool(figures), says, overlap, -i, sentence, figures[-1] if figures else 0))
    _, says, _, negated, best, figure_end = max(scored)
    shown = _trimmed(best, figure_end)
    # A sentence announcing what follows wins only by stating the figure asked; when the text
    # runs on with what it announces (points left inside a clause's text: "... thì bị phạt tù
    # từ 15 năm đến 20 năm:\nd) ...;\nđ) ..."), the one of those that best meets the question
    # is shown after it.
    after = scored[-negated + 1 :]
    following = [(overlap, i, sentence) for _, fits, overlap, i, sentence, _ in after if fits]
    if not says and following:
        *_, item = max(following)
        shown += f" … {_shortened(_trimmed(item), MAX_ITEM_CHARS)}"
    return shown


def _trimmed(sentence: str, keep: int = 0) -> str:
    """``sentence`` without its enumerator, shortened to ``MAX_SENTENCE_CHARS``; when the
    figure ending at ``keep`` lies past the limit, the middle goes instead of the end."""
    sentence = sentence.strip()
    marker = re.match(r"(?:\d+\.|[a-zđ]\)|[-+•])\s*", sentence)
    cut = marker.end() if marker else 0
    sentence, keep = sentence[cut:], max(0, keep - cut)
    if keep <= MAX_SENTENCE_CHARS - 2:
        return _shortened(sentence, MAX_SENTENCE_CHARS)
    head = sentence[: MAX_SENTENCE_CHARS // 3].rsplit(" ", 1)[0] + " …"
    room = MAX_SENTENCE_CHARS - len(head) - 1
    tail = sentence[max(len(head), keep + 60 - room) :].split(" ", 1)[-1]
    return f"{head} {_shortened(tail, room)}"


def quote(text: str) -> str:
    return _shortened(text, MAX_QUOTE_CHARS)


def _shortened(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[:limit].rsplit(" ", 1)[0] + " …"
