"""Document metadata: from ``<stem>.meta.json`` when present, else read off the header."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from ingest.errors import LoadError
from ingest.structure.units import DocumentMeta
from ingest.text.normalize import display_form, match_form

_NUMBER = re.compile(r"(?im)^\s*(?:[^\n:]{0,20}\s)?số\s*:\s*(\S+)")
_DATE = re.compile(r"(?i)ngày\s+(\d{1,2})\s+tháng\s+(\d{1,2})\s+năm\s+(\d{4})")
_TYPES = (
    "BỘ LUẬT", "LUẬT", "NGHỊ ĐỊNH", "NGHỊ QUYẾT", "QUYẾT ĐỊNH", "THÔNG TƯ LIÊN TỊCH",
    "THÔNG TƯ", "CHỈ THỊ", "PHÁP LỆNH", "KẾ HOẠCH", "HIẾN PHÁP", "CÔNG VĂN",
)  # fmt: skip
_NATIONAL_MOTTO = re.compile(r"(?i)cộng hòa xã hội|độc lập\s*-\s*tự do")

# Keys of the corpus' .meta.json files (as published by the source) → our field names.
_META_KEYS = {
    "ten_van_ban": "title",
    "so_hieu_van_ban": "number",
    "loai_van_ban": "doc_type",
    "noi_ban_hanh": "issuer",
    "nguoi_ky": "signer",
    "ngay_ban_hanh": "issued",
    "ngay_hieu_luc": "effective",
    "tinh_trang": "status",
    "linhvuc": "fields",
    "partial": "partial",
    "searchable": "searchable",
    "nguon": "provenance",
    "source_kind": "source_kind",
}
SOURCE_KINDS = ("promulgated", "consolidated", "quotes")
# A collection's provenance line (``nguon``) names its kind of text; checked in this order,
# since a pháp điển text is consolidated whatever else its provenance mentions.
_KIND_HINTS = (
    ("pháp điển", "consolidated"),
    ("hợp nhất", "consolidated"),
    ("consolidated", "consolidated"),
    ("verbatim", "quotes"),
    ("trích dẫn", "quotes"),
    ("promulgated", "promulgated"),
)


def meta_path(doc_path: Path) -> Path:
    return doc_path.with_name(doc_path.stem + ".meta.json")


def read_meta(doc_path: Path, text: str) -> DocumentMeta:
    """Metadata for a document file: its ``.meta.json`` over what its header says."""
    side = meta_path(doc_path)
    try:
        raw = side.read_bytes() if side.exists() else None
    except OSError as exc:
        raise LoadError(side, f"unreadable metadata: {exc}") from exc
    return meta_from(doc_path.stem, text, raw, side.name)


def meta_from(doc_id: str, text: str, raw_meta: bytes | None, meta_name: str) -> DocumentMeta:
    """Metadata from a ``.meta.json``'s bytes (``None`` when absent) over the header's."""
    header = header_meta(doc_id, text)
    if raw_meta is None:
        return header
    try:
        raw: Any = json.loads(raw_meta.decode("utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise LoadError(meta_name, f"unreadable metadata: {exc}") from exc
    if not isinstance(raw, dict):
        raise LoadError(meta_name, "metadata must be a JSON object")
    values = {ours: raw[theirs] for theirs, ours in _META_KEYS.items() if raw.get(theirs) is not None}
    for key, value in values.items():
        if isinstance(value, str):
            values[key] = display_form(value).strip()
    kind = values.get("source_kind") or _kind_of(values.get("provenance"))
    if kind is not None and kind not in SOURCE_KINDS:
        raise LoadError(meta_name, f"source_kind must be one of {', '.join(SOURCE_KINDS)}")
    merged = {**header.to_dict(), **values, "source_kind": kind}
    return DocumentMeta(**merged)


def _kind_of(provenance: object) -> str | None:
    if not isinstance(provenance, str):
        return None
    folded = match_form(provenance).lower()
    return next((kind for hint, kind in _KIND_HINTS if hint in folded), None)


def header_meta(doc_id: str, text: str) -> DocumentMeta:
    """Best-effort metadata from a Vietnamese legal document's header lines."""
    head = display_form(text[:3000])
    lines = [ln.strip() for ln in head.split("\n") if ln.strip()]
    folded = [match_form(ln) for ln in lines]
    number = m.group(1).rstrip(".,;") if (m := _NUMBER.search(head)) else None
    issued = None
    if m := _DATE.search(head):
        issued = f"{int(m.group(1)):02d}/{int(m.group(2)):02d}/{m.group(3)}"
    issuer = lines[0] if lines and lines[0].isupper() and not _NATIONAL_MOTTO.search(lines[0]) else None
    doc_type, title = _type_and_title(lines, folded)
    return DocumentMeta(
        doc_id=doc_id,
        title=title or (f"{doc_type} {number}" if doc_type and number else doc_id),
        number=number,
        doc_type=doc_type,
        issuer=issuer.capitalize() if issuer else None,
        issued=issued,
    )


def _type_and_title(lines: list[str], folded: list[str]) -> tuple[str | None, str | None]:
    for i, line in enumerate(folded[:25]):
        upper = line.upper().rstrip(":")
        kind = next((t for t in _TYPES if upper == t or upper.startswith(t + " ")), None)
        if kind is None or _NATIONAL_MOTTO.search(line) or _NUMBER.match(line):
            continue
        rest = lines[i][len(kind) :].strip(" :")
        # "BỘ LUẬT" / "LAO ĐỘNG" puts the subject on the next line; decisions put a summary there.
        if not rest and i + 1 < len(lines) and lines[i + 1].isupper():
            rest = lines[i + 1]
        doc_type = kind.capitalize()
        title = f"{doc_type} {rest.lower()}".strip() if rest else None
        return doc_type, title
    return None, None
