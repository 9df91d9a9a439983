"""ingest.sources.load on real files of each format, written into tmp_path by the tests themselves."""

from __future__ import annotations

import io
import unicodedata
import zipfile
from pathlib import Path

import docx
import pytest
from docx.oxml import parse_xml
from docx.oxml.ns import nsdecls
from fpdf import FPDF
from PIL import Image
from pypdf import PdfWriter

from ingest.errors import LoadError
from ingest.sources.load import SUPPORTED_SUFFIXES, read_text

ARTICLE = (
    "Điều 1. Phạm vi điều chỉnh\n"
    "1. Bộ luật này quy định tiêu chuẩn lao động; quyền, nghĩa vụ, trách nhiệm của người "
    "lao động.\n"
    "a) Người lao động, người học nghề, người tập nghề và người làm việc không có quan hệ "
    "lao động;"
)
ARTICLE_2 = "Điều 2. Đối tượng áp dụng"

# Fonts known to cover Vietnamese; fonts-dejavu-core is the smallest package with one.
_FONT_NAMES = ("DejaVuSans.ttf", "NotoSans-Regular.ttf", "LiberationSans-Regular.ttf")
_FONT_DIRS = (Path("/usr/share/fonts"), Path("/usr/local/share/fonts"))


def _write(tmp_path: Path, name: str, data: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


def _cp1258(text: str) -> bytes:
    """Encode as windows-1258, which has letters like ư/ơ/â precomposed but tones as marks."""
    tones = "\u0300\u0301\u0303\u0309\u0323"
    out = []
    for char in text:
        decomposed = unicodedata.normalize("NFD", char)
        base = unicodedata.normalize("NFC", "".join(c for c in decomposed if c not in tones))
        out.append(base + "".join(c for c in decomposed if c in tones))
    return "".join(out).encode("cp1258")


def _load_error(path: Path) -> LoadError:
    with pytest.raises(LoadError) as info:
        read_text(path)
    assert info.value.path == path
    assert path.name in str(info.value)
    return info.value


def test_supported_suffixes() -> None:
    assert frozenset({".txt", ".docx", ".html", ".htm", ".pdf"}) == SUPPORTED_SUFFIXES


@pytest.mark.parametrize("suffix", [".doc", ".rtf", ".odt", ""])
def test_unsupported_suffix(tmp_path: Path, suffix: str) -> None:
    error = _load_error(_write(tmp_path, "luat" + suffix, ARTICLE.encode()))
    assert "unsupported file type" in error.reason
    assert suffix in error.reason


def test_suffix_is_case_insensitive(tmp_path: Path) -> None:
    assert read_text(_write(tmp_path, "LUAT.TXT", ARTICLE.encode())) == ARTICLE


def test_missing_file(tmp_path: Path) -> None:
    assert "cannot read file" in _load_error(tmp_path / "khong-co.txt").reason


# --- .txt ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "encoded",
    [
        pytest.param(ARTICLE.encode("utf-8"), id="utf-8"),
        pytest.param(ARTICLE.encode("utf-8-sig"), id="utf-8-bom"),
        pytest.param(b"\xff\xfe" + ARTICLE.encode("utf-16-le"), id="utf-16-le-bom"),
        pytest.param(b"\xfe\xff" + ARTICLE.encode("utf-16-be"), id="utf-16-be-bom"),
    ],
)
def test_txt_encodings(tmp_path: Path, encoded: bytes) -> None:
    assert read_text(_write(tmp_path, "luat.txt", encoded)) == ARTICLE


def test_txt_keeps_line_endings_and_unicode_form(tmp_path: Path) -> None:
    # Normalising is ingest.text.normalize's job; the loader must hand over what it read.
    text = unicodedata.normalize("NFD", ARTICLE).replace("\n", "\r\n") + "\r\n"
    assert read_text(_write(tmp_path, "luat.txt", text.encode("utf-8-sig"))) == text


def test_txt_invalid_utf8(tmp_path: Path) -> None:
    data = "Điều 1. ".encode() + b"\xff" + " Phạm vi".encode()
    error = _load_error(_write(tmp_path, "hong.txt", data))
    assert "not valid UTF-8" in error.reason
    assert "0xff" in error.reason
    assert f"offset {len('Điều 1. '.encode())}" in error.reason


def test_txt_legacy_vietnamese_encoding_is_refused(tmp_path: Path) -> None:
    # windows-1258 bytes happen to be invalid UTF-8; no guessing, no replacement chars.
    error = _load_error(_write(tmp_path, "cu.txt", _cp1258(ARTICLE)))
    assert "not valid UTF-8" in error.reason


def test_txt_invalid_utf16(tmp_path: Path) -> None:
    lone_surrogate = b"\x00\xd8" + "a".encode("utf-16-le")
    data = b"\xff\xfe" + "Điều 1".encode("utf-16-le") + lone_surrogate
    assert "not valid UTF-16" in _load_error(_write(tmp_path, "hong.txt", data)).reason


def test_txt_nul_is_refused(tmp_path: Path) -> None:
    data = ARTICLE.encode() + b"\x00\x00"
    assert "NUL" in _load_error(_write(tmp_path, "nhiphan.txt", data)).reason


def test_txt_utf16_without_bom_is_refused(tmp_path: Path) -> None:
    data = "Dieu 1. Pham vi dieu chinh".encode("utf-16-le")
    assert "NUL" in _load_error(_write(tmp_path, "utf16.txt", data)).reason


@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("rong.txt", b""),
        ("trang.txt", b" \r\n\t\n"),
        ("bom.txt", b"\xef\xbb\xbf"),
        ("bom16.txt", b"\xff\xfe" + " \n".encode("utf-16-le")),
        ("rong.html", b""),
        ("rong.docx", b""),
        ("rong.pdf", b""),
        ("trang.html", b"<html><head><title>Luat</title></head><body> <p>&nbsp;</p></body>"),
    ],
)
def test_empty_file(tmp_path: Path, name: str, data: bytes) -> None:
    assert _load_error(_write(tmp_path, name, data)).reason == "file is empty"


# --- .docx -----------------------------------------------------------------------------


def _save(document: docx.document.Document, path: Path) -> Path:
    document.save(str(path))
    return path


def test_docx_paragraphs_and_table_in_body_order(tmp_path: Path) -> None:
    document = docx.Document()
    document.add_paragraph("")  # leading empty paragraphs separate nothing
    document.add_heading("BỘ LUẬT LAO ĐỘNG", level=1)
    for line in ARTICLE.split("\n"):
        document.add_paragraph(line)
    document.add_paragraph("")
    document.add_paragraph("")
    table = document.add_table(rows=2, cols=2)
    table.cell(0, 0).text = "Mức phạt"
    table.cell(0, 1).text = "Hành vi"
    table.cell(1, 0).text = "Từ 1.000.000 đồng"
    table.cell(1, 1).text = "Không ký hợp đồng"
    table.cell(1, 1).add_paragraph("b) Không trả lương đúng hạn")
    run = document.add_paragraph().add_run(ARTICLE_2)
    run.bold = True  # formatting splits nothing
    document.add_paragraph("")

    text = read_text(_save(document, tmp_path / "luat.docx"))

    assert text == "\n".join(
        [
            "BỘ LUẬT LAO ĐỘNG",
            *ARTICLE.split("\n"),
            "",
            "Mức phạt",
            "Hành vi",
            "Từ 1.000.000 đồng",
            "Không ký hợp đồng",
            "b) Không trả lương đúng hạn",
            ARTICLE_2,
        ]
    )


def test_docx_merged_cells_are_not_repeated(tmp_path: Path) -> None:
    document = docx.Document()
    table = document.add_table(rows=2, cols=3)
    table.cell(0, 0).merge(table.cell(0, 2)).text = "PHỤ LỤC I"
    table.cell(1, 0).merge(table.cell(1, 1)).text = "Danh mục nghề"
    table.cell(1, 2).text = "Ghi chú"

    text = read_text(_save(document, tmp_path / "phuluc.docx"))

    assert text == "PHỤ LỤC I\nDanh mục nghề\nGhi chú"


def test_docx_text_in_tracked_insertions_and_content_controls(tmp_path: Path) -> None:
    # python-docx's Paragraph.text skips runs that are not direct children of w:p.
    document = docx.Document()
    paragraph = document.add_paragraph("1. Người sử dụng lao động ")
    paragraph._p.append(
        parse_xml(
            f'<w:ins {nsdecls("w")} w:id="1" w:author="A" w:date="2024-01-01T00:00:00Z">'
            "<w:r><w:t xml:space='preserve'>phải </w:t></w:r></w:ins>"
        )
    )
    paragraph._p.append(
        parse_xml(
            f"<w:sdt {nsdecls('w')}><w:sdtContent><w:r><w:t>trả lương</w:t></w:r></w:sdtContent></w:sdt>"
        )
    )
    paragraph._p.append(
        parse_xml(
            f"<w:del {nsdecls('w')} w:id='2' w:author='A'><w:r><w:delText> chậm</w:delText></w:r></w:del>"
        )
    )
    document.element.body.insert(
        len(document.element.body) - 1,  # before w:sectPr
        parse_xml(
            f"<w:sdt {nsdecls('w')}><w:sdtContent><w:p><w:r><w:t>{ARTICLE_2}</w:t></w:r>"
            "</w:p></w:sdtContent></w:sdt>"
        ),
    )

    text = read_text(_save(document, tmp_path / "sua.docx"))

    assert text == f"1. Người sử dụng lao động phải trả lương\n{ARTICLE_2}"


def test_docx_random_bytes(tmp_path: Path) -> None:
    data = bytes(range(256)) * 8
    assert "corrupt .docx" in _load_error(_write(tmp_path, "hong.docx", data)).reason


def test_docx_zip_without_word_parts(tmp_path: Path) -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("luat.txt", ARTICLE)
    error = _load_error(_write(tmp_path, "zip.docx", buffer.getvalue()))
    assert "corrupt .docx" in error.reason


def test_docx_truncated(tmp_path: Path) -> None:
    document = docx.Document()
    document.add_paragraph(ARTICLE)
    buffer = io.BytesIO()
    document.save(buffer)
    data = buffer.getvalue()
    data = data[: len(data) // 2]
    assert "corrupt .docx" in _load_error(_write(tmp_path, "cut.docx", data)).reason


def test_docx_old_binary_doc_renamed(tmp_path: Path) -> None:
    data = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(504)
    assert "not a .docx" in _load_error(_write(tmp_path, "cu.docx", data)).reason


# --- .html -----------------------------------------------------------------------------


def test_html_structure(tmp_path: Path) -> None:
    page = f"""<!DOCTYPE html>
<html><head><title>Tiêu đề không lấy</title>
<style>p {{ margin: 0 }}</style>
<script>var dieu = "Điều 99";</script></head>
<body>
  <!-- Điều 98 bị chú thích -->
  <div class="noi-dung">
    <h1>BỘ LUẬT   LAO ĐỘNG</h1>
    <p>Điều 1. <b>Phạm vi</b> <span><i>điều</i>
       chỉnh</span></p>
    <p>1. Bộ luật này&nbsp;&nbsp;quy định<br>a) Người lao động;<br><br>b) Người học nghề;</p>
    <p>&nbsp;</p><p></p><div><div><p>{ARTICLE_2}<br></p></div></div>
    <table><tr><td>Khoản</td><td>Nội dung</td></tr></table>
    <ul><li>Mục 1</li><li><p>Mục 2</p></li></ul>
    <script>document.write("không lấy")</script>
  </div>
</body></html>"""

    text = read_text(_write(tmp_path, "luat.html", page.encode()))

    assert text == "\n".join(
        [
            "BỘ LUẬT LAO ĐỘNG",
            "Điều 1. Phạm vi điều chỉnh",
            "1. Bộ luật này quy định",
            "a) Người lao động;",
            "",
            "b) Người học nghề;",
            ARTICLE_2,
            "Khoản",
            "Nội dung",
            "Mục 1",
            "Mục 2",
        ]
    )


def _html(charset_meta: str, body: str) -> str:
    return f"<html><head>{charset_meta}<title>x</title></head><body>{body}</body></html>"


def test_html_without_declaration_is_utf8(tmp_path: Path) -> None:
    page = f"<p>{ARTICLE_2}</p>"
    assert read_text(_write(tmp_path, "a.htm", page.encode())) == ARTICLE_2


def test_html_declared_utf8(tmp_path: Path) -> None:
    page = _html('<meta charset="UTF-8">', f"<p>{ARTICLE_2}</p>")
    assert read_text(_write(tmp_path, "a.html", page.encode())) == ARTICLE_2


def test_html_declared_windows_1252(tmp_path: Path) -> None:
    # Old Vietnamese pages in a Western code page write what it lacks as entities.
    meta = '<meta http-equiv="Content-Type" content="text/html; charset=windows-1252">'
    page = _html(meta, "<p>\u201cPh&#7841;m vi &#273;i&#7873;u ch&#7881;nh\u201d \u2013 à, é, ô</p>")
    text = read_text(_write(tmp_path, "a.html", page.encode("cp1252")))
    assert text == "\u201cPhạm vi điều chỉnh\u201d \u2013 à, é, ô"


def test_html_declared_latin1_is_read_as_windows_1252(tmp_path: Path) -> None:
    # Browsers do the same; in real latin-1, 0x93/0x94 would be control characters.
    page = _html("<meta charset='ISO-8859-1'>", "<p>Ghi ch\xfa: \x93Xem &#272;i&#7873;u 5\x94</p>")
    text = read_text(_write(tmp_path, "a.html", page.encode("latin-1")))
    assert text == "Ghi chú: \u201cXem Điều 5\u201d"


def test_html_declared_windows_1258(tmp_path: Path) -> None:
    page = _html('<meta charset="windows-1258">', "<p>{}</p>")
    data = page.encode().replace(b"{}", _cp1258(ARTICLE_2))

    text = read_text(_write(tmp_path, "a.html", data))

    # Decoded as written (tone marks combining); NFC is ingest.text.normalize's job.
    assert text != ARTICLE_2
    assert unicodedata.normalize("NFC", text) == ARTICLE_2


def test_html_bom_wins_over_meta(tmp_path: Path) -> None:
    page = _html('<meta charset="windows-1258">', f"<p>{ARTICLE_2}</p>")
    assert read_text(_write(tmp_path, "a.html", page.encode("utf-16"))) == ARTICLE_2


def test_html_bytes_invalid_for_declared_charset(tmp_path: Path) -> None:
    data = _html('<meta charset="utf-8">', "<p>").encode() + _cp1258(ARTICLE_2)
    error = _load_error(_write(tmp_path, "a.html", data))
    assert "not valid utf-8" in error.reason


def test_html_unknown_charset(tmp_path: Path) -> None:
    data = _html('<meta charset="tcvn3">', f"<p>{ARTICLE_2}</p>").encode()
    assert "unknown charset 'tcvn3'" in _load_error(_write(tmp_path, "a.html", data)).reason


# --- .pdf ------------------------------------------------------------------------------


@pytest.fixture
def vietnamese_font() -> Path:
    for directory in _FONT_DIRS:
        for name in _FONT_NAMES:
            found = next(directory.rglob(name), None) if directory.is_dir() else None
            if found is not None:
                return found
    pytest.skip("no Vietnamese-capable TTF font (apt-get install fonts-dejavu-core)")


def _pdf(font: Path, pages: list[str], image_page: bool = False) -> bytes:
    pdf = FPDF()
    pdf.add_font("VN", fname=str(font))
    pdf.set_font("VN", size=12)
    for page in pages:
        pdf.add_page()
        for line in page.split("\n"):
            pdf.multi_cell(0, 8, line, new_x="LMARGIN", new_y="NEXT")
    if image_page:
        pdf.add_page()
        pdf.image(Image.new("L", (200, 300), color=128), x=10, y=10, w=100)
    return bytes(pdf.output())


def _words(text: str) -> str:
    return " ".join(text.split())


def test_pdf_text_layer(tmp_path: Path, vietnamese_font: Path) -> None:
    data = _pdf(vietnamese_font, [ARTICLE, ARTICLE_2])

    text = read_text(_write(tmp_path, "luat.pdf", data))

    # pypdf decides spacing from glyph positions; words, order and diacritics must survive.
    assert _words(text) == _words(ARTICLE + "\n" + ARTICLE_2)
    assert text.index(ARTICLE_2) > text.index("Điều 1.")


def test_pdf_blank_page_has_no_text_layer(tmp_path: Path) -> None:
    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    buffer = io.BytesIO()
    writer.write(buffer)
    error = _load_error(_write(tmp_path, "trang.pdf", buffer.getvalue()))
    assert "no text layer" in error.reason


def test_pdf_with_a_scanned_page_is_refused(tmp_path: Path, vietnamese_font: Path) -> None:
    data = _pdf(vietnamese_font, [ARTICLE], image_page=True)
    error = _load_error(_write(tmp_path, "quet.pdf", data))
    assert "no text layer on PDF page 2" in error.reason


def _encrypted(data: bytes, user_password: str) -> bytes:
    writer = PdfWriter(clone_from=io.BytesIO(data))
    writer.encrypt(user_password=user_password, owner_password="chu", algorithm="RC4-128")
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def test_pdf_encrypted_with_password(tmp_path: Path, vietnamese_font: Path) -> None:
    data = _encrypted(_pdf(vietnamese_font, [ARTICLE]), user_password="mat-khau")
    assert "encrypted" in _load_error(_write(tmp_path, "khoa.pdf", data)).reason


def test_pdf_encrypted_with_owner_password_only(tmp_path: Path, vietnamese_font: Path) -> None:
    # Common for official PDFs: opens without a password, only editing is restricted.
    data = _encrypted(_pdf(vietnamese_font, [ARTICLE]), user_password="")
    assert _words(read_text(_write(tmp_path, "han-che.pdf", data))) == _words(ARTICLE)


@pytest.mark.parametrize(
    "data",
    [
        pytest.param(b"%PDF-1.7\n" + bytes(range(256)) * 4, id="garbage-after-header"),
        pytest.param(b"not a pdf at all", id="no-header"),
    ],
)
def test_pdf_corrupt(tmp_path: Path, data: bytes) -> None:
    error = _load_error(_write(tmp_path, "hong.pdf", data))
    assert "corrupt .pdf" in error.reason


def test_pdf_truncated(tmp_path: Path, vietnamese_font: Path) -> None:
    data = _pdf(vietnamese_font, [ARTICLE])
    error = _load_error(_write(tmp_path, "cut.pdf", data[: len(data) // 3]))
    assert "corrupt .pdf" in error.reason
