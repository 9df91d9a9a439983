"""What a document's own text says about its validity: since when it applies and which earlier
texts it replaces or repeals.

Only the document's hiệu lực / điều khoản thi hành article(s) are read ("Nghị định này có hiệu
lực thi hành từ ngày 01 tháng 01 năm 2025", "Thông tư này thay thế Thông tư số 31/2015/TT-NHNN",
"Nghị định số 92/2012/NĐ-CP ... hết hiệu lực kể từ ngày Nghị định này có hiệu lực", "Bãi bỏ
khoản 2 Điều 35 Nghị định số 119/2018/NĐ-CP"): elsewhere "hết hiệu lực" is a rule's content (a
licence that expires), and an amending law's "sửa đổi, bổ sung một số điều của Luật …" leaves
the law it amends in force.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta

WHOLE = "toàn bộ"
PART = "một phần"

# The subject of an article heading ("Điều 53. Hiệu lực thi hành" → "hiệu lực thi hành") that
# makes it the document's own validity article; "Đánh giá hiệu lực ..." or "Thời hạn hiệu lực
# của giấy phép" are not.
_HEADING = re.compile(
    r"hiệu lực thi hành|điều khoản thi hành|^hiệu lực(?:,| và| của (?:bộ luật|luật|nghị định|"
    r"thông tư|quyết định|nghị quyết|pháp lệnh|chỉ thị|văn bản)\b|$)|này có hiệu lực"
)
_ARTICLE_NUMBER = re.compile(r"^điều\s+\d+[a-zđ]?\s*[.:]?\s*")
_DOC_TYPE = (
    r"(?:Bộ luật|Luật|Pháp lệnh|Nghị định|Nghị quyết(?: liên tịch)?|Thông tư(?: liên tịch)?|"
    r"Quyết định|Chỉ thị|Lệnh|Sắc lệnh)"
)
# The document speaking of itself ("Nghị định này", "Luật này ...") states its own effective date.
_SELF = re.compile(_DOC_TYPE + r"\s+này\b", re.IGNORECASE)
_DATE = r"(\d{1,2})\s*(?:tháng\s*(\d{1,2})\s*năm\s*|/\s*(\d{1,2})\s*/\s*)(\d{4})"
_EFFECTIVE = re.compile(
    r"này\s+(?:chính thức\s+)?có hiệu lực(?:\s+thi hành)?(?:\s+(?:kể\s+)?từ|\s+kể\s+từ)?\s+ngày\s+" + _DATE,
    re.IGNORECASE,
)
_ON_SIGNING = re.compile(
    r"này\s+có hiệu lực(?:\s+thi hành)?\s+(?:(?:kể\s+)?từ\s+ngày|sau\s+(\d+)\s+ngày,?\s+kể\s+từ\s+ngày)"
    r"\s+(?:ký|ban hành)",
    re.IGNORECASE,
)
# A reference to another document by số hiệu: "Nghị định số 100/2019/NĐ-CP", "Thông tư
# 155/2014//TT-BTC", "Pháp lệnh bưu chính, viễn thông số 43/2002/PL- UBTVQH10".
_SUFFIX = r"[A-ZĐ][A-ZĐa-zđ0-9]*(?:-\s?[A-ZĐa-zđ0-9]+)*"
# The words between the type and "số" (a name) never hold another reference or a replacement.
_NAME = r"(?:(?!\bnày\b|thay thế|bãi bỏ|hết hiệu lực)[^;:.()]){0,80}?"
_REFERENCE = re.compile(
    r"(?<![\w/])(" + _DOC_TYPE + r")\b" + _NAME + r"\bsố\s*(\d+[a-zđ]?/\d{4}/+\s?" + _SUFFIX + ")"
    r"|(?<![\w/])(" + _DOC_TYPE + r")\s+(\d+[a-zđ]?/\d{4}/+" + _SUFFIX + ")"
)
# What ends a replacement: after it ("thay thế X", "bãi bỏ X") or before it ("X hết hiệu lực").
_REPLACES_AFTER = re.compile(r"\b(?:thay thế|bãi bỏ|hủy bỏ)\b", re.IGNORECASE)
_EXPIRES_BEFORE = re.compile(r"\bhết hiệu lực\b", re.IGNORECASE)
# Generic clauses that speak of future amendments, not of a replacement made here.
_GENERIC = re.compile(r"sửa đổi, bổ sung hoặc thay thế|được thay thế bằng|thì (?:thực hiện|áp dụng) theo")
# A replacement of parts of the text: a provision is named before the document, or one is excepted.
_PARTS = re.compile(r"\b(?:điều|khoản|điểm|chương|mục|phụ lục|phần|nội dung|quy định|các quy định)\b", re.I)
_EXCEPT = re.compile(r"\btrừ\b", re.IGNORECASE)
# A reference that follows these words describes the one before it ("... hướng dẫn Quyết định
# số 58/2013/QĐ-TTg", "... sửa đổi, bổ sung Thông tư số 19/2014/TT-BTC"): it is not replaced.
_DESCRIBES = re.compile(
    r"(?:của|về|tại|theo|kèm theo|hướng dẫn|thi hành|sửa đổi|bổ sung|quy định|chi tiết|một số điều"
    r"|dẫn chiếu|căn cứ)\s*(?:các\s+|một số điều\s+(?:của\s+)?|cụ thể\s+)?$",
    re.IGNORECASE,
)
_CLAUSE_SPLIT = re.compile(r";\s+|\.\s+(?=[A-ZĐ0-9])")


@dataclass(frozen=True)
class Replacement:
    """An earlier document this one replaces or repeals, wholly or in part."""

    number: str  # số hiệu as written, whitespace removed
    scope: str  # WHOLE or PART
    source: str  # the provision that says so: "Khoản 2 Điều 53 Nghị định ..."


@dataclass(frozen=True)
class TextValidity:
    """What the validity articles say; ``effective`` is dd/mm/yyyy."""

    effective: str | None = None
    effective_source: str | None = None
    replaces: tuple[Replacement, ...] = field(default_factory=tuple)


def is_validity_heading(heading: str) -> bool:
    """Whether an article heading names the document's own hiệu lực / thi hành article."""
    subject = _ARTICLE_NUMBER.sub("", heading.strip().lower()).rstrip(". ")
    return bool(_HEADING.search(subject))


def states_own_validity(text: str) -> bool:
    """Whether an untitled article opens by stating the document's validity ("Điều 3. Quyết
    định này có hiệu lực ...")."""
    head = text[:200]
    return bool(_SELF.search(head)) and "hiệu lực" in head


def _day(d: str, m: str, y: str) -> str | None:
    try:
        return date(int(y), int(m), int(d)).strftime("%d/%m/%Y")
    except ValueError:
        return None


def parse_day(text: str | None) -> date | None:
    """A dd/mm/yyyy date, or None when ``text`` is not one."""
    if not text:
        return None
    try:
        d, m, y = text.strip().split("/")
        return date(int(y), int(m), int(d))
    except ValueError:
        return None


def effective_date(text: str, issued: str | None) -> str | None:
    """The date ``text`` says the document applies from: a calendar date, or the signing date
    (``issued``) plus the days it names."""
    m = _EFFECTIVE.search(text)
    if m is not None:
        return _day(m.group(1), m.group(2) or m.group(3), m.group(4))
    signed = _ON_SIGNING.search(text)
    signed_on = parse_day(issued)
    if signed is not None and signed_on is not None:
        return (signed_on + timedelta(days=int(signed.group(1) or 0))).strftime("%d/%m/%Y")
    return None


def _references(clause: str) -> list[tuple[re.Match[str], str]]:
    found = []
    for m in _REFERENCE.finditer(clause):
        number = m.group(2) or m.group(4)
        found.append((m, re.sub(r"\s+|/(?=/)", "", number)))
    return found


def replacements(clause: str, source: str, trigger: bool = False) -> list[Replacement]:
    """The documents one clause replaces or repeals. ``trigger``: the clause is an item of a
    list that a replacing clause opens ("Thông tư này thay thế các Thông tư:")."""
    if _GENERIC.search(clause):
        return []
    after = _REPLACES_AFTER.search(clause)
    before = _EXPIRES_BEFORE.search(clause)
    if after is not None:
        span = (after.end(), len(clause))
    elif before is not None:
        span = (0, before.start())
    elif trigger:
        span = (0, len(clause))
    else:
        return []
    refs = [(m, n) for m, n in _references(clause) if span[0] <= m.start() < span[1]]
    out: list[Replacement] = []
    boundary = span[0]
    for i, (m, number) in enumerate(refs):
        lead = clause[boundary : m.start()]
        if i > 0 and (_DESCRIBES.search(lead) or "sửa đổi, bổ sung" in lead):
            boundary = m.end()
            continue
        tail_end = refs[i + 1][0].start() if i + 1 < len(refs) else len(clause)
        partial = bool(_PARTS.search(lead)) or bool(_EXCEPT.search(clause[m.end() : tail_end]))
        out.append(Replacement(number, PART if partial else WHOLE, source))
        boundary = m.end()
    return out


def read_validity(provisions: Sequence[tuple[str, str]], issued: str | None = None) -> TextValidity:
    """Validity from the provisions of the validity article(s), in order: (label, text) pairs,
    e.g. ("Khoản 2 Điều 53 Nghị định 168/2024/NĐ-CP", "2. Quy định tại ...")."""
    effective = effective_source = None
    found: dict[str, Replacement] = {}
    opened = False  # the last clause opened a list of replaced documents
    for label, text in provisions:
        if effective is None:
            effective = effective_date(text, issued)
            effective_source = label if effective else None
        is_item = label.lower().startswith("điểm")
        trigger = opened and is_item
        if not is_item:
            opened = text.rstrip().endswith(":") and bool(
                _REPLACES_AFTER.search(text) or _EXPIRES_BEFORE.search(text)
            )
        for clause in _CLAUSE_SPLIT.split(text):
            for r in replacements(clause, label, trigger):
                kept = found.get(r.number)
                # A document wholly replaced in one clause and cut in another is gone.
                if kept is None or (kept.scope == PART and r.scope == WHOLE):
                    found[r.number] = r
    return TextValidity(effective, effective_source, tuple(found.values()))
