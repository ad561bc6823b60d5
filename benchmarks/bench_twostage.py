"""Rounds per second of a batch of LinUCB runs (thesis section 4.3 sizes: 100 arms, d = 40), side by
side with a straightforward per-seed numpy reference that re-inverts the Gram matrix every round.

Run: ``.venv/bin/python benchmarks/bench_twostage.py [--seeds 30] [--rounds 200]``. Both
implementations see the same contexts and rewards; the script checks that they choose the same
arms (up to ties) before timing them.
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from recdyn.logs import limit_threads
from recdyn.twostage.policies import LinearLearner


def reference(x: np.ndarray, theta_star: np.ndarray, noise: np.ndarray, lam: float, alpha: float) -> np.ndarray:
    """Per-seed loop, fresh ``np.linalg.inv`` of the Gram matrix every round."""
    rounds, seeds, arms, d = x.shape
    chosen = np.zeros((rounds, seeds), dtype=np.int64)
    for b in range(seeds):
        gram, bvec = lam * d * np.eye(d), np.zeros(d)
        for t in range(rounds):
            sigma = np.linalg.inv(gram)
            theta = sigma @ bvec
            xa = x[t, b]
            score = xa @ theta + alpha * np.sqrt(np.einsum("ad,de,ae->a", xa, sigma, xa))
            a = int(np.argmax(score))
            r = xa[a] @ theta_star[b] + noise[t, b]
            gram += np.outer(xa[a], xa[a])
            bvec += r * xa[a]
            chosen[t, b] = a
    return chosen


def batched(x: np.ndarray, theta_star: np.ndarray, noise: np.ndarray, lam: float, alpha: float) -> np.ndarray:
    """All seeds at once with Sherman-Morrison updates (:class:`LinearLearner`)."""
    rounds, seeds, arms, d = x.shape
    learner = LinearLearner("ucb", seeds, 1, d, lam=lam, alpha=alpha)
    chosen = np.zeros((rounds, seeds), dtype=np.int64)
    idx = np.arange(seeds)
    for t in range(rounds):
        a = learner.scores(x[t][:, None]).argmax(axis=-1)[:, 0]
        xa = x[t, idx, a]
        r = np.einsum("bd,bd->b", xa, theta_star) + noise[t]
        learner.update(xa[:, None], r)
        chosen[t] = a
    return chosen


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=30)
    parser.add_argument("--arms", type=int, default=100)
    parser.add_argument("--dim", type=int, default=40)
    parser.add_argument("--rounds", type=int, default=200)
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    limit_threads(args.threads)
    rng = np.random.default_rng(0)
    x = rng.standard_normal((args.rounds, args.seeds, args.arms, args.dim))
    theta_star = rng.standard_normal((args.seeds, args.dim))
    theta_star /= np.linalg.norm(theta_star, axis=1, keepdims=True)
    noise = 0.1 * rng.standard_normal((args.rounds, args.seeds))
    timings = {}
    outputs = {}
    for name, fn in (("batched Sherman-Morrison", batched), ("per-seed inverse (reference)", reference)):
        start = time.perf_counter()
        outputs[name] = fn(x, theta_star, noise, 0.01, 0.1)
        timings[name] = time.perf_counter() - start
    agree = np.mean(outputs["batched Sherman-Morrison"] == outputs["per-seed inverse (reference)"])
    print(f"{args.seeds} LinUCB runs, {args.arms} arms, d={args.dim}, {args.rounds} rounds; same choices: {agree:.1%}")
    for name, secs in timings.items():
        print(f"  {name:30s} {args.rounds / secs:9.1f} rounds/s ({secs:.2f} s)")
    ref = timings["per-seed inverse (reference)"]
    print(f"  speed-up: {ref / timings['batched Sherman-Morrison']:.1f}x")


if __name__ == "__main__":
    main()
