import re
import unicodedata
from pathlib import Path

import pytest

from ingest.index.documents import read_document
from ingest.structure.parse import parse_units
from ingest.structure.units import Unit
from ingest.text.normalize import display_form, match_form

FIXTURES = Path(__file__).parent / "fixtures" / "corpus"
CORPUS = Path(__file__).parent.parent / "corpus"
CODES = {
    "bo-luat-dan-su-2015": 689,
    "bo-luat-hang-hai-viet-nam-2015": 341,
    "bo-luat-hinh-su-2015": 426,
    "bo-luat-lao-dong-2019": 220,
    "bo-luat-to-tung-dan-su-2015": 517,
    "bo-luat-to-tung-hinh-su-2015": 510,
}


def paths(units: list[Unit]) -> list[list[tuple[str, str]]]:
    return [list(u.path) for u in units]


def assert_partition(units: list[Unit], text: str) -> None:
    pos = 0
    for unit in units:
        assert unit.start == pos, f"gap or overlap before unit {unit.ordinal}"
        assert unit.end > unit.start
        pos = unit.end
    assert pos == len(text)
    assert "".join(text[u.start : u.end] for u in units) == text


@pytest.fixture(scope="module")
def law() -> list[Unit]:
    return read_document(FIXTURES / "luat-mau-2020.txt").units


@pytest.fixture(scope="module")
def decision() -> list[Unit]:
    return read_document(FIXTURES / "qd-mau-2023.txt").units


def test_law_structure_down_to_points(law: list[Unit]) -> None:
    point = next(u for u in law if u.path[-1:] == (("diem", "đ"),))
    assert point.path == (("chuong", "II"), ("muc", "2"), ("dieu", "5"), ("khoan", "1"), ("diem", "đ"))
    assert point.label == "Điểm đ khoản 1 Điều 5 Luật Nghỉ phép mẫu 2020"
    assert point.heading == "Điều 5. Nghỉ lễ, tết"
    assert point.text == "đ) Quốc khánh: 02 ngày."
    assert point.intro.startswith("1. Người lao động được nghỉ làm việc")
    assert point.breadcrumbs == [
        "Chương II THỜI GIỜ NGHỈ NGƠI",
        "Mục 2. NGHỈ LỄ, TẾT",
        "Điều 5. Nghỉ lễ, tết",
    ]


def test_multi_paragraph_clause_stays_one_unit(law: list[Unit]) -> None:
    clause = next(u for u in law if u.path[-2:] == (("dieu", "3"), ("khoan", "2")))
    assert clause.text.endswith("thanh toán tiền lương cho những ngày chưa nghỉ.")
    assert clause.text.count("\n") == 1


def test_quoted_article_in_amending_clause_is_not_a_heading(law: list[Unit]) -> None:
    articles = [u.path[-1][1] for u in law if u.kind == "dieu"]
    assert articles == ["1", "2", "3", "4", "5"]
    clause = next(u for u in law if u.path[-2:] == (("dieu", "4"), ("khoan", "1")))
    assert "“Điều 7. Quyền của công đoàn" in clause.text
    assert "2. Tham gia thương lượng tập thể.”" in clause.text
    # The quote's own "2." must not have been taken for khoản 2 of Điều 4.
    second = next(u for u in law if u.path[-2:] == (("dieu", "4"), ("khoan", "2")))
    assert second.text == "2. Bãi bỏ khoản 3 Điều 8 của Luật Công đoàn."


def test_heading_split_across_lines_and_reference_lines(law: list[Unit]) -> None:
    chapter = next(u for u in law if u.path == (("chuong", "II"),))
    assert chapter.heading == "Chương II THỜI GIỜ NGHỈ NGƠI"
    assert not chapter.searchable
    reference = next(u for u in law if u.path[-2:] == (("dieu", "5"), ("khoan", "2")))
    assert reference.text.startswith("2. Theo quy định tại Điều 3")


def test_preamble_and_closing_are_kept_but_not_searchable(law: list[Unit]) -> None:
    assert law[0].kind == "preamble"
    assert law[-1].kind == "closing"
    assert "CHỦ TỊCH QUỐC HỘI" in law[-1].text
    assert not law[0].searchable
    assert not law[-1].searchable


def test_decision_paths_use_muc_and_tieu_muc(decision: list[Unit]) -> None:
    found = paths(decision)
    assert [("dieu", "1"), ("muc", "II"), ("tieu_muc", "2"), ("diem", "a")] in found
    assert [("dieu", "1"), ("muc", "II"), ("tieu_muc", "2"), ("diem", "b")] in found
    point = next(u for u in decision if u.path[-1:] == (("diem", "a"),))
    assert point.label == "Điểm a tiểu mục 2 Mục II Điều 1 Quyết định 77/QĐ-TTg"
    assert point.heading == "2. Mục tiêu đến năm 2025"
    assert "- 40% trường tiểu học có thư viện số." in point.text
    # A trailing "[...]" marks omitted text; it is in the span but not in the quote.
    b = next(u for u in decision if u.path[-1:] == (("diem", "b"),))
    assert not b.text.endswith("[...]")


def test_decision_unlabelled_subheadings_are_units(decision: list[Unit]) -> None:
    subs = [u for u in decision if u.kind == "subhead"]
    assert [u.heading for u in subs] == ["Đầu tư máy chủ và đường truyền", "Đào tạo người dùng"]
    assert all(u.path == (("dieu", "1"), ("muc", "III"), ("tieu_muc", "2")) for u in subs)
    last = decision[-1]
    assert last.path == (("dieu", "2"),)
    assert last.searchable, "a one-sentence article is content"


@pytest.mark.parametrize("name", ["luat-mau-2020.txt", "qd-mau-2023.txt"])
def test_units_partition_fixture_text(name: str) -> None:
    doc = read_document(FIXTURES / name)
    assert_partition(doc.units, doc.text)


def test_nfd_and_eth_input_parse_like_nfc() -> None:
    source = (FIXTURES / "luat-mau-2020.txt").read_text(encoding="utf-8")
    mangled = unicodedata.normalize("NFD", source).replace("Điều 3.", "\u00d0iều 3.")
    a = parse_units("x", display_form(source), "X")
    b = parse_units("x", display_form(mangled), "X")
    assert paths(a) == paths(b)
    assert [u.start for u in a] == [u.start for u in b]


@pytest.fixture(scope="module")
def bundled() -> dict[str, tuple[str, list[Unit]]]:
    docs = {}
    for path in sorted(CORPUS.glob("*.txt")):
        doc = read_document(path)
        docs[path.stem] = (doc.text, doc.units)
    return docs


def test_every_article_of_the_six_codes_is_found(bundled: dict[str, tuple[str, list[Unit]]]) -> None:
    total = 0
    for doc_id, expected in CODES.items():
        text, units = bundled[doc_id]
        articles = [u for u in units if u.kind == "dieu"]
        numbers = [int(u.path[-1][1]) for u in articles]
        assert numbers == list(range(1, expected + 1)), doc_id
        folded = match_form(text)
        # Headings are exactly the article lines of the text, nothing invented or merged.
        lines = [ln.strip() for ln in folded.split("\n")]
        for unit in articles:
            heading_line = folded[unit.start : text.index("\n", unit.start)].strip()
            assert match_form(unit.heading) == heading_line
            assert re.match(rf"Điều {unit.path[-1][1]}\. \S", heading_line)
        real = [ln for ln in lines if re.match(r"Điều \d+\.", ln)]
        assert len(real) == expected, f"{doc_id}: every 'Điều N.' line start is an article"
        total += len(articles)
    assert total == 2703


def test_bundled_documents_are_partitioned(bundled: dict[str, tuple[str, list[Unit]]]) -> None:
    for text, units in bundled.values():
        assert_partition(units, text)


def test_decision_131_paths(bundled: dict[str, tuple[str, list[Unit]]]) -> None:
    _, units = bundled["qd-131-2022-ttg"]
    found = paths(units)
    assert [("dieu", "1"), ("muc", "II"), ("tieu_muc", "2"), ("diem", "a")] in found
    assert [("dieu", "1"), ("muc", "III"), ("tieu_muc", "3")] in found
    assert [("dieu", "1"), ("muc", "III"), ("tieu_muc", "6")] in found
    target = next(u for u in units if u.path[-1:] == (("diem", "a"),))
    assert "Hơn 50% cơ sở giáo dục đại học cung cấp các chương trình đào tạo" in target.text
