"""The HTTP contract over a real index of the fixture corpus, with the real model."""

import json
import re
import unicodedata
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from api.main import create_app
from api.service.settings import Settings
from ingest.embedding.embed import Embedder
from ingest.index.build import build
from ingest.settings import IngestSettings


@pytest.fixture(scope="module")
def client(built_settings: IngestSettings) -> Iterator[TestClient]:
    settings = Settings(**built_settings.model_dump())
    with TestClient(create_app(settings)) as c:
        yield c


def search(client: TestClient, query: str, **extra: object) -> list[dict[str, object]]:
    response = client.post("/search", json={"query": query, **extra})
    assert response.status_code == 200, response.text
    results: list[dict[str, object]] = response.json()["results"]
    return results


def test_health_and_readiness(client: TestClient) -> None:
    assert client.get("/healthz").json() == {"status": "ok"}
    ready = client.get("/readyz").json()
    assert ready["status"] == "ready"
    assert ready["index_version"]


def test_search_returns_citations_in_the_contract_shape(client: TestClient) -> None:
    results = search(
        client, "Người lao động làm việc đủ 12 tháng được nghỉ hằng năm bao nhiêu ngày?", top_k=5
    )
    assert 1 <= len(results) <= 5
    top = results[0]
    assert set(top) >= {"doc_id", "doc_number", "doc_title", "path", "label", "heading", "quote", "score"}
    assert top["doc_id"] == "luat-mau-2020"
    assert top["doc_number"] == "99/2020/QH14"
    assert top["heading"] == "Điều 3. Nghỉ hằng năm"
    assert ["dieu", "3"] in top["path"]  # type: ignore[operator]
    assert str(top["label"]).endswith("Điều 3 Luật Nghỉ phép mẫu 2020")


def test_decomposed_question_gives_the_same_results(client: TestClient) -> None:
    question = "Người lao động được nghỉ lễ, tết những ngày nào?"
    nfd = unicodedata.normalize("NFD", question)
    assert nfd != question
    assert search(client, nfd) == search(client, question)


def test_named_provision_is_looked_up_directly(client: TestClient) -> None:
    results = search(client, "điểm đ khoản 1 Điều 5 Luật Nghỉ phép mẫu quy định gì?")
    assert results[0]["path"][-1] == ["diem", "đ"]  # type: ignore[index]
    assert results[0]["label"] == "Điểm đ khoản 1 Điều 5 Luật Nghỉ phép mẫu 2020"
    section = search(client, "Mục II Quyết định 77/QĐ-TTg nói gì?")
    assert all(["muc", "II"] in r["path"] for r in section[:2])  # type: ignore[operator]


def test_filters_restrict_documents(client: TestClient) -> None:
    results = search(client, "mục tiêu đến năm 2025", filters={"doc_ids": ["qd-mau-2023"]})
    assert results
    assert {r["doc_id"] for r in results} == {"qd-mau-2023"}
    response = client.post("/search", json={"query": "nghỉ phép", "filters": {"doc_ids": ["khong-co"]}})
    assert response.status_code == 404
    assert "khong-co" in response.json()["detail"]


def test_ask_answers_with_markers_and_citations(client: TestClient) -> None:
    body = client.post("/ask", json={"question": "Người lao động được nghỉ Tết Âm lịch mấy ngày?"}).json()
    assert body["abstained"] is False
    assert body["ranking"] == "first-stage"  # the second stage is off in the tests' settings
    assert "[1]" in body["answer"]
    assert body["citations"]
    markers = {int(m) for m in re.findall(r"\[(\d+)\]", body["answer"])}
    assert markers == set(range(1, len(body["citations"]) + 1))
    assert any("05 ngày" in c["quote"] for c in body["citations"])


@pytest.mark.parametrize(
    ("question", "line"),
    [
        # A point or clause is shown with the sentence it completes ...
        ("điểm b khoản 1 Điều 5 Luật Nghỉ phép mẫu", "lễ, tết sau đây: … Tết Âm lịch: 05 ngày; [1]"),
        ("khoản 1 Điều 2 Luật Nghỉ phép mẫu", "hiểu như sau: … Người lao động là người làm việc"),
        # ... and an article by its text, not by its heading line.
        ("Điều 1 Luật Nghỉ phép mẫu", "Luật Nghỉ phép mẫu 2020: Luật này quy định về thời gian nghỉ"),
    ],
)
def test_answer_lines_say_what_the_provision_says(client: TestClient, question: str, line: str) -> None:
    body = client.post("/ask", json={"question": f"{question} quy định gì?"}).json()
    assert line in body["answer"].splitlines()[1]


def test_ask_streams_server_sent_events(client: TestClient) -> None:
    with client.stream(
        "POST", "/ask", json={"question": "Mục tiêu đến năm 2025 về thư viện số?", "stream": True}
    ) as r:
        assert r.status_code == 200
        assert r.headers["content-type"].startswith("text/event-stream")
        raw = "".join(r.iter_text())
    events = [block for block in raw.split("\n\n") if block.strip()]
    kinds = [block.split("\n")[0] for block in events]
    assert kinds[-1] == "event: done"
    assert kinds.count("event: token") >= 2
    tokens = "".join(json.loads(b.split("data: ", 1)[1])["text"] for b in events[:-1])
    final = json.loads(events[-1].split("data: ", 1)[1])
    assert tokens == final["answer"]
    assert final["citations"][0]["doc_number"] == "77/QĐ-TTg"


def test_follow_up_uses_history(client: TestClient) -> None:
    history = [
        {"role": "user", "content": "Người lao động làm việc đủ 12 tháng được nghỉ hằng năm bao nhiêu ngày?"},
        {"role": "assistant", "content": "12 ngày làm việc [1]"},
    ]
    body = client.post(
        "/ask", json={"question": "Còn người chưa thành niên thì sao?", "history": history}
    ).json()
    assert body["abstained"] is False
    assert body["citations"][0]["heading"] == "Điều 3. Nghỉ hằng năm"


def test_documents_and_outline(client: TestClient) -> None:
    listing = client.get("/documents").json()
    ids = {d["doc_id"] for d in listing["documents"]}
    assert ids == {"luat-mau-2020", "qd-mau-2023"}
    detail = client.get("/documents/qd-mau-2023").json()
    assert detail["number"] == "77/QĐ-TTg"
    paths = [item["path"] for item in detail["outline"]]
    assert [["dieu", "1"], ["muc", "II"], ["tieu_muc", "2"], ["diem", "a"]] in paths
    assert client.get("/documents/khong-co").status_code == 404
    assert client.get("/documents/..%2F..%2Fetc%2Fpasswd").status_code in (404, 422)


@pytest.mark.parametrize(
    ("path", "payload"),
    [
        ("/ask", {"question": ""}),
        ("/ask", {"question": "   \n\t "}),
        ("/ask", {"question": "a" * 2001}),
        ("/ask", {"question": 42}),
        ("/ask", {"question": ["Điều 1"]}),
        ("/ask", {}),
        ("/ask", {"question": "nghỉ phép\u0000"}),
        ("/ask", {"question": "nghỉ phép", "top_k": 0}),
        ("/ask", {"question": "nghỉ phép", "top_k": 100000}),
        ("/ask", {"question": "nghỉ phép", "top_k": "5"}),
        ("/ask", {"question": "nghỉ phép", "stream": "yes"}),
        ("/ask", {"question": "nghỉ phép", "history": [{"role": "system", "content": "x"}]}),
        ("/ask", {"question": "nghỉ phép", "unexpected": 1}),
        ("/search", {"query": "nghỉ phép", "top_k": -1}),
        ("/search", {"query": "nghỉ phép", "filters": {"doc_ids": ["../../etc/passwd"]}}),
    ],
)
def test_bad_input_is_a_4xx_with_detail(client: TestClient, path: str, payload: object) -> None:
    response = client.post(path, json=payload)
    assert 400 <= response.status_code < 500, response.text
    assert response.json()["detail"]


@pytest.mark.parametrize(
    "body",
    [b"{not json", b'{"question": "ngh\xff\xfe"}', b"", b"[]", b"null", b'"question"'],
)
def test_malformed_bodies_are_4xx(client: TestClient, body: bytes) -> None:
    response = client.post("/ask", content=body, headers={"content-type": "application/json"})
    assert 400 <= response.status_code < 500
    assert response.json()["detail"]


def test_metrics_and_openapi(client: TestClient) -> None:
    client.post("/search", json={"query": "nghỉ lễ"})
    metrics = client.get("/metrics").text
    assert "vnlaw_operation_seconds_count" in metrics
    schema = client.get("/openapi.json").json()
    examples = json.dumps(schema["components"]["schemas"]["AskRequest"], ensure_ascii=False)
    assert "Mục tiêu đến năm 2025" in examples
    assert client.get("/docs").status_code == 200


def test_no_index_means_503(tmp_path: Path, built_settings: IngestSettings) -> None:
    settings = Settings(**{**built_settings.model_dump(), "index_dir": tmp_path / "empty"})
    with TestClient(create_app(settings)) as c:
        response = c.post("/search", json={"query": "nghỉ phép"})
        assert response.status_code == 503
        assert response.json()["detail"]
        assert c.get("/readyz").status_code == 503
        assert c.get("/healthz").status_code == 200


def test_documents_no_longer_in_force_can_be_excluded(
    fresh_settings: IngestSettings, embedder: Embedder
) -> None:
    meta = json.dumps(
        {
            "ten_van_ban": "Quyết định mẫu",
            "so_hieu_van_ban": "77/QĐ-TTg",
            "tinh_trang": "Hết hiệu lực toàn bộ",
        }
    )
    (fresh_settings.corpus_dir / "qd-mau-2023.meta.json").write_text(meta, encoding="utf-8")
    build(fresh_settings, embedder_factory=lambda: embedder)
    settings = Settings(**fresh_settings.model_dump())
    with TestClient(create_app(settings)) as c:
        everything = search(c, "thư viện số trong trường học")
        assert everything[0]["doc_id"] == "qd-mau-2023"
        assert everything[0]["status"] == "Hết hiệu lực toàn bộ"
        in_force = search(c, "thư viện số trong trường học", filters={"in_force_only": True})
        assert in_force
        assert {r["doc_id"] for r in in_force} == {"luat-mau-2020"}


def test_an_unexpected_failure_is_a_json_500_a_browser_can_read(built_settings: IngestSettings) -> None:
    settings = Settings(**built_settings.model_dump(), cors_origins="https://trang.example.vn")
    with TestClient(create_app(settings)) as c:

        def broken(*_: object, **__: object) -> None:
            raise RuntimeError("disk on fire")

        c.app.state.holder.require().search = broken  # type: ignore[attr-defined]
        response = c.post(
            "/search", json={"query": "nghỉ hằng năm"}, headers={"Origin": "https://trang.example.vn"}
        )
    assert response.status_code == 500
    assert response.json() == {"detail": "Lỗi máy chủ nội bộ."}
    assert response.headers["access-control-allow-origin"] == "https://trang.example.vn"
    assert "disk on fire" not in response.text
