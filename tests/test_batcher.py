from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest

from api.service.batcher import QueryBatcher
from ingest.embedding.embed import Embedder

QUESTIONS = [
    "Người lao động được nghỉ hằng năm bao nhiêu ngày?",
    "Tết Âm lịch được nghỉ mấy ngày?",
    "Mục tiêu đến năm 2025 về thư viện số là gì?",
    "Hợp đồng vô hiệu thì xử lý thế nào?",
] * 4


def test_concurrent_queries_get_their_own_vectors(embedder: Embedder) -> None:
    batcher = QueryBatcher(embedder)
    with ThreadPoolExecutor(max_workers=8) as pool:
        vectors = list(pool.map(batcher.query, QUESTIONS))
    alone = {q: embedder.query(q) for q in set(QUESTIONS)}
    for question, vector in zip(QUESTIONS, vectors, strict=True):
        # int8 activations are scaled per batch, so a question embedded beside others moves
        # slightly; it must stay itself, and far from the other questions.
        assert float(vector @ alone[question]) > 0.98
        assert all(float(vector @ alone[q]) < 0.97 for q in alone if q != question)
    assert np.array_equal(batcher.query(QUESTIONS[0]), alone[QUESTIONS[0]]), "a lone query is exact"


class Broken:
    name = "broken"

    def queries(self, texts: list[str]) -> np.ndarray:
        raise RuntimeError("model failed")


def test_a_failing_batch_fails_its_requests_not_the_worker() -> None:
    batcher = QueryBatcher(Broken())  # type: ignore[arg-type]
    for _ in range(2):
        with pytest.raises(RuntimeError, match="model failed"):
            batcher.query("câu hỏi")
