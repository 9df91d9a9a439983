"""Collections (folders and zip archives) and the quirks of each source of the national
collection, on a sample of real documents from it (``tests/fixtures/national``)."""

import shutil
import zipfile
from pathlib import Path

import pytest
from typer.testing import CliRunner

from ingest import cli
from ingest.errors import IngestError
from ingest.index.build import build
from ingest.index.documents import BuildFailed, read_document, read_entry
from ingest.index.report import parse_report
from ingest.settings import IngestSettings
from ingest.sources.collections import open_collection, pack
from ingest.structure.units import Unit

NATIONAL = Path(__file__).parent / "fixtures" / "national"
PHAP_DIEN = NATIONAL / "thong-tu-14-2018-tt-btp.txt"  # notes, cross-references, a glued heading
NOTE_THEN_TEXT = NATIONAL / "nghi-quyet-91-2025-ubtvqh15.txt"  # two-line note, text after ")"
QUOTES = NATIONAL / "luat-47-2024-qh15.txt"  # verbatim quotes: gaps, an empty heading
ALQAC = NATIONAL / "luat-57-2020-qh14.txt"  # a complete promulgated law


def units_of(path: Path) -> list[Unit]:
    return read_document(path).units


def by_label(units: list[Unit]) -> dict[str, Unit]:
    return {u.label: u for u in units}


def test_source_notes_are_article_metadata_never_text() -> None:
    units = by_label(units_of(PHAP_DIEN))
    article = units["Điều 1 Thông tư 14/2018/TT-BTP"]
    assert article.text.startswith("Điều 1. Phạm vi điều chỉnh\nBan hành kèm theo Thông tư này")
    assert article.origin_number == "14/2018/TT-BTP"
    assert article.origin_effective == "12/12/2018"
    assert article.origin_note.startswith("Điều 1 Thông tư số 14/2018/TT-BTP Ban hành Quy tắc")
    assert not article.borrowed
    for unit in units.values():
        assert "(Điều" not in unit.text


def test_cross_references_are_dropped_from_units() -> None:
    for path in (PHAP_DIEN, NOTE_THEN_TEXT):
        for unit in units_of(path):
            assert "có nội dung liên quan" not in unit.text
            assert "4.1.LQ" not in unit.text or unit.kind == "dieu"  # only a heading keeps its id


def test_a_heading_glued_to_the_previous_line_opens_the_article_its_note_names() -> None:
    units = by_label(units_of(PHAP_DIEN))
    # The pháp điển filed Điều 20 of Luật 01/2016/QH14 here; it is cited as what it is.
    clause = units["Khoản 1 Điều 20 Luật 01/2016/QH14"]
    assert clause.path == (("dieu", "20"), ("khoan", "1"))
    assert clause.text.startswith("1. Đấu giá viên tham gia bảo hiểm trách nhiệm nghề nghiệp")
    assert clause.borrowed
    assert clause.origin_number == "01/2016/QH14"
    assert clause.origin_effective == "01/07/2017"
    assert clause.heading == "Điều 4.1.LQ.20. Bảo hiểm trách nhiệm nghề nghiệp của đấu giá viên"
    assert clause.article_key != f"{clause.doc_id}#20"
    assert "Bảo hiểm trách nhiệm" not in units["Điều 1 Thông tư 14/2018/TT-BTP"].text
    # The holder's own articles after it are its own again.
    assert not units["Điều 2 Thông tư 14/2018/TT-BTP"].borrowed


def test_text_after_a_note_that_spans_lines_is_the_article_body() -> None:
    (article,) = [u for u in units_of(NOTE_THEN_TEXT) if u.kind == "dieu"]
    assert article.searchable
    body = "Nghị quyết này có hiệu lực thi hành từ ngày được thông qua."
    assert article.text == f"Điều 17. Hiệu lực thi hành\n{body}"
    assert article.origin_effective == "08/07/2025"
    assert "ngày 14 tháng 02 năm 2023" in article.origin_note  # the note's second line


def test_header_lines_are_not_searchable_units() -> None:
    for path in (PHAP_DIEN, NOTE_THEN_TEXT, QUOTES):
        for unit in units_of(path):
            if "[Ghép từ" in unit.text or "[Văn bản không đầy đủ" in unit.text:
                assert unit.kind == "preamble"
                assert not unit.searchable


def test_quotes_jump_between_articles_and_respect_gaps() -> None:
    doc = read_document(QUOTES)
    assert (doc.meta.partial, doc.meta.source_kind) == (True, "quotes")
    articles = [u.article for u in doc.units if u.kind == "dieu"]
    assert articles == ["11", "31", "36"]
    empty = next(u for u in doc.units if u.kind == "dieu" and u.article == "11")
    assert empty.text == "Điều 11."
    assert not empty.searchable
    assert all(not u.text.endswith("[...]") for u in doc.units)


def test_gap_lets_numbering_resume_further_on() -> None:
    from ingest.structure.parse import parse_units

    text = "Điều 3. Giải thích từ ngữ\n1. Một là một.\n[...]\n12. Mười hai là mười hai.\n"
    units = parse_units("x", text, "Luật X", partial=True)
    assert [u.path for u in units if u.kind == "khoan"] == [
        (("dieu", "3"), ("khoan", "1")),
        (("dieu", "3"), ("khoan", "12")),
    ]
    assert units[1].text == "1. Một là một."


def test_complete_law_from_alqac() -> None:
    doc = read_document(ALQAC)
    assert (doc.meta.partial, doc.meta.source_kind) == (False, "promulgated")
    headings = sum(line.startswith("Điều ") for line in doc.text.splitlines())
    assert len({u.article for u in doc.units if u.article}) == headings == 41


@pytest.mark.parametrize("path", sorted(NATIONAL.glob("*.txt")), ids=lambda p: p.stem)
def test_units_partition_every_sample(path: Path) -> None:
    doc = read_document(path)
    assert doc.units[0].start == 0
    assert doc.units[-1].end == len(doc.text)
    for before, after in zip(doc.units, doc.units[1:], strict=False):
        assert before.end == after.start


def test_an_archive_reads_exactly_like_its_folder(tmp_path: Path) -> None:
    archive = tmp_path / "sample.zip"
    assert pack(NATIONAL, archive) == 4
    with zipfile.ZipFile(archive) as z:
        assert all(i.compress_type == zipfile.ZIP_LZMA for i in z.infolist())
        assert sum(i.compress_size for i in z.infolist()) < sum(i.file_size for i in z.infolist()) / 3
    with open_collection(NATIONAL) as folder, open_collection(archive) as packed:
        assert [e.doc_id for e in packed] == [e.doc_id for e in folder]
        for a, b in zip(folder, packed, strict=True):
            da, db = read_entry(a), read_entry(b)
            assert da.content_hash == db.content_hash
            assert da.meta == db.meta
            assert [u.to_dict() for u in da.units] == [u.to_dict() for u in db.units]
            assert db.source == f"sample.zip:{b.name}"


def test_bad_collections_are_refused(tmp_path: Path) -> None:
    nested = tmp_path / "nested.zip"
    with zipfile.ZipFile(nested, "w") as z:
        z.writestr("national/luat-x.txt", "Điều 1. X\nNội dung.\n")
    with pytest.raises(IngestError, match="top of the archive"), open_collection(nested):
        pass
    (tmp_path / "broken.zip").write_bytes(b"not a zip")
    with pytest.raises(IngestError, match="not a readable zip"), open_collection(tmp_path / "broken.zip"):
        pass
    with pytest.raises(IngestError, match="neither a folder"), open_collection(tmp_path / "missing"):
        pass


def test_report_names_every_document_that_fails(tmp_path: Path) -> None:
    folder = tmp_path / "mine"
    shutil.copytree(NATIONAL, folder)
    (folder / "hong.txt").write_bytes(b"\xff\xfe\x00\xd8broken")
    (folder / "rong.txt").write_text("Chỉ một dòng không có điều nào.", encoding="utf-8")
    (folder / "luat-57-2020-qh14.meta.json").write_text('{"source_kind": "khac"}', encoding="utf-8")
    with open_collection(folder) as entries:
        report = parse_report(entries)
    assert report.total.documents == 3
    assert len(report.failures) == 3
    failures = "\n".join(report.failures)
    assert "hong.txt: not valid UTF-16 text" in failures
    assert "rong.txt: no text that could be indexed" in failures
    assert "luat-57-2020-qh14.meta.json: source_kind must be one of" in failures


def test_report_command_counts_per_source_and_exits_1_on_failure(tmp_path: Path) -> None:
    runner = CliRunner()
    result = runner.invoke(cli.app, ["report", str(NATIONAL)])
    assert result.exit_code == 0, result.output
    assert "consolidated" in result.output
    assert "quotes" in result.output
    assert "promulgated" in result.output
    broken = tmp_path / "broken"
    shutil.copytree(NATIONAL, broken)
    (broken / "hong.txt").write_bytes(b"\xff\xfe\x00\xd8broken")
    result = runner.invoke(cli.app, ["report", str(broken)])
    assert result.exit_code == 1
    assert "hong.txt" in result.output


def test_a_doc_id_in_two_places_fails_the_build(fresh_settings: IngestSettings, tmp_path: Path) -> None:
    collection = tmp_path / "mine"
    collection.mkdir()
    shutil.copyfile(fresh_settings.corpus_dir / "luat-mau-2020.txt", collection / "luat-mau-2020.txt")
    settings = fresh_settings.model_copy(update={"collections": [collection]})
    with pytest.raises(BuildFailed, match="luat-mau-2020: several files share this document id"):
        build(settings)


def test_collections_setting_is_comma_separated(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VNLAW_COLLECTIONS", "corpus/collections/national.zip, extra/mine")
    assert IngestSettings().collections == [Path("corpus/collections/national.zip"), Path("extra/mine")]
    monkeypatch.setenv("VNLAW_COLLECTIONS", "")
    assert IngestSettings().collections == []
