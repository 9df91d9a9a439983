from pathlib import Path

import pytest

from ingest.errors import LoadError
from ingest.sources.meta import header_meta, read_meta
from ingest.text.normalize import display_form

CORPUS = Path(__file__).parent.parent / "corpus"


@pytest.mark.parametrize(
    ("doc_id", "number", "doc_type", "issuer", "issued"),
    [
        ("bo-luat-lao-dong-2019", "45/2019/QH14", "Bộ luật", "Quốc hội", "20/11/2019"),
        ("bo-luat-hinh-su-2015", "100/2015/QH13", "Bộ luật", "Quốc hội", "27/11/2015"),
        ("qd-131-2022-ttg", "131/QĐ-TTg", "Quyết định", "Thủ tướng chính phủ", "25/01/2022"),
    ],
)
def test_header_is_read_when_there_is_no_metadata_file(
    doc_id: str, number: str, doc_type: str, issuer: str, issued: str
) -> None:
    meta = header_meta(doc_id, display_form((CORPUS / f"{doc_id}.txt").read_text(encoding="utf-8")))
    assert (meta.number, meta.doc_type, meta.issuer, meta.issued) == (number, doc_type, issuer, issued)


def test_metadata_file_wins_over_the_header() -> None:
    path = CORPUS / "bo-luat-lao-dong-2019.txt"
    meta = read_meta(path, path.read_text(encoding="utf-8"))
    assert meta.title == "Bộ luật Lao động 2019"
    assert meta.status == "Còn hiệu lực"
    assert meta.effective == "01/01/2021"
    assert meta.short_title == "Bộ luật Lao động 2019"


def test_broken_metadata_file_is_reported_by_name(tmp_path: Path) -> None:
    doc = tmp_path / "van-ban.txt"
    doc.write_text("Điều 1. Phạm vi\nNội dung.\n", encoding="utf-8")
    (tmp_path / "van-ban.meta.json").write_text("{not json", encoding="utf-8")
    with pytest.raises(LoadError, match=r"van-ban\.meta\.json"):
        read_meta(doc, doc.read_text(encoding="utf-8"))
