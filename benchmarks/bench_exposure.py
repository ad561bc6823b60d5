"""Batched local-equilibrium finder (thesis section 5.3) at LastFM size: 13,698 consumers, n = 100, d = 50.

Times iterations per second of :func:`recdyn.exposure.finder.find_local_equilibria` (all runs of a
configuration advanced as one batched computation: one GEMM for the scores of every game, an in-place
softmax, one GEMM for all gradients) against a reference that loops over runs and uses
``torch.softmax`` on ``(m, n)`` score matrices per run (the straightforward per-game implementation),
checks both give the same iterates, and extrapolates the wall time of a full 50,000-iteration run
(the thesis' cap; early stopping may end sooner).

    .venv/bin/python benchmarks/bench_exposure.py [--consumers 13698] [--n 100] [--d 50] [--runs 10]
        [--iters 20] [--threads 1]
"""

from __future__ import annotations

import argparse
import time

import torch

from recdyn.exposure.finder import find_local_equilibria, normalise, random_init

D = torch.float64


def reference_step(theta: torch.Tensor, c: torch.Tensor, tau: float, alpha: float) -> torch.Tensor:
    """One simultaneous update, game by game (loop over runs), with torch.softmax."""
    out = torch.empty_like(theta)
    for b in range(theta.shape[0]):
        norm = theta[b].norm(dim=-1, keepdim=True)
        s = theta[b] / norm
        p = torch.softmax(c @ s.T / tau, dim=1)  # (m, n)
        g = (p * (1 - p)).T @ c / (tau * c.shape[0])
        out[b] = theta[b] + alpha * (g - s * (s * g).sum(-1, keepdim=True)) / norm
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--consumers", type=int, default=13_698)
    parser.add_argument("--n", type=int, default=100)
    parser.add_argument("--d", type=int, default=50)
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--iters", type=int, default=20)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--tau", type=float, default=0.1)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    gen = torch.Generator().manual_seed(0)
    c = torch.randn(args.consumers, args.d, generator=gen, dtype=D) + 0.2
    theta0 = random_init(args.runs, args.n, args.d, seed=1)

    start = time.perf_counter()
    res = find_local_equilibria(c, theta0, args.tau, 0.1, max_iter=args.iters, tol=0.0)
    batched = time.perf_counter() - start
    start = time.perf_counter()
    theta = theta0.clone()
    for _ in range(args.iters):
        theta = reference_step(theta, c, args.tau, 0.1)
    loop = time.perf_counter() - start
    err = float((res.s - normalise(theta)).abs().max())
    print(f"consumers={args.consumers} n={args.n} d={args.d} runs={args.runs} threads={args.threads}")
    print(f"batched finder : {args.iters / batched:8.2f} it/s ({batched / args.iters * 1e3:.1f} ms/it)")
    print(f"per-run loop   : {args.iters / loop:8.2f} it/s ({loop / args.iters * 1e3:.1f} ms/it)")
    print(f"speed-up {loop / batched:.2f}x, max |s - s_ref| = {err:.2e}")
    print(f"full 50,000-iteration run (all {args.runs} runs): {50_000 * batched / args.iters / 60:.1f} min batched, "
          f"{50_000 * loop / args.iters / 60:.1f} min per-run loop")


if __name__ == "__main__":
    main()
