"""The sample of the national collection, packed as an archive, indexed with the fixture
corpus by the real model and served: citations say what their text is, filters by type and
by document work."""

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from api.main import create_app
from api.service.settings import Settings
from ingest.settings import IngestSettings


@pytest.fixture(scope="module")
def client(national_settings: IngestSettings) -> Iterator[TestClient]:
    with TestClient(create_app(Settings(**national_settings.model_dump()))) as c:
        yield c


def search(client: TestClient, query: str, **extra: object) -> list[dict[str, object]]:
    response = client.post("/search", json={"query": query, **extra})
    assert response.status_code == 200, response.text
    results: list[dict[str, object]] = response.json()["results"]
    return results


def test_consolidated_citation_names_the_document_its_article_was_enacted_in(client: TestClient) -> None:
    top = search(client, "Đấu giá viên có phải tham gia bảo hiểm trách nhiệm nghề nghiệp không?")[0]
    assert top["doc_id"] == "thong-tu-14-2018-tt-btp"
    assert top["label"] == "Khoản 1 Điều 20 Luật 01/2016/QH14"
    assert top["source_kind"] == "consolidated"
    assert "Pháp điển" in str(top["source"])
    assert top["partial"] is False
    assert top["origin_number"] == "01/2016/QH14"
    assert top["origin_effective"] == "01/07/2017"
    assert "(Điều 20 Luật số" not in str(top["quote"])


def test_partial_quotes_are_flagged(client: TestClient) -> None:
    results = search(
        client,
        "Quy hoạch chung khu kinh tế gồm những nội dung gì?",
        filters={"doc_ids": ["luat-47-2024-qh15"]},
    )
    assert results
    for r in results:
        assert r["partial"] is True
        assert r["source_kind"] == "quotes"
        assert r["origin_number"] is None


def test_promulgated_and_bundled_texts(client: TestClient) -> None:
    alqac = search(
        client, "Thanh niên là công dân từ bao nhiêu tuổi?", filters={"doc_ids": ["luat-57-2020-qh14"]}
    )
    assert alqac[0]["source_kind"] == "promulgated"
    assert alqac[0]["partial"] is False
    bundled = search(client, "nghỉ hằng năm", filters={"doc_ids": ["luat-mau-2020"]})
    assert bundled[0]["source_kind"] is None
    assert bundled[0]["source"] is None


def test_documents_list_says_what_each_text_is(client: TestClient) -> None:
    docs = {d["doc_id"]: d for d in client.get("/documents").json()["documents"]}
    quotes = docs["luat-47-2024-qh15"]
    assert (quotes["partial"], quotes["source_kind"]) == (True, "quotes")
    assert docs["thong-tu-14-2018-tt-btp"]["source_kind"] == "consolidated"
    assert docs["luat-57-2020-qh14"]["source_kind"] == "promulgated"
    assert docs["luat-mau-2020"]["source_kind"] is None


def test_filter_by_document_work(client: TestClient) -> None:
    question = "trách nhiệm nghề nghiệp của đấu giá viên"
    law = search(client, question, filters={"doc_numbers": ["01/2016/QH14"]})
    assert law
    assert {r["origin_number"] for r in law} == {"01/2016/QH14"}
    # The holder's own provisions, written as a user might; the borrowed article is not among them.
    own = search(client, question, filters={"doc_numbers": [" 14/2018/tt-btp"]})
    assert own
    assert {r["origin_number"] for r in own} == {"14/2018/TT-BTP"}
    both = search(client, question, filters={"doc_numbers": ["01/2016/QH14", "57/2020/QH14"]})
    assert {r["doc_id"] for r in both} <= {"thong-tu-14-2018-tt-btp", "luat-57-2020-qh14"}


def test_filter_by_document_type(client: TestClient) -> None:
    results = search(client, "hiệu lực thi hành", top_k=20, filters={"doc_types": ["Nghị quyết"]})
    assert {r["doc_id"] for r in results} == {"nghi-quyet-91-2025-ubtvqh15"}


@pytest.mark.parametrize(
    ("filters", "detail"),
    [
        ({"doc_numbers": ["99/2099/QH99"]}, "doc_numbers: '99/2099/QH99'"),
        ({"doc_types": ["Sắc lệnh"]}, "doc_types: 'Sắc lệnh'"),
        ({"doc_numbers": [""]}, None),
        ({"doc_numbers": "01/2016/QH14"}, None),
    ],
)
def test_bad_filter_values_are_4xx(
    client: TestClient, filters: dict[str, object], detail: str | None
) -> None:
    for path, body in (("/search", {"query": "đấu giá viên"}), ("/ask", {"question": "đấu giá viên"})):
        response = client.post(path, json={**body, "filters": filters})
        assert response.status_code == 422, response.text
        if detail is not None:
            assert detail in response.json()["detail"]


def test_ask_citations_carry_the_flags(client: TestClient) -> None:
    body = client.post(
        "/ask",
        json={
            "question": "Lấy ý kiến về nhiệm vụ quy hoạch đô thị và nông thôn",
            "filters": {"doc_types": ["Luật"]},
        },
    ).json()
    assert body["citations"]
    quoted = [c for c in body["citations"] if c["doc_id"] == "luat-47-2024-qh15"]
    assert quoted
    assert all(c["partial"] and c["source_kind"] == "quotes" for c in quoted)
