"""The service over the bundled corpus, as `make run` serves it.

Builds the repository's own index (what `make index` does; incremental, so a no-op when it
is current) and queries it through the HTTP app.
"""

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from api.main import create_app
from api.service.settings import Settings
from ingest.embedding.embed import Embedder
from ingest.index.build import build

from .conftest import MODEL_DIR, REPO

pytestmark = pytest.mark.slow

SEED = [
    ("Mục tiêu đến năm 2025, hơn 50% cơ sở giáo dục đại học sẽ cung cấp bằng đại học trực tuyến đúng không?",
     [["muc", "II"], ["tieu_muc", "2"]]),
    ("Giải pháp triển khai đồng bộ hệ thống thông tin quản lý giáo dục và đào tạo và cơ sở dữ liệu ngành "
     "giáo dục như thế nào?", [["muc", "III"], ["tieu_muc", "3"]]),
    ("Giải pháp hoàn thiện cơ chế, chính sách thúc đẩy chuyển đổi số và tăng cường giám sát, đánh giá việc "
     "thực hiện cơ chế, chính sách như thế nào?", [["muc", "III"], ["tieu_muc", "6"]]),
]  # fmt: skip


@pytest.fixture(scope="module")
def client(embedder: Embedder) -> Iterator[TestClient]:
    settings = Settings(corpus_dir=REPO / "corpus", index_dir=REPO / "index", model_dir=MODEL_DIR)
    build(settings, embedder_factory=lambda: embedder)
    with TestClient(create_app(settings)) as c:
        yield c


def test_every_document_is_served_with_its_outline(client: TestClient) -> None:
    docs = {d["doc_id"]: d for d in client.get("/documents").json()["documents"]}
    stems = {p.stem for p in (REPO / "corpus").glob("*.txt")}
    assert set(docs) == stems
    codes = [d for d in docs.values() if d["doc_id"].startswith("bo-luat-")]
    assert sum(d["articles"] for d in codes) == 2703
    detail = client.get("/documents/bo-luat-lao-dong-2019").json()
    headings = [i["heading"] for i in detail["outline"] if i["kind"] == "dieu"]
    assert "Điều 113. Nghỉ hằng năm" in headings


@pytest.mark.parametrize(("question", "prefix"), SEED)
def test_seed_questions_find_the_right_section_of_131(
    client: TestClient, question: str, prefix: list
) -> None:
    body = client.post("/ask", json={"question": question, "top_k": 3}).json()
    assert body["abstained"] is False
    paths = [c["path"] for c in body["citations"][:3]]
    assert any(p[1 : 1 + len(prefix)] == prefix for p in paths), paths
    assert body["citations"][0]["doc_number"] == "131/QĐ-TTg"


def test_named_article_of_a_code(client: TestClient) -> None:
    results = client.post("/search", json={"query": "Điều 113 BLLĐ 2019 quy định gì?", "top_k": 3}).json()
    assert results["results"][0]["label"].endswith("Điều 113 Bộ luật Lao động 2019")
    clause = client.post("/search", json={"query": "khoản 2 Điều 35 Bộ luật Lao động"}).json()["results"][0]
    assert clause["label"] == "Khoản 2 Điều 35 Bộ luật Lao động 2019"


@pytest.mark.parametrize(
    ("question", "answered"),
    [
        ("Công thức nấu phở bò Nam Định?", False),
        ("Hạn mức giao đất ở tại nông thôn là bao nhiêu?", False),
        ("Thuế suất thuế giá trị gia tăng đối với hàng hóa thông thường là bao nhiêu?", False),
        ("Người lao động được nghỉ hằng năm bao nhiêu ngày?", True),
        ("Hợp đồng vay tài sản có phải lập thành văn bản không?", True),
    ],
)
def test_only_questions_the_corpus_covers_are_answered(
    client: TestClient, question: str, answered: bool
) -> None:
    body = client.post("/ask", json={"question": question}).json()
    assert body["abstained"] is not answered
    assert bool(body["citations"]) is answered
    if not answered:  # the decline says what the corpus covers
        assert "Bộ luật Lao động 2019" in body["answer"]


def test_the_clause_that_applies_to_the_amount_leads_the_answer(client: TestClient) -> None:
    body = client.post("/ask", json={"question": "Trộm cắp tài sản 3 triệu đồng bị phạt tù bao lâu?"}).json()
    assert body["citations"][0]["label"] == "Khoản 1 Điều 173 Bộ luật hình sự 2015"
    first_line = body["answer"].splitlines()[1]
    assert "phạt tù từ 06 tháng đến 03 năm" in first_line
    assert first_line.endswith("[1]")
    # Clauses for larger amounts (khoản 3: 200-500 triệu) are not what the answer leads with.
    assert "07 năm đến 15 năm" not in first_line


def test_the_answer_states_the_figure_asked_for(client: TestClient) -> None:
    body = client.post("/ask", json={"question": "Làm thêm giờ tối đa bao nhiêu giờ một tháng?"}).json()
    assert "40 giờ trong 01 tháng" in body["answer"]
    labels = [c["label"] for c in body["citations"]]
    assert "Điểm b khoản 2 Điều 107 Bộ luật Lao động 2019" in labels


def test_a_question_about_a_law_the_corpus_lacks_is_declined(client: TestClient) -> None:
    # Custody after divorce is Luật Hôn nhân và gia đình; the Penal Code's "phụ nữ đang nuôi con
    # dưới 36 tháng tuổi" shares the words, not the subject.
    question = "Vợ chồng ly hôn thì con dưới 36 tháng tuổi ở với ai?"
    body = client.post("/ask", json={"question": question}).json()
    assert body["abstained"] is True
    assert body["citations"] == []


def test_an_answer_cites_no_passage_far_weaker_than_the_first(client: TestClient) -> None:
    # Before: a third bullet from Khoản 2 Điều 60 Bộ luật Lao động (reports on training).
    question = "Mục tiêu đến năm 2025 về đào tạo đại học trực tuyến là gì?"
    body = client.post("/ask", json={"question": question}).json()
    labels = [c["label"] for c in body["citations"]]
    assert labels
    assert all("131/QĐ-TTg" in label for label in labels)


def test_a_lead_in_answers_with_the_cases_under_it(client: TestClient) -> None:
    question = "Người lao động được nghỉ việc riêng mà vẫn hưởng nguyên lương trong những trường hợp nào?"
    body = client.post("/ask", json={"question": question}).json()
    first = body["citations"][0]
    assert first["label"] == "Khoản 1 Điều 115 Bộ luật Lao động 2019"
    bullet = body["answer"].splitlines()[1]
    assert "trong trường hợp sau đây: a) Kết hôn: nghỉ 03 ngày; b) Con đẻ, con nuôi kết hôn" in bullet
    # The citation quotes what the bullet shows: the lead-in and its points.
    assert first["quote"].startswith("1. Người lao động được nghỉ việc riêng")
    assert "\nc) Cha đẻ, mẹ đẻ" in first["quote"]


def test_the_limits_of_every_kind_of_job_are_shown_when_the_question_names_none(client: TestClient) -> None:
    body = client.post("/ask", json={"question": "Thời gian thử việc tối đa là bao lâu?"}).json()
    bullet = body["answer"].splitlines()[1]
    assert bullet.startswith("- Điều 25 Bộ luật Lao động 2019:")
    for days in ("180 ngày", "60 ngày", "30 ngày", "06 ngày làm việc"):
        assert days in bullet
