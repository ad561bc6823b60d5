"""One weighted-ALS refit at ml-100k size (943 x 1682, k = 100, 100,000 and 200,000 ratings).

The CAFL learners of thesis section 3.4 refit a weighted ALS model at every step
(:func:`recdyn.cafl.wals.fit_wals`); this times one refit (``--iters`` sweeps, each an item and
a user half-step, every half-step one batched solve of all k x k normal equations) for both
backends, and one sweep of a per-row reference (a Python loop with ``numpy.linalg.solve`` per
user/item, the shape of the CAFL authors' numba loop) whose factors it checks against.

Data: user-item pairs with a feedback-like skew (item popularity ~ rank^-0.8, so a few items
hold hundreds of ratings), ratings N(3.5, 1) and CAFL-like weights (exponential, mean 1).

    .venv/bin/python benchmarks/bench_wals.py [--ratings 100000,200000] [--iters 10] [--repeats 3]
        [--backends torch,numpy] [--dtypes float64,float32]

(``--backends numpy`` at k = 100 is very slow with a multi-threaded OpenBLAS; it is why
``backend="auto"`` uses torch from k = 48 on.)
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np

from recdyn.cafl.wals import fit_wals

N_USERS, N_ITEMS = 943, 1682


def skewed_data(n: int, seed: int = 0) -> tuple[np.ndarray, ...]:
    rng = np.random.default_rng(seed)
    pop = 1.0 / np.arange(1, N_ITEMS + 1) ** 0.8
    pop /= pop.sum()
    flat = np.unique(rng.integers(0, N_USERS, 3 * n) * N_ITEMS + rng.choice(N_ITEMS, 3 * n, p=pop))
    flat = rng.permutation(flat)[:n]
    return (flat // N_ITEMS, flat % N_ITEMS, rng.normal(3.5, 1.0, n), rng.exponential(1.0, n))


def reference_half_step(rows, cols, values, weights, other, n_rows, reg):
    order = np.argsort(rows, kind="stable")
    bounds = np.searchsorted(rows[order], np.arange(n_rows + 1))
    out = np.zeros((n_rows, other.shape[1]))
    eye = reg * np.eye(other.shape[1])
    for r in range(n_rows):
        idx = order[bounds[r]:bounds[r + 1]]
        if idx.size:
            y = other[cols[idx]]
            yw = y.T * weights[idx]
            out[r] = np.linalg.solve(yw @ y + eye, yw @ values[idx])
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ratings", default="100000,200000")
    parser.add_argument("--latent-dim", type=int, default=100)
    parser.add_argument("--iters", type=int, default=10)
    parser.add_argument("--reg", type=float, default=0.04)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--backends", default="torch", help="comma-separated: torch,numpy")
    parser.add_argument("--dtypes", default="float64,float32")
    args = parser.parse_args()
    k = args.latent_dim
    print(f"{N_USERS} x {N_ITEMS}, k = {k}, {args.iters} sweeps per refit, median of {args.repeats}")
    print(f"{'ratings':>8} {'backend':>8} {'dtype':>8} {'refit s':>9} {'s / sweep':>10} {'max |diff| vs ref':>18}")
    for n in (int(x) for x in args.ratings.split(",")):
        u, i, r, w = skewed_data(n)
        # one sweep of the per-row reference, from the same start as fit_wals(n_iters=1)
        start = np.random.default_rng(0)
        p0 = start.standard_normal((N_USERS, k)) * 0.1
        t0 = time.perf_counter()
        q_ref = reference_half_step(i, u, r, w, p0, N_ITEMS, args.reg)
        p_ref = reference_half_step(u, i, r, w, q_ref, N_USERS, args.reg)
        ref_sweep = time.perf_counter() - t0
        print(f"{n:>8} {'per-row':>8} {'float64':>8} {'':>9} {ref_sweep:>10.3f} {'(reference)':>18}", flush=True)
        for backend in args.backends.split(","):
            for dtype in (np.dtype(d).type for d in args.dtypes.split(",")):
                one = fit_wals(u, i, r, w, n_users=N_USERS, n_items=N_ITEMS, latent_dim=k, reg=args.reg,
                               n_iters=1, seed=0, dtype=dtype, backend=backend)
                diff = max(np.abs(one.user_factors - p_ref).max(), np.abs(one.item_factors - q_ref).max())
                times = []
                for _ in range(args.repeats):
                    t0 = time.perf_counter()
                    fit_wals(u, i, r, w, n_users=N_USERS, n_items=N_ITEMS, latent_dim=k, reg=args.reg,
                             n_iters=args.iters, seed=0, dtype=dtype, backend=backend)
                    times.append(time.perf_counter() - t0)
                refit = statistics.median(times)
                print(f"{n:>8} {backend:>8} {np.dtype(dtype).name:>8} {refit:>9.2f} "
                      f"{refit / max(args.iters, 1):>10.3f} {diff:>18.1e}", flush=True)


if __name__ == "__main__":
    main()
