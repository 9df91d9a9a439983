"""Validity read from the texts (excerpts of the national collection), the reviewed table, and
the order of hits it gives."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from typer.testing import CliRunner

from api.eval.validity import app as validity_app
from api.retrieval.index import Document
from api.retrieval.retriever import Hit
from api.retrieval.reviewed import ReviewedTable
from api.retrieval.validity import IN_EFFECT, NOT_YET, PARTLY_EXPIRED, UNKNOWN, WHOLLY_EXPIRED, Validities
from api.service.settings import get_settings
from ingest.settings import IngestSettings
from ingest.structure.units import DocumentMeta, Unit
from ingest.structure.validity import PART, WHOLE, is_validity_heading, read_validity


def test_effective_date_from_the_own_article() -> None:
    # Nghị định 168/2024/NĐ-CP, Điều 53.
    v = read_validity(
        [
            (
                "Khoản 1 Điều 53",
                "1. Nghị định này có hiệu lực thi hành từ ngày 01 tháng 01 năm 2025, trừ quy định tại khoản 2 Điều này.",  # noqa: E501 (a quoted provision)
            ),
            (
                "Khoản 2 Điều 53",
                "2. Quy định tại điểm m khoản 3 Điều 6 ... có hiệu lực thi hành từ ngày 01 tháng 01 năm 2026.",  # noqa: E501 (a quoted provision)
            ),
        ]
    )
    assert (v.effective, v.effective_source, v.replaces) == ("01/01/2025", "Khoản 1 Điều 53", ())


def test_effective_on_signing_takes_the_issue_date() -> None:
    # Nghị định 46/2023/NĐ-CP.
    v = read_validity(
        [
            (
                "Khoản 1",
                "1. Nghị định này có hiệu lực thi hành kể từ ngày ký, trừ trường hợp quy định tại khoản 2 Điều này.",  # noqa: E501 (a quoted provision)
            )
        ],
        "01/07/2023",
    )
    assert v.effective == "01/07/2023"


def test_full_replacement_stated_by_expiry() -> None:
    # Nghị định 162/2017/NĐ-CP, Điều 36.
    text = (
        "2. Nghị định số 92/2012/NĐ-CP ngày 08 tháng 11 năm 2012 của Chính phủ quy định chi tiết và "
        "biện pháp thi hành Pháp lệnh tín ngưỡng, tôn giáo hết hiệu lực kể từ ngày Nghị định này có hiệu lực thi hành."  # noqa: E501 (a quoted provision)
    )
    [r] = read_validity([("Khoản 2 Điều 36", text)]).replaces
    assert (r.number, r.scope, r.source) == ("92/2012/NĐ-CP", WHOLE, "Khoản 2 Điều 36")


def test_full_replacement_names_only_the_replaced_text() -> None:
    # Thông tư 15/2019/TT-BTC: the Quyết định the old circular guides is not replaced.
    text = (
        "1. Thông tư này có hiệu lực thi hành kể từ ngày 01 tháng 6 năm 2019 và áp dụng từ năm tài chính 2019. "  # noqa: E501 (a quoted provision)
        "Thông tư này thay thế Thông tư số 147/2014/TT-BTC ngày 08 tháng 10 năm 2014 về hướng dẫn một số điều "  # noqa: E501 (a quoted provision)
        "của Quyết định số 58/2013/QĐ-TTg ngày 15 tháng 10 năm 2013"
    )
    v = read_validity([("Khoản 1", text)])
    assert v.effective == "01/06/2019"
    assert [(r.number, r.scope) for r in v.replaces] == [("147/2014/TT-BTC", WHOLE)]


def test_partial_repeal() -> None:
    # Nghị định 123/2020/NĐ-CP, Điều 60.
    text = (
        "3. Bãi bỏ khoản 2 và khoản 4 Điều 35 Nghị định số 119/2018/NĐ-CP ngày 12 tháng 9 năm 2018 "
        "của Chính phủ quy định về hóa đơn điện tử kể từ ngày 01 tháng 11 năm 2020."
    )
    assert [(r.number, r.scope) for r in read_validity([("Khoản 3", text)]).replaces] == [
        ("119/2018/NĐ-CP", PART)
    ]


def test_expiry_with_an_exception_is_partial() -> None:
    # Thông tư 01/2018/TT-BYT, Điều 24.
    text = (
        "2. Thông tư số 06/2016/TT-BYT ngày 08 tháng 03 năm 2016 của Bộ trưởng Bộ Y tế quy định ghi nhãn thuốc "  # noqa: E501 (a quoted provision)
        "hết hiệu lực kể từ ngày Thông tư này có hiệu lực thi hành, trừ các nội dung quy định ghi nhãn đối với "  # noqa: E501 (a quoted provision)
        "sinh phẩm chẩn đoán in vitro"
    )
    assert [(r.number, r.scope) for r in read_validity([("Khoản 2", text)]).replaces] == [
        ("06/2016/TT-BYT", PART)
    ]


def test_amending_and_generic_clauses_replace_nothing() -> None:
    # Thông tư 27/2021/TT-BTC: repeals the 2018 amendment, not the 2014 circular it amended;
    # and the usual "if the texts referred to are replaced" clause.
    text = (
        "2. Bãi bỏ Thông tư số 93/2018/TT-BTC ngày 05 tháng 10 năm 2018 của Bộ Tài chính sửa đổi, bổ sung "
        "một số Điều tại Thông tư số 19/2014/TT-BTC ngày 11 tháng 02 năm 2014"
    )
    generic = (
        "3. Trong quá trình thực hiện, nếu các văn bản liên quan dẫn chiếu tại Thông tư này được sửa đổi, "
        "bổ sung hoặc thay thế thì thực hiện theo văn bản được sửa đổi, bổ sung hoặc thay thế."
    )
    v = read_validity([("Khoản 2", text), ("Khoản 3", generic)])
    assert [r.number for r in v.replaces] == ["93/2018/TT-BTC"]


def test_licence_expiry_is_not_the_texts_validity() -> None:
    # Nghị định 23/2023/NĐ-CP, Điều 33: a licence, not a text, expires.
    text = (
        "2. Kể từ ngày Nghị định này có hiệu lực thi hành, Giấy phép thành lập bàn đổi ngoại tệ đã cấp cho "
        "cá nhân tự động hết hiệu lực"
    )
    assert read_validity([("Khoản 2", text)]).replaces == ()
    assert not is_validity_heading("Điều 12. Thời hạn hiệu lực của giấy phép")
    assert is_validity_heading("Điều 53. Hiệu lực thi hành")
    assert is_validity_heading("Điều 90. Điều khoản thi hành")


def _doc(
    doc_id: str, number: str, articles: list[tuple[str, str, list[str]]], issued: str | None = None
) -> Document:
    doc = Document(DocumentMeta(doc_id, f"Nghị định {number}", number, "Nghị định", issued=issued), [])
    for art, heading, texts in articles:
        for text in [heading, *texts]:
            n = len(doc.units)
            path = (("dieu", art),) if text is heading else (("dieu", art), ("khoan", str(n)))
            kind = "dieu" if text is heading else "khoan"
            doc.add(Unit(doc_id, n, path, kind, 0, 0, text, heading, label=f"Khoản {n} Điều {art} {number}"))
    return doc


OLD = _doc(
    "old",
    "100/2019/NĐ-CP",
    [
        ("6", "Điều 6. Xử phạt người điều khiển xe ô tô", ["Phạt tiền từ 800.000 đồng ..."]),
        ("80", "Điều 80. Xử phạt vi phạm về đường sắt", ["Phạt tiền ..."]),
    ],
)
NEW = _doc(
    "new",
    "168/2024/NĐ-CP",
    [
        ("6", "Điều 6. Xử phạt người điều khiển xe ô tô", ["Phạt tiền từ 4.000.000 đồng ..."]),
        (
            "53",
            "Điều 53. Hiệu lực thi hành",
            ["1. Nghị định này có hiệu lực thi hành từ ngày 01 tháng 01 năm 2025."],
        ),
    ],
)
TABLE = Path(__file__).parents[1] / "corpus" / "validity.json"


def _validities(day: date, *docs: Document) -> Validities:
    return Validities({d.meta.doc_id: d for d in docs}, ReviewedTable.load(TABLE), lambda: day)


def test_reviewed_table_row_applies_from_the_successors_date() -> None:
    after = _validities(date(2025, 3, 1), OLD, NEW)
    old = after.of("old")
    assert (old.status, old.source, [s.doc_id for s in old.replaced_by]) == (PARTLY_EXPIRED, "table", ["new"])
    assert "Điều 53" in (old.source_detail or "")
    assert after.of("new").status == IN_EFFECT
    before = _validities(date(2024, 12, 30), OLD, NEW)
    assert (before.of("old").status, before.of("new").status) == (UNKNOWN, NOT_YET)


def test_text_replacement_resolves_across_documents() -> None:
    repealer = _doc(
        "b",
        "2/2021/NĐ-CP",
        [
            (
                "14",
                "Điều 14. Hiệu lực thi hành",
                [
                    "1. Nghị định này có hiệu lực thi hành từ ngày 15 tháng 3 năm 2021.",
                    "2. Nghị định số 10/2005/NĐ-CP ngày 31 tháng 01 năm 2005 của Chính phủ hết hiệu lực kể từ ngày Nghị định này có hiệu lực.",  # noqa: E501 (a quoted provision)
                ],
            )
        ],
    )
    gone = _doc("a", "10/2005/NĐ-CP", [("1", "Điều 1. Phạm vi", ["..."])])
    v = _validities(date(2026, 1, 1), repealer, gone).of("a")
    assert (v.status, v.source, v.source_detail) == (WHOLLY_EXPIRED, "text", "Khoản 2 Điều 14 2/2021/NĐ-CP")
    assert not v.in_force
    assert _validities(date(2021, 1, 1), repealer, gone).of("a").status == UNKNOWN


def _hits(*units: Unit) -> list[Hit]:
    return [Hit(u, 1.0 - i / 10) for i, u in enumerate(units)]


@pytest.mark.parametrize(
    ("question", "old_first"),
    [
        ("Ô tô vượt đèn đỏ bị phạt bao nhiêu?", False),
        ("Năm 2023 ô tô vượt đèn đỏ bị phạt bao nhiêu?", True),  # before the successor
        ("Theo Nghị định 100/2019 ô tô vượt đèn đỏ bị phạt bao nhiêu?", True),  # names the old text
        ("Năm 2026 ô tô vượt đèn đỏ bị phạt bao nhiêu?", False),
    ],
)
def test_replaced_provisions_follow_unless_asked_for(question: str, old_first: bool) -> None:
    v = _validities(date(2026, 12, 7), OLD, NEW)
    ordered = v.order(_hits(OLD.units[1], NEW.units[1]), question)
    assert (ordered[0].unit.doc_id == "old") is old_first
    if not old_first:
        assert ordered[1].replaced_by == ("168/2024/NĐ-CP",)


def test_provisions_a_partial_repeal_keeps_are_not_demoted() -> None:
    v = _validities(date(2026, 12, 7), OLD, NEW)
    railway = OLD.units[3]
    assert v.superseded(railway) is None
    assert v.order(_hits(railway, NEW.units[1]), "Vi phạm đường sắt bị phạt thế nào?")[0].unit is railway


def test_the_leading_document_is_counted_and_the_statuses_reported(
    built_settings: IngestSettings,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    request: pytest.FixtureRequest,
) -> None:
    for name, value in (
        ("VNLAW_CORPUS_DIR", built_settings.corpus_dir),
        ("VNLAW_INDEX_DIR", built_settings.index_dir),
        ("VNLAW_MODEL_DIR", built_settings.model_dir),
    ):
        monkeypatch.setenv(name, str(value))
    # Settings are read once per process: read them again from this environment, and after it.
    get_settings.cache_clear()
    request.addfinalizer(get_settings.cache_clear)
    questions = tmp_path / "questions.jsonl"
    asked = ["Người lao động làm việc đủ 12 tháng được nghỉ hằng năm bao nhiêu ngày?"]
    questions.write_text("".join(f'{{"question": "{q}"}}\n' for q in asked), encoding="utf-8")
    result = CliRunner().invoke(validity_app, [str(questions), "--current", "99/2020/qh14"])
    assert result.exit_code == 0, result.output
    assert "led by 99/2020/qh14: 1/1" in result.output
    # The fixture law's metadata says it is in force.
    assert "'Còn hiệu lực': 1" in result.output
    assert "'meta': 1" in result.output

    # Wide enough that the error box does not wrap the message.
    wide = CliRunner(env={"COLUMNS": "400"})
    missing = wide.invoke(validity_app, [str(tmp_path / "none.jsonl"), "--current", "1/2020/QH14"])
    assert missing.exit_code == 2
    assert "no such file" in missing.output
