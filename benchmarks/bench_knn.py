"""The KNN recommenders' top-k neighbour weights (chapter 2, issue 21):
:mod:`recdyn.recommenders.knn_top_k` (compiled gather from S^T in tiles, numpy's partition) side by
side with the numpy formulation it replaced (kept here: :func:`numpy_top_k_weights` and
``np.take`` along axis 1 of the similarity rows), in one process.

Case: the chapter 2 online size of the topics environments (1,000 users, 1,700 items, 150,000
ratings), ItemKNN with RecLab's cosine, mean centring and the neighbourhood the default preset's
tuning selects there (k = 50), scoring every user (what the online protocol does after each refit);
k = 250 as a second row (few cells then have more than k raters). One thread; CPU seconds, best of
``--rounds``; the scores of both are compared byte for byte.

Run: ``.venv/bin/python benchmarks/bench_knn.py [--rounds 3]``.
"""

from __future__ import annotations

import argparse
import time
from unittest import mock

import numpy as np

from recdyn.logs import limit_threads
from recdyn.ratings import Ratings
from recdyn.recommenders import knn
from recdyn.recommenders.defaults import RECLAB_DEFAULTS

N_USERS, N_ITEMS, N_RATINGS = 1000, 1700, 150_000


def numpy_top_k_weights(sims: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """The numpy formulation before issue 21's change: float32-rounded int32 keys (zero similarities
    and padding get distinct negative keys), ``np.partition``, the tie rule (more than k keys tied
    at a positive tau: the lower positions first), a boolean product. Returns (weights, tau)."""
    m = sims.shape[-1]
    key = sims.astype(np.float32).view(np.int32)
    np.copyto(key, -1 - np.arange(m, dtype=np.int32), where=key <= 0)
    part = np.partition(key, m - k, axis=-1)
    tau = part[..., m - k]
    over = (tau > 0) & (part[..., :m - k].max(axis=-1) == tau)
    ge = key >= tau[..., None]
    fixed = None
    if over.any():
        rows, t = key[over], tau[over][:, None]
        above, tied = rows > t, rows == t
        need = k - above.sum(axis=1, keepdims=True)
        fixed = np.where(above | (tied & (np.cumsum(tied, axis=1) <= need)), sims[over], 0.0)
    weights = sims * ge
    if fixed is not None:
        weights[over] = fixed
    return weights, tau


def _numpy_weights(sims: np.ndarray, keys: None, k: int) -> np.ndarray:
    weights, tau = numpy_top_k_weights(sims, k)
    sims[...] = weights
    return tau


def planted(seed: int = 0) -> Ratings:
    rng = np.random.default_rng(seed)
    key = rng.choice(N_USERS * N_ITEMS, N_RATINGS, replace=False)
    ratings = np.clip(np.rint(3 + rng.normal(size=N_RATINGS)), 1, 5)
    return Ratings(key // N_ITEMS, key % N_ITEMS, ratings, N_USERS, N_ITEMS)


def score_seconds(model: knn.ItemKNN, rounds: int) -> tuple[float, np.ndarray]:
    best, scores = float("inf"), None
    for _ in range(rounds):
        start = time.process_time()
        scores = model.score_users(np.arange(N_USERS))
        best = min(best, time.process_time() - start)
    return best, scores


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    limit_threads(1)
    data = planted()
    print("| k | numpy s | compiled s | speed-up | scores equal |")
    print("| ---: | ---: | ---: | ---: | --- |")
    for k in (50, 250):
        model = knn.ItemKNN(**{**RECLAB_DEFAULTS["item_knn"], "neighborhood_size": k}).fit(data)
        model.score_users(np.arange(2))  # compile (or load) the kernels outside the timing
        # Before: np.take along axis 1 of the (targets, sources + padding) similarity rows (here every
        # target's row: all items are scored for every user).
        numpy_gather = lambda cols, idx: (np.take(model._sim, idx, axis=1), None)  # noqa: E731
        with mock.patch.object(knn, "gather_keys", numpy_gather), \
                mock.patch.object(knn, "top_k_weights", _numpy_weights):
            before, expected = score_seconds(model, args.rounds)
        after, scores = score_seconds(model, args.rounds)
        print(f"| {k} | {before:.2f} | {after:.2f} | {before / after:.2f}x | {scores.tobytes() == expected.tobytes()} |")


if __name__ == "__main__":
    main()
