"""Sentence spans and lexical (BM25) tokens for Vietnamese legal text.

``sentence_spans`` works on the string it is given (normally the display form) so quotes can
be cut from it. ``tokenize`` is applied identically to documents and queries: the match form,
underthesea word segmentation (multi-syllable words joined with ``_``), lower case, no
punctuation tokens. Legal document numbers (``15/2020/NĐ-CP``) and bare document codes
(``NĐ-CP``) are kept whole and canonical, because underthesea cuts ``15/2020/NĐ-CP`` into
``15/2020``, ``/``, ``NĐ-CP`` and users type ``ND-CP`` for ``NĐ-CP``.

Percent signs are punctuation here: ``50%`` gives the token ``50``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor

from ingest.text.normalize import match_form
from ingest.text.once import once

Span = tuple[int, int]

# --- sentences --------------------------------------------------------------------------

_LINE = re.compile(r"[^\r\n]+")
# sent_tokenize only ever cuts after . ? ! that is followed by more text; lines without
# such a place (most lines of a legal text) need not go through its per-character loop.
_MAY_SPLIT = re.compile(r"[.?!]\s*[^\s.?!]")
# sent_tokenize cuts "1. Người lao động ...", "Điều 5. Phạm vi ..." and "II. MỤC TIÊU"
# after the number; a bare enumerator is no sentence, so it is glued to what follows.
_ENUMERATOR = re.compile(
    r"(?:(?:điều|chương|mục|tiểu mục|phần|khoản|điểm)\s+)?"
    r"(?:\d+(?:\.\d+)*|[ivxlcdm]+|[a-zđ])\.",
    re.IGNORECASE,
)


@once
def _sent_tokenize() -> Callable[[str], list[str]]:
    from underthesea import sent_tokenize

    sent_tokenize("Khởi động.")  # load its abbreviation table now, not inside a real call
    return sent_tokenize  # type: ignore[no-any-return]


def _align(line: str, sentence: str, pos: int) -> Span:
    """Offsets of ``sentence`` in ``line``, searching from ``pos``.

    sent_tokenize returns stripped substrings, so ``find`` normally hits right after
    whitespace. If it ever rewrites a sentence, consume as many non-space characters as it
    has: boundaries may then shift, but no character is lost or covered twice.
    """
    found = line.find(sentence, pos)
    if found == pos or (found > pos and line[pos:found].isspace()):
        return found, found + len(sentence)
    need = sum(not c.isspace() for c in sentence)
    i = pos
    while i < len(line) and line[i].isspace():
        i += 1
    start = i
    while need and i < len(line):
        need -= not line[i].isspace()
        i += 1
    return start, i


def _split_line(line: str) -> list[Span]:
    """Sentences of one stripped, non-empty line, as offsets into it."""
    pieces: list[Span] = []
    pos = 0
    for sentence in _sent_tokenize()(line):
        start, end = _align(line, sentence, pos)
        if start == end:
            continue
        # No space after the cut ("www.example", "1.2.Quy định") means no sentence end.
        if pieces and (start == pieces[-1][1] or _ENUMERATOR.fullmatch(line, *pieces[-1])):
            pieces[-1] = (pieces[-1][0], end)
        else:
            pieces.append((start, end))
        pos = end
    rest = line[pos:]
    if rest.strip():
        pieces.append((len(line) - len(rest.lstrip()), len(line)))
    return pieces


def sentence_spans(text: str) -> list[Span]:
    """Sentence (and line) boundaries of ``text`` as ``(start, end)`` offsets into ``text``.

    Every line is its own unit (clauses, points and ``-``/``+`` bullets are lines in legal
    texts) and is further cut by underthesea's ``sent_tokenize``. Spans exclude surrounding
    whitespace, are non-empty, ordered and disjoint; only whitespace lies outside them.
    """
    spans: list[Span] = []
    for m in _LINE.finditer(text):
        raw = m.group()
        line = raw.strip()
        if not line:
            continue
        start = m.start() + len(raw) - len(raw.lstrip())
        if _MAY_SPLIT.search(line):
            spans.extend((start + s, start + e) for s, e in _split_line(line))
        else:
            spans.append((start, start + len(line)))
    return spans


# --- tokens -----------------------------------------------------------------------------

# Document-type codes, longest first so that "TTLT" is not read as "TT". Plain "D" for "Đ"
# is accepted (ND, QD) because users and scraped texts write it.
_TYPES = "UBTVQH|TTLT|NQLT|VBHN|HĐBT|HDBT|NĐ|ND|QĐ|QD|NQ|TTg|TT|CT|CĐ|QH|PL|SL|HD|KH|TB|BC|CV|CP|L"
_SEG = r"[A-Za-zĐđð]+\d*"
_DOC_CODE = re.compile(
    r"(?<![\w/.-])"
    # 15/2020/NĐ-CP, 45/2019/QH14, 131/QĐ-TTg, 18-NQ/TW
    r"(?:\d+(?:/\d{4})?[-/](?:" + _TYPES + r")\d*(?:[-/]" + _SEG + r")*"
    r"|(?:" + _TYPES + r")[-/]" + _SEG + r"(?:[-/]" + _SEG + r")*"  # NĐ-CP, NQ/TW
    r")(?![\w-])",
    re.IGNORECASE,
)
_CODE_PARTS = re.compile(r"([-/])")
# ASCII spellings of code parts that are written with Đ; only whole parts are mapped, so
# e.g. "UBND" or "HD" (hướng dẫn) are left alone.
_D_TO_DJ = {
    p.replace("đ", "d"): p for p in ("nđ", "qđ", "hđbt", "hđnd", "hđtp", "bgdđt", "blđtbxh", "bkhđt", "tlđ")
}
_HAS_WORD = re.compile(r"[^\W_]")


def _canonical_code(code: str) -> str:
    parts = _CODE_PARTS.split(code.lower().replace("ð", "đ"))
    return "".join(_D_TO_DJ.get(p, p) for p in parts)


@once
def _word_tokenize() -> Callable[[str], list[str]]:
    from underthesea import word_tokenize

    word_tokenize("khởi động")  # load the CRF model now, not inside the first real call
    return word_tokenize  # type: ignore[no-any-return]


def load_models() -> None:
    """Load underthesea's sentence and word models now (the service does so before it is ready)."""
    _sent_tokenize()
    _word_tokenize()


def _word_tokens(text: str, out: list[str]) -> None:
    if not text.strip():
        return
    for word in _word_tokenize()(text):
        # "TP." and "II." should meet "TP" and "II" in queries.
        token = word.replace(" ", "_").lower().strip(".")
        if _HAS_WORD.search(token):
            out.append(token)


def tokenize(text: str) -> list[str]:
    """Lexical tokens of a document text or query (same function for both)."""
    text = match_form(text)
    tokens: list[str] = []
    pos = 0
    # Segment the text between document numbers separately so that the CRF cannot glue a
    # number to its neighbours and underthesea cannot cut it apart.
    for m in _DOC_CODE.finditer(text):
        _word_tokens(text[pos : m.start()], tokens)
        tokens.append(_canonical_code(m.group()))
        pos = m.end()
    _word_tokens(text[pos:], tokens)
    return tokens


def tokenize_many(texts: Sequence[str], workers: int = 1) -> list[list[str]]:
    """``tokenize`` over many texts, optionally in ``workers`` processes (order kept)."""
    if workers <= 1 or len(texts) < 2 * workers:
        return [tokenize(t) for t in texts]
    _word_tokenize()  # load the model once here so that forked workers inherit it
    chunksize = max(1, len(texts) // (workers * 8))
    with ProcessPoolExecutor(max_workers=workers) as pool:
        return list(pool.map(tokenize, texts, chunksize=chunksize))
