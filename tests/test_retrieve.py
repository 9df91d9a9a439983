"""Per-query rescaling and selection of scores, most of which tie at the floor."""

import numpy as np

from api.retrieval.scores import best, top_norm


def _tied_scores(seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    scores = rng.random(2000).astype(np.float32)
    return np.where(rng.random(2000) < 0.9, 0.0, scores).astype(np.float32)  # 90% tie at 0


def test_the_kth_best_is_the_floor_as_numpy_partition_says() -> None:
    for seed in range(20):
        x = _tied_scores(seed)
        for k in (1, 50, 200, 1999):
            floor = np.partition(x, -k)[-k]
            spread = x.max() - floor
            expected = np.clip((x - floor) / spread, 0, None) if spread > 0 else np.zeros_like(x)
            assert np.allclose(top_norm(x, k), expected)


def test_the_best_positions_best_first_even_among_ties() -> None:
    x = _tied_scores(1)
    x[:5] = -np.inf  # outside a filter
    for n in (10, 300, 1990):
        chosen = best(x, n)
        assert len(set(chosen.tolist())) == n
        assert (x[chosen] == np.sort(x)[::-1][:n]).all()
