"""Provisions named in a question: "khoản 2 Điều 35 Bộ luật Lao động", "Điều 113 BLLĐ 2019",
"mục II Quyết định 131". Citizens name provisions this way; when they do, the named provision
is what they want, whatever the wording around it."""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from dataclasses import dataclass

from ingest.structure.units import DocumentMeta

_ARTICLE = re.compile(
    r"(?:điểm\s+(?P<diem>[a-zđ])\s*,?\s*)?(?:khoản\s+(?P<khoan>\d+)\s*,?\s*)?"
    r"điều\s+(?P<dieu>\d+[a-zđ]?)\b"
)
_SECTION = re.compile(r"(?:tiểu\s+mục\s+(?P<tieu_muc>\d+)\s*,?\s*)?mục\s+(?P<muc>[ivxlc]+|\d+)\b")
_WORD = re.compile(r"\w+")
_YEAR = re.compile(r"\s*(?:năm\s+)?\d{4}$")


@dataclass(frozen=True)
class Reference:
    doc_id: str
    path: tuple[tuple[str, str], ...]  # from the article (or decision section) down


def _initials(title: str) -> str:
    return "".join(word[0] for word in title.split() if word[0].isalpha())


def _ascii_d(text: str) -> str:
    return text.replace("đ", "d")


def document_aliases(meta: DocumentMeta) -> set[str]:
    """Lower-case names a citizen may use for a document."""
    title = meta.title.lower()
    bare = _YEAR.sub("", title)
    aliases = {title, bare}
    if bare.startswith("bộ luật "):
        initials = _initials(bare)  # "bộ luật lao động" → "bllđ"
        aliases |= {initials, _ascii_d(initials)}
        year = title[len(bare) :].strip()
        if year:
            aliases |= {f"{initials} {year}", f"{_ascii_d(initials)} {year}"}
    if meta.number:
        number = meta.number.lower()
        aliases |= {number, _ascii_d(number)}
        if meta.doc_type:
            kind, serial = meta.doc_type.lower(), number.split("/")[0]  # "quyết định", "131"
            aliases |= {f"{kind} {serial}", f"{kind} số {serial}", f"{_initials(kind)} {serial}"}
    return {a for a in aliases if len(a) >= 4}


class ReferenceFinder:
    def __init__(self, metas: list[DocumentMeta]) -> None:
        pairs = [(alias, m.doc_id) for m in metas if m.searchable for alias in document_aliases(m)]
        # Longest first, so "bộ luật tố tụng dân sự" wins over anything it contains.
        pairs.sort(key=lambda p: -len(p[0]))
        self._aliases = pairs
        # A national index has ~30,000 aliases: trying each on every question took 0.6 s. An
        # alias can only match where each of its words is a whole word of the question, so
        # each is filed under its rarest word and only those the question has are tried.
        df = Counter(w for alias, _ in pairs for w in set(_WORD.findall(alias)))
        self._by_word: dict[str, list[int]] = defaultdict(list)
        for i, (alias, _) in enumerate(pairs):
            self._by_word[min(_WORD.findall(alias), key=df.__getitem__)].append(i)
        self._patterns: dict[int, re.Pattern[str]] = {}

    def find_document(self, query: str) -> str | None:
        """The document a lower-case, match-form question names, if any."""
        tried = sorted({i for word in set(_WORD.findall(query)) for i in self._by_word.get(word, ())})
        for i in tried:
            pattern = self._patterns.get(i)
            if pattern is None:
                alias = self._aliases[i][0]
                pattern = self._patterns[i] = re.compile(rf"(?<!\w){re.escape(alias)}(?!\w)")
            if pattern.search(query):
                return self._aliases[i][1]
        return None

    def find(self, query: str) -> Reference | None:
        """The provision a lower-case, match-form question names, with its document."""
        doc_id = self.find_document(query)
        if doc_id is None:
            return None
        if m := _ARTICLE.search(query):
            path = [("dieu", m["dieu"])]
            if m["khoan"]:
                path.append(("khoan", m["khoan"]))
            if m["diem"]:
                path.append(("diem", m["diem"]))
            return Reference(doc_id, tuple(path))
        if m := _SECTION.search(query):
            path = [("muc", m["muc"].upper())]
            if m["tieu_muc"]:
                path.append(("tieu_muc", m["tieu_muc"]))
            return Reference(doc_id, tuple(path))
        return None
