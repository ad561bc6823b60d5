"""The bandit learners' covariance downdate ``Sigma -= a b^T`` (chapter 4, Sherman-Morrison):
:func:`recdyn.twostage.policies.rank_one_downdate` side by side with the numpy expression it replaces,
for the shapes of the default chapter 4 runs (B seeds x N nominators matrices of s x s).

Run: ``.venv/bin/python benchmarks/bench_rank_one.py [--repeats 20]``. Checks that both give the same
bits before timing (CPU seconds of one thread, so a busy machine changes little).
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from recdyn.logs import limit_threads
from recdyn.twostage.policies import TORCH_MIN_ENTRIES, rank_one_downdate

SHAPES = [(10, 1, 10), (10, 10, 10), (10, 20, 40), (10, 2, 150), (10, 10, 150), (10, 20, 150)]  # (B, N, s)


def numpy_expression(sigma: np.ndarray, a: np.ndarray, b: np.ndarray) -> None:
    sigma -= a[..., :, None] * b[..., None, :]


def cpu_seconds(fn, sigma: np.ndarray, a: np.ndarray, b: np.ndarray, repeats: int) -> float:
    start = time.process_time()
    for _ in range(repeats):
        fn(sigma, a, b)
    return (time.process_time() - start) / repeats


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=20)
    args = parser.parse_args()
    limit_threads(1)
    rng = np.random.default_rng(0)
    print(f"{'B x N x s x s':>20} {'entries':>9} {'path':>6} {'numpy us':>9} {'recdyn us':>10} {'speed-up':>8}")
    for batch, comps, s in SHAPES:
        sigma = rng.standard_normal((batch, comps, s, s))
        a, b = rng.standard_normal((batch, comps, s)), rng.standard_normal((batch, comps, s))
        left, right = sigma.copy(), sigma.copy()
        numpy_expression(left, a, b)
        rank_one_downdate(right, a, b)
        if not np.array_equal(left, right):
            raise SystemExit(f"{(batch, comps, s)}: rank_one_downdate differs from the numpy expression")
        reps = max(3, args.repeats * 450_000 // sigma.size)
        ref = cpu_seconds(numpy_expression, sigma.copy(), a, b, reps)
        new = cpu_seconds(rank_one_downdate, sigma.copy(), a, b, reps)
        path = "torch" if sigma.size >= TORCH_MIN_ENTRIES else "numpy"
        print(f"{f'{batch} x {comps} x {s} x {s}':>20} {sigma.size:>9} {path:>6} {ref * 1e6:>9.1f} {new * 1e6:>10.1f} "
              f"{ref / new:>7.2f}x")


if __name__ == "__main__":
    main()
