"""Which clauses and points an answer shows, on the real texts of the codes in corpus/ and of a
partial national document: lead-ins with their items, lists of alternatives whole or narrowed,
and what a partial text lacks."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from api.answering.answer import bullet
from api.answering.clauses import Evidence, arrange, statement
from api.answering.grounding import content_words
from api.answering.partial import partial_note
from api.retrieval.facts import Verdict, asked_dims
from api.retrieval.index import Document
from api.retrieval.retriever import Hit
from ingest.sources.meta import read_meta
from ingest.structure.parse import parse_units
from ingest.structure.units import DocumentMeta, Unit
from ingest.text.normalize import display_form, normalize_query

from .conftest import FIXTURE_NATIONAL, REPO


@cache
def document(path: Path, meta: DocumentMeta) -> Document:
    text = display_form(path.read_text(encoding="utf-8"))
    doc = Document(meta, [])
    for unit in parse_units(meta.doc_id, text, meta.short_title, meta.number, meta.partial):
        doc.add(unit)
    return doc


def code(doc_id: str) -> Document:
    return document(REPO / "corpus" / f"{doc_id}.txt", DocumentMeta(doc_id, "Bộ luật"))


def unit(doc: Document, label: str) -> Unit:
    return next(u for u in doc.units if u.label == f"{label} Bộ luật")


def evidence(question: str, scores: dict[str, float] | None = None) -> Evidence:
    """The question's words and figure kinds, as the answer reads them; ``scores`` stand for
    the fused scores of retrieval (by label), 0 for the others."""
    known = scores or {}
    words = content_words(normalize_query(question).lower())
    return Evidence(
        words, asked_dims(question), lambda u: (known.get(u.label.removesuffix(" Bộ luật"), 0.0), 0.0)
    )


def shown(bullets: list[Hit]) -> list[tuple[str, list[str]]]:
    return [
        (b.unit.label.removesuffix(" Bộ luật"), [i.label.split(" ")[1] for i in b.items]) for b in bullets
    ]


LAO_DONG = "bo-luat-lao-dong-2019"


def test_a_lead_in_is_shown_with_the_items_under_it() -> None:
    doc = code(LAO_DONG)
    asked = evidence("Người lao động được nghỉ việc riêng hưởng nguyên lương trong những trường hợp nào?")
    bullets = arrange([Hit(unit(doc, "Khoản 1 Điều 115"), 1.0)], {LAO_DONG: doc}, asked, 3)
    assert shown(bullets) == [("Khoản 1 Điều 115", ["a", "b", "c"])]
    text = bullet({LAO_DONG: doc}, bullets[0], asked)
    assert text.startswith("Khoản 1 Điều 115 Bộ luật: Người lao động được nghỉ việc riêng")
    assert "trong trường hợp sau đây: a) Kết hôn: nghỉ 03 ngày; b) Con đẻ, con nuôi kết hôn" in text
    assert text.endswith("con đẻ, con nuôi chết: nghỉ 03 ngày.")


def test_points_under_one_lead_in_make_one_bullet() -> None:
    # Điều 123 BLHS lists 16 aggravating cases: too many to show whole, so the two retrieved.
    doc = code("bo-luat-hinh-su-2015")
    hits = [Hit(unit(doc, "Điểm c khoản 1 Điều 123"), 2.0), Hit(unit(doc, "Điểm a khoản 1 Điều 123"), 2.0)]
    asked = evidence("Giết hai người trở lên, giết phụ nữ có thai bị phạt thế nào?")
    bullets = arrange(hits, {"bo-luat-hinh-su-2015": doc}, asked, 3)
    assert shown(bullets) == [("Khoản 1 Điều 123", ["a", "c"])]
    text = bullet({"bo-luat-hinh-su-2015": doc}, bullets[0], asked)
    assert text.count("thuộc một trong các trường hợp sau đây") == 1
    assert (
        "phạt tù từ 12 năm đến 20 năm, tù chung thân hoặc tử hình: a) Giết 02 người trở lên; c) Giết" in text
    )


def test_alternatives_are_shown_whole_when_the_question_does_not_say_which_applies() -> None:
    doc = code(LAO_DONG)
    asked = evidence("Thời gian thử việc tối đa là bao lâu?")
    bullets = arrange([Hit(unit(doc, "Khoản 1 Điều 25"), 1.0)], {LAO_DONG: doc}, asked, 3)
    assert shown(bullets) == [("Điều 25", ["1", "2", "3", "4"])]
    text = bullet({LAO_DONG: doc}, bullets[0], asked)
    for limit in (
        "1. Không quá 180 ngày",
        "2. Không quá 60 ngày",
        "3. Không quá 30 ngày",
        "4. Không quá 06 ngày",
    ):
        assert limit in text


def test_the_facts_narrow_a_list_to_the_item_that_applies() -> None:
    # A university graduate's job needs "từ cao đẳng trở lên" (khoản 2) and, as a bare
    # minimum, "trung cấp" (khoản 3): the facts rank the tighter one first.
    doc = code(LAO_DONG)
    hits = [
        Hit(unit(doc, "Khoản 2 Điều 25"), 1.0, verdict=Verdict.APPLIES),
        Hit(unit(doc, "Khoản 3 Điều 25"), 1.0, verdict=Verdict.APPLIES),
    ]
    asked = evidence("Kỹ sư tốt nghiệp đại học thử việc tối đa bao nhiêu ngày?")
    bullets = arrange(hits, {LAO_DONG: doc}, asked, 3)
    assert shown(bullets) == [("Khoản 2 Điều 25", [])]
    text = bullet({LAO_DONG: doc}, bullets[0], asked)
    assert "bảo đảm điều kiện sau đây: … Không quá 60 ngày" in text


def test_the_question_s_words_narrow_a_list_to_the_items_it_names() -> None:
    doc = code(LAO_DONG)
    asked = evidence("Con kết hôn thì người lao động được nghỉ mấy ngày?")
    bullets = arrange([Hit(unit(doc, "Điểm a khoản 1 Điều 115"), 1.0)], {LAO_DONG: doc}, asked, 3)
    assert shown(bullets) == [("Điểm b khoản 1 Điều 115", [])]


def test_a_clause_stating_its_rule_before_a_list_is_a_bullet_of_its_own() -> None:
    doc = code("bo-luat-dan-su-2015")
    first = unit(doc, "Khoản 1 Điều 623")
    assert statement(first).startswith("1. Thời hiệu để người thừa kế yêu cầu chia di sản là 30 năm")
    assert not statement(first).endswith(":")
    hits = [Hit(first, 1.0), Hit(unit(doc, "Điểm b khoản 1 Điều 623"), 1.0)]
    asked = evidence("Thời hiệu yêu cầu chia di sản là bao nhiêu năm?")
    bullets = arrange(hits, {"bo-luat-dan-su-2015": doc}, asked, 3)
    # The clause states the term; the two ways an unclaimed estate goes are its short list.
    assert shown(bullets) == [("Khoản 1 Điều 623", []), ("Khoản 1 Điều 623", ["a", "b"])]
    texts = [bullet({"bo-luat-dan-su-2015": doc}, b, asked) for b in bullets]
    assert "là 30 năm đối với bất động sản" in texts[0]
    assert " ".join(texts).count("thì di sản được giải quyết như sau:") == 1


def test_a_unit_stating_the_figure_asked_for_leads_its_article() -> None:
    doc = code(LAO_DONG)
    # Retrieval put the clause on how annual leave is scheduled before the one counting days.
    hits = [Hit(unit(doc, "Khoản 4 Điều 113"), 1.0), Hit(unit(doc, "Khoản 1 Điều 113"), 1.0)]
    asked = evidence("Người lao động được nghỉ hằng năm bao nhiêu ngày?")
    bullets = arrange(hits, {LAO_DONG: doc}, asked, 3)
    assert [label for label, _ in shown(bullets)] == ["Khoản 1 Điều 113", "Khoản 4 Điều 113"]


def test_an_item_that_is_itself_a_lead_in_is_shown_once_with_its_items() -> None:
    # Điều 99 BLLĐ opens a list of three clauses; its khoản 3 opens its own list (points a, b).
    # Retrieved: the article's opening and a point of khoản 3, the clause scoring best.
    doc = code(LAO_DONG)
    hits = [Hit(unit(doc, "Điều 99"), 2.0), Hit(unit(doc, "Điểm a khoản 3 Điều 99"), 1.0)]
    asked = evidence(
        "Ngừng việc vì sự cố về điện thì người lao động được trả lương thế nào?", {"Khoản 3 Điều 99": 1.0}
    )
    bullets = arrange(hits, {LAO_DONG: doc}, asked, 3)
    assert shown(bullets) == [("Khoản 3 Điều 99", ["a", "b"])]
    text = bullet({LAO_DONG: doc}, bullets[0], asked)
    assert not text.endswith(":")
    assert "a) Trường hợp ngừng việc từ 14 ngày làm việc trở xuống" in text


def test_a_sentence_announcing_what_its_own_text_goes_on_with_is_shown_with_it() -> None:
    # Khoản 3 Điều 251 BLHS: the penalty announces points d) to h), which its text holds.
    doc = code("bo-luat-hinh-su-2015")
    asked = evidence("Trồng cây thuốc phiện thu được 300 kilôgam quả thuốc phiện khô bị phạt tù bao lâu?")
    text = bullet({"bo-luat-hinh-su-2015": doc}, Hit(unit(doc, "Khoản 3 Điều 251"), 1.0), asked)
    assert text == (
        "Khoản 3 Điều 251 Bộ luật: Phạm tội thuộc một trong các trường hợp sau đây, thì bị phạt tù "
        "từ 15 năm đến 20 năm: … Quả thuốc phiện khô có khối lượng từ 200 kilôgam đến dưới 600 kilôgam;"
    )


QUY_HOACH = FIXTURE_NATIONAL / "luat-47-2024-qh15.txt"


def partial_doc() -> Document:
    meta = read_meta(QUY_HOACH, QUY_HOACH.read_text(encoding="utf-8"))
    assert meta.partial
    return document(QUY_HOACH, meta)


def test_a_partial_text_that_does_not_state_what_is_asked_says_so() -> None:
    doc = partial_doc()
    docs = {doc.meta.doc_id: doc}
    cited = [Hit(next(u for u in doc.units if u.label.startswith("Điểm a khoản 1 Điều 36")), 1.0)]
    note = partial_note(
        docs, cited, evidence("Lấy ý kiến về nhiệm vụ quy hoạch đô thị trong bao nhiêu ngày?")
    )
    assert note.startswith(
        "Lưu ý: kho tra cứu chỉ có một phần của Luật Quy hoạch đô thị và nông thôn 47/2024/QH15"
    )
    assert "toàn văn Luật Quy hoạch đô thị và nông thôn 47/2024/QH15" in note


def test_a_partial_text_whose_list_lies_in_a_gap_says_so() -> None:
    doc = partial_doc()
    lead = next(u for u in doc.units if u.label.startswith("Khoản 1 Điều 11"))
    asked = evidence("Nguồn lực hỗ trợ hoạt động quy hoạch gồm những gì?")
    assert partial_note({doc.meta.doc_id: doc}, [Hit(lead, 1.0)], asked)


def test_a_partial_text_that_states_what_is_asked_answers_without_a_note() -> None:
    doc = partial_doc()
    term = next(u for u in doc.units if u.label.startswith("Khoản 3 Điều 31"))
    asked = evidence("Thời hạn quy hoạch chung khu kinh tế là bao nhiêu năm?")
    assert partial_note({doc.meta.doc_id: doc}, [Hit(term, 1.0)], asked) == ""
    complete = code(LAO_DONG)
    clause = unit(complete, "Khoản 4 Điều 113")
    assert (
        partial_note({LAO_DONG: complete}, [Hit(clause, 1.0)], evidence("Nghỉ phép năm bao nhiêu ngày?"))
        == ""
    )


def test_a_lead_in_whose_own_amount_applies_leads_with_the_cases_it_leaves_open() -> None:
    # 3 triệu lies in khoản 1's "từ 2.000.000 đồng đến dưới 50.000.000 đồng"; its points are
    # the cases that make a smaller theft a crime, not what the amount needs.
    doc = code("bo-luat-hinh-su-2015")
    hits = [
        Hit(unit(doc, "Khoản 1 Điều 173"), 2.0, verdict=Verdict.APPLIES),
        Hit(unit(doc, "Điểm c khoản 1 Điều 173"), 2.0),
    ]
    asked = evidence("Trộm cắp tài sản 3 triệu đồng bị phạt tù bao lâu?")
    bullets = arrange(hits, {"bo-luat-hinh-su-2015": doc}, asked, 3)
    assert shown(bullets) == [("Khoản 1 Điều 173", ["a", "b", "c", "d"])]
    assert bullets[0].verdict is Verdict.APPLIES
    text = bullet({"bo-luat-hinh-su-2015": doc}, bullets[0], asked)
    assert "phạt tù từ 06 tháng đến 03 năm: a) Đã bị xử phạt vi phạm hành chính" in text
