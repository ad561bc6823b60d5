"""LLORMA's local-training epoch (chapter 2): :func:`recdyn.recommenders.llorma_sgd.sgd_epoch`
(numba) side by side with the torch step it replaced (kept here as the reference), on ML-100K-sized
factors (943 users, 1,682 items) and 150,000 ratings in batches of 1,000, one thread.

Run: ``.venv/bin/python benchmarks/bench_llorma.py [--epochs 3]``. First checks that both give the
same factors after one float64 epoch (up to 1e-10: they sum the dot products in another order),
then prints CPU milliseconds per step (best epoch of ``--epochs``) in float32, the default.
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import torch

from recdyn.logs import limit_threads
from recdyn.recommenders.llorma_sgd import sgd_epoch

SHAPES = [(10, 20), (20, 20)]  # (anchors T, rank r): the thesis' 10 anchors; the library default 20
N_USERS, N_ITEMS, N_RATINGS, BATCH = 943, 1682, 150_000, 1000
LR, DECAY, MIN_SCALE = 0.02, 1.0 - 2.0 * 0.02 * 1e-4, 1e-3


def torch_epoch(p, q, users, items, ratings, weights, batch, lr, decay, scale, min_scale, rank):
    """The torch step of recdyn before issue 21's last stop (llorma.py ``_train_local``)."""
    tp, tq = torch.from_numpy(p), torch.from_numpy(q)
    tu, ti = torch.from_numpy(users), torch.from_numpy(items)
    tr, tw = torch.from_numpy(ratings), torch.from_numpy(weights)
    n, n_anchor = weights.shape
    width = n_anchor * rank
    sse = 0.0
    with torch.no_grad():
        for start in range(0, n, batch):
            stop = min(start + batch, n)
            ub, ib, wb = tu[start:stop], ti[start:stop], tw[start:stop]
            pu, qi = tp.index_select(0, ub), tq.index_select(0, ib)
            b = stop - start
            local = (pu * qi).view(b, n_anchor, rank).sum(-1) * (scale * scale)
            err = (wb * local).sum(1) - tr[start:stop]
            sse += float(err.dot(err))
            g = ((2.0 * err)[:, None] * wb)[:, :, None]
            scale *= decay
            tp.index_add_(0, ub, (g * qi.view(b, n_anchor, rank)).view(b, width), alpha=-lr / decay)
            tq.index_add_(0, ib, (g * pu.view(b, n_anchor, rank)).view(b, width), alpha=-lr / decay)
            if scale < min_scale:
                tp.mul_(scale)
                tq.mul_(scale)
                scale = 1.0
    return sse, scale


def problem(n_anchor: int, rank: int, dtype, seed: int = 0):
    rng = np.random.default_rng(seed)
    users = rng.integers(0, N_USERS, N_RATINGS)
    items = rng.integers(0, N_ITEMS, N_RATINGS)
    ratings = rng.integers(1, 6, N_RATINGS).astype(dtype)
    weights = rng.random((N_RATINGS, n_anchor))
    weights = (weights / weights.sum(1, keepdims=True)).astype(dtype)
    p = rng.normal(np.sqrt(3.5 / rank), 0.1, (N_USERS, n_anchor * rank)).astype(dtype)
    q = rng.normal(np.sqrt(3.5 / rank), 0.1, (N_ITEMS, n_anchor * rank)).astype(dtype)
    return p, q, users, items, ratings, weights


def ms_per_step(epoch, n_anchor: int, rank: int, epochs: int) -> float:
    p, q, users, items, ratings, weights = problem(n_anchor, rank, np.float32)
    best = np.inf
    for _ in range(epochs):
        start = time.process_time()
        epoch(p, q, users, items, ratings, weights, BATCH, LR, DECAY, 1.0, MIN_SCALE, rank)
        best = min(best, time.process_time() - start)
    return 1e3 * best / -(-N_RATINGS // BATCH)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=3)
    args = parser.parse_args()
    limit_threads(1)
    print(f"{'T x r':>8} {'max |diff| f64':>15} {'torch ms/step':>14} {'numba ms/step':>14} {'speed-up':>9}")
    for n_anchor, rank in SHAPES:
        a = problem(n_anchor, rank, np.float64)
        b = tuple(x.copy() for x in a)
        torch_epoch(*a, BATCH, LR, DECAY, 1.0, MIN_SCALE, rank)
        sgd_epoch(*b, BATCH, LR, DECAY, 1.0, MIN_SCALE, rank)
        diff = max(np.abs(a[0] - b[0]).max(), np.abs(a[1] - b[1]).max())
        if diff > 1e-10:
            raise SystemExit(f"T={n_anchor} r={rank}: sgd_epoch differs from the torch step by {diff:g}")
        ref = ms_per_step(torch_epoch, n_anchor, rank, args.epochs)
        new = ms_per_step(sgd_epoch, n_anchor, rank, args.epochs)
        print(f"{f'{n_anchor} x {rank}':>8} {diff:>15.2e} {ref:>14.3f} {new:>14.3f} {ref / new:>8.2f}x")


if __name__ == "__main__":
    main()
