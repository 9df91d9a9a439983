"""``python -m ingest report``: parse a collection (no embedding) and account for every document.

A document fails the report when it cannot be read or parsed, when it yields no searchable
unit, or when its structure contradicts its own annotations: a pháp điển source note that
opened no article, or annotation text left inside a unit.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field

from ingest.errors import IngestError
from ingest.index.documents import read_entry
from ingest.sources.collections import Entry
from ingest.structure.units import ParsedDocument

# Text that must never reach a unit: pháp điển notes and cross-references, header lines.
_LEFTOVER = re.compile(
    r"(?m)^\((?:Điều|Chương|Mục|Phần) này có nội dung liên quan"
    r"|^\(Điều \d+[a-zđ]? [^()]*có hiệu lực thi hành kể từ"
    r"|^\[(?:Ghép từ Bộ Pháp điển|Văn bản không đầy đủ)"
)
_NOTE_LINE = re.compile(r"(?m)^\(Điều \d+[a-zđ]? (?!này)[^()\n]*?\bsố\b")


@dataclass
class SourceStats:
    documents: int = 0
    partial: int = 0
    articles: int = 0
    noted_articles: int = 0
    borrowed_articles: int = 0
    units: int = 0
    searchable: int = 0


@dataclass
class ParseReport:
    by_source: dict[str, SourceStats] = field(default_factory=dict)
    failures: list[str] = field(default_factory=list)

    @property
    def total(self) -> SourceStats:
        total = SourceStats()
        for stats in self.by_source.values():
            for name, value in vars(stats).items():
                setattr(total, name, getattr(total, name) + value)
        return total


def check(doc: ParsedDocument) -> list[str]:
    """What is wrong with a parsed document, if anything."""
    problems = []
    if doc.meta.searchable and not any(u.searchable for u in doc.units):
        problems.append("no searchable unit")
    leftovers = sum(bool(_LEFTOVER.search(u.text)) for u in doc.units if u.searchable)
    if leftovers:
        problems.append(f"annotation text inside {leftovers} unit(s)")
    notes = len(_NOTE_LINE.findall(doc.text))
    noted = sum(u.kind == "dieu" and bool(u.origin_note) for u in doc.units)
    if noted < notes:
        problems.append(f"{notes} source notes but {noted} noted articles")
    return problems


def parse_report(entries: list[Entry]) -> ParseReport:
    report = ParseReport()
    for entry in entries:
        try:
            doc = read_entry(entry)
        except IngestError as exc:
            report.failures.append(str(exc))
            continue
        source = doc.meta.source_kind or "unspecified"
        stats = report.by_source.setdefault(source, SourceStats())
        articles = Counter(u.article_key for u in doc.units if u.article is not None)
        stats.documents += 1
        stats.partial += doc.meta.partial
        stats.articles += len(articles)
        stats.noted_articles += len({u.article_key for u in doc.units if u.origin_note})
        stats.borrowed_articles += len({u.article_key for u in doc.units if u.borrowed})
        stats.units += len(doc.units)
        stats.searchable += sum(u.searchable for u in doc.units)
        report.failures.extend(f"{entry.where}: {p}" for p in check(doc))
    return report
