"""Read legal document files (.txt, .docx, .html, .pdf) into plain text.

Every failure becomes a ``LoadError`` whose reason an operator can act on: a document that
cannot be read whole is refused rather than indexed with holes in it. Unicode and line
endings are left as found; ``ingest.text.normalize`` owns that.
"""

from __future__ import annotations

import codecs
import io
import re
import struct
import zipfile
import zlib
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

import docx
from bs4 import BeautifulSoup
from bs4.element import NavigableString, PageElement, PreformattedString, Tag
from docx.opc.exceptions import PackageNotFoundError
from docx.oxml.ns import qn
from docx.oxml.xmlchemy import BaseOxmlElement
from lxml.etree import XMLSyntaxError
from pypdf import PasswordType, PdfReader
from pypdf.errors import DependencyError, PyPdfError

from ingest.errors import LoadError


class _Unreadable(Exception):
    """Raised by a reader, which does not know the path; ``read_text`` adds it."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def _decode(data: bytes, encoding: str, name: str) -> str:
    try:
        return data.decode(encoding)
    except UnicodeDecodeError as exc:
        # Replacement characters would slip into quotes and citations unnoticed.
        raise _Unreadable(
            f"not valid {name} text (byte 0x{data[exc.start]:02x} at offset {exc.start})"
        ) from exc
    except LookupError as exc:
        raise _Unreadable(f"unknown charset '{name}'") from exc


# Only UTF-8 and UTF-16 are trusted; the codecs strip the BOM, so offsets stay file offsets.
_BOMS = (
    (codecs.BOM_UTF8, "utf-8-sig", "UTF-8"),
    (codecs.BOM_UTF16_LE, "utf-16", "UTF-16"),
    (codecs.BOM_UTF16_BE, "utf-16", "UTF-16"),
)


def _decode_by_bom(data: bytes) -> str | None:
    for bom, encoding, name in _BOMS:
        if data.startswith(bom):
            return _decode(data, encoding, name)
    return None


def _read_txt(data: bytes) -> str:
    text = _decode_by_bom(data)
    if text is None:
        text = _decode(data, "utf-8", "UTF-8")
    if "\x00" in text:
        raise _Unreadable("contains NUL characters (binary file, or UTF-16 without a BOM?)")
    return text


# --- .docx -----------------------------------------------------------------------------

_W_P = qn("w:p")
_W_TBL = qn("w:tbl")
# Block wrappers whose paragraphs belong to the body at their position: tables, content
# controls and custom-XML tags.
_W_CONTAINERS = frozenset(qn(f"w:{tag}") for tag in ("tbl", "tr", "tc", "sdt", "sdtContent", "customXml"))
# python-docx's Paragraph.text only sees direct runs and hyperlinks, so it would drop text
# inside tracked insertions, fields, smart tags and inline content controls. Text boxes are
# left out (floating letterheads and stamps, stored twice for old Word), as is text that a
# tracked move took away from here (it reappears where it was moved to).
_RUNS_XPATH = "./descendant::w:r[not(ancestor::w:txbxContent or ancestor::w:moveFrom)]"
_DOCX_ERRORS = (
    zipfile.BadZipFile,
    PackageNotFoundError,
    KeyError,  # zip without the parts a Word document needs
    ValueError,  # e.g. a spreadsheet or macro document under a .docx name
    XMLSyntaxError,
    zlib.error,
    EOFError,  # truncated archive member
    RuntimeError,  # zipfile: encrypted member, or (NotImplementedError) unknown compression
)


def _docx_lines(container: BaseOxmlElement, in_table: bool) -> Iterator[str]:
    for child in container.iterchildren():
        if child.tag == _W_P:
            text = "".join(run.text for run in child.xpath(_RUNS_XPATH))
            # Empty cell paragraphs are layout; empty body paragraphs separate blocks.
            if text.strip() or not in_table:
                yield text
        elif child.tag in _W_CONTAINERS:
            yield from _docx_lines(child, in_table or child.tag == _W_TBL)


def _join_blocks(lines: Iterable[str]) -> str:
    """One line per block; runs of blank lines become one, none at the start or end."""
    out: list[str] = []
    for line in lines:
        if line.strip():
            out.append(line)
        elif out and out[-1]:
            out.append("")
    while out and not out[-1]:
        out.pop()
    return "\n".join(out)


def _read_docx(data: bytes) -> str:
    # An OLE container: an old binary .doc renamed, or a password-protected .docx.
    if data.startswith(b"\xd0\xcf\x11\xe0"):
        raise _Unreadable("not a .docx archive (an old .doc, or password-protected?)")
    try:
        body = docx.Document(io.BytesIO(data)).element.body
        return _join_blocks(_docx_lines(body, in_table=False))
    except _DOCX_ERRORS as exc:
        raise _Unreadable(f"corrupt .docx: {exc or type(exc).__name__}") from exc


# --- .html -----------------------------------------------------------------------------

# Browsers only look at the first 1024 bytes; real pages sometimes put scripts first.
_CHARSET_SCAN_BYTES = 8192
_META_CHARSET = re.compile(rb"""<meta\b[^>]*?charset\s*=\s*["']?\s*([\w.:-]+)""", re.IGNORECASE)
# As in browsers (WHATWG Encoding): pages labelled latin-1/ascii are really windows-1252,
# and a meta tag that could be read as ASCII cannot be in UTF-16.
_CHARSET_ALIASES = {
    "iso8859-1": "cp1252",
    "ascii": "cp1252",
    "utf-16": "utf-8",
    "utf-16-le": "utf-8",
    "utf-16-be": "utf-8",
}
_DROP = frozenset({"script", "style", "head", "template", "noscript"})
# Table cells are blocks too, as in the .docx reader: "Điều 1" and its title must not run
# into the neighbouring cell's text.
_BLOCKS = frozenset({
    "address", "article", "aside", "blockquote", "body", "caption", "center", "dd",
    "details", "div", "dl", "dt", "fieldset", "figcaption", "figure", "footer", "form",
    "h1", "h2", "h3", "h4", "h5", "h6", "header", "hr", "html", "li", "main", "nav", "ol",
    "p", "pre", "section", "summary", "table", "tbody", "td", "tfoot", "th", "thead", "tr",
    "ul",
})  # fmt: skip
# &nbsp; is used for indentation and spacing in scraped legal pages, not as content.
_HTML_SPACE = re.compile(r"[ \t\n\r\f\xa0]+")
# A block boundary ends the current line unless it is already empty; <br> always does.
_SOFT_BREAK, _HARD_BREAK = object(), object()


def _decode_html(data: bytes) -> str:
    text = _decode_by_bom(data)
    if text is not None:
        return text
    declared = _META_CHARSET.search(data[:_CHARSET_SCAN_BYTES])
    if declared is None:
        return _decode(data, "utf-8", "UTF-8")
    label = declared.group(1).decode("ascii")
    try:
        encoding = codecs.lookup(label).name
    except LookupError as exc:
        raise _Unreadable(f"unknown charset '{label}'") from exc
    return _decode(data, _CHARSET_ALIASES.get(encoding, encoding), label)


def _html_tokens(root: Tag) -> Iterator[str | object]:
    # An explicit stack, not recursion: scraped pages can nest deeper than Python's limit.
    stack: list[tuple[PageElement, bool]] = [(root, False)]
    while stack:
        node, closing = stack.pop()
        if closing:
            yield _SOFT_BREAK
        elif isinstance(node, NavigableString):
            # Comments, doctypes, CDATA and processing instructions are not page text.
            if not isinstance(node, PreformattedString):
                yield str(node)
        elif not isinstance(node, Tag) or node.name in _DROP:
            continue
        elif node.name == "br":
            yield _HARD_BREAK
        else:
            if node.name in _BLOCKS:
                yield _SOFT_BREAK
                stack.append((node, True))
            stack.extend((child, False) for child in reversed(node.contents))


def _read_html(data: bytes) -> str:
    soup = BeautifulSoup(_decode_html(data), "lxml")
    lines = [""]
    for token in _html_tokens(soup):
        if token is _HARD_BREAK or (token is _SOFT_BREAK and lines[-1].strip()):
            lines.append("")
        elif isinstance(token, str):
            lines[-1] += _HTML_SPACE.sub(" ", token)
    return _join_blocks(re.sub(" {2,}", " ", line).strip() for line in lines)


# --- .pdf ------------------------------------------------------------------------------

# pypdf reports malformed input with whatever the failing line raised, not only its own
# exception classes.
_PDF_ERRORS = (
    PyPdfError,
    DependencyError,  # AES encryption needs the optional 'cryptography' package
    ValueError,
    KeyError,
    IndexError,
    TypeError,
    AttributeError,
    struct.error,
    zlib.error,
    NotImplementedError,  # e.g. an unknown stream filter
    RecursionError,
)


def _read_pdf(data: bytes) -> str:
    try:
        reader = PdfReader(io.BytesIO(data))
        # PdfReader has tried the empty user password, which opens owner-password-only PDFs.
        if reader.is_encrypted and reader.decrypt("") == PasswordType.NOT_DECRYPTED:
            raise _Unreadable("PDF is encrypted with a password")
        pages = [page.extract_text() for page in reader.pages]
        scanned = [
            str(number)
            for number, (page, text) in enumerate(zip(reader.pages, pages, strict=True), start=1)
            if not text.strip() and len(page.images) > 0
        ]
    except _PDF_ERRORS as exc:
        raise _Unreadable(f"corrupt .pdf: {exc or type(exc).__name__}") from exc
    if not "".join(pages).strip():
        raise _Unreadable("PDF has no text layer (scanned?)")
    if scanned:
        # Refuse rather than index a document with its scanned pages silently missing.
        raise _Unreadable(f"no text layer on PDF page {', '.join(scanned)} (scanned?)")
    return "\n".join(pages)


# ---------------------------------------------------------------------------------------

_READERS: dict[str, Callable[[bytes], str]] = {
    ".txt": _read_txt,
    ".docx": _read_docx,
    ".html": _read_html,
    ".htm": _read_html,
    ".pdf": _read_pdf,
}
SUPPORTED_SUFFIXES: frozenset[str] = frozenset(_READERS)


def read_text(path: Path) -> str:
    """The text of a legal document file, or ``LoadError`` saying why there is none."""
    suffix = path.suffix.lower()
    reader = _READERS.get(suffix)
    if reader is None:
        raise LoadError(
            path,
            f"unsupported file type '{suffix}'" if suffix else "unsupported file type (no suffix)",
        )
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise LoadError(path, f"cannot read file: {exc.strerror or exc}") from exc
    try:
        return decode_text(path.name, data)
    except LoadError as exc:
        raise LoadError(path, exc.reason) from exc.__cause__


def decode_text(name: str, data: bytes) -> str:
    """The text of a legal document's bytes, its format told by ``name``'s suffix."""
    suffix = Path(name).suffix.lower()
    reader = _READERS.get(suffix)
    if reader is None:
        raise LoadError(name, f"unsupported file type '{suffix}'")
    if not data.strip():
        raise LoadError(name, "file is empty")
    try:
        text = reader(data)
    except _Unreadable as exc:
        raise LoadError(name, exc.reason) from exc
    if not text.strip():
        raise LoadError(name, "file is empty")
    return text
