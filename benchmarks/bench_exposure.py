"""Exposure-game equilibrium finder (thesis section 5.3) at LastFM size: time to equilibrium.

Runs :func:`recdyn.exposure.finder.find_local_equilibria` (defaults: plain float64 steps through the
transient, then scaled steps with float32 gradients and a float64 Anderson tail in the local phase, the same
stop rule on the plain float64 step)
and, in the same process, the finder as it was before issue 21 item 4 -- kept verbatim below as
``reference_*`` (the float64 plain iteration with its own copies of ``gradients``/``theta_gradient``), so
that later changes to the library cannot change the reference -- on the same 4 games, each to its stopping
rule, and reports seconds to equilibrium, iterations, the speed-up, iterations/s, useful GFLOP/s against a
plain matmul of the same shapes, the largest distance between the equilibria the two find and the
second-order test's verdicts (:func:`recdyn.exposure.riemann.riemannian_test`) for both.

The games (fixed seeds). 13,698 consumers (LastFM's user count), n = 100 producers, d = 50, 4 games = 4
initialisations (``random_init`` seeds 1..4 in one batch, the audit's layout) of one game with the
default audit's ``tau = 0.1``, step size 1.0 (the default audit's), ``tol = 1e-8`` (stop when the l2
change is below ``1e-8 sqrt(d)``, the thesis' rule) and ``max_iter = 3000`` (the default audit's cap).
Consumers are "fitted-like" rather than isotropic: 20 random topic directions (mean shifted, as fitted
embeddings of positive ratings are), each consumer a heavy-tailed mixture of them plus small noise, mean
norm ~0.64 and ``||E c|| ~ 0.37`` -- the scale of fitted user embeddings, so the softmax is neither flat
nor hard. Chosen so that the reference converges (all 4 runs, 1,816-2,811 iterations, under the 3,000 cap) within
about 5 minutes on this 2-core machine (285 s measured); of the default audit's temperatures, ``tau = 1`` needs more than 3,000
plain iterations with these consumers (the collapse onto c-bar is slow at step 1.0) and ``tau = 0.01``
does not converge within 3,000 (producers keep moving at small steps), so ``tau = 0.1`` is the one whose
reference run fits the time budget; it is also the temperature with many distinct local equilibria,
where reaching the *same* one matters.

Same equilibria: both finders stop once the plain step is below ``thr = tol sqrt(d)``; where the plain
iteration contracts by ``rho`` per step (measured at the reference's end points, ``reference_contraction``),
the remaining steps sum to at most ``thr rho / (1 - rho)``, so each end point lies within about
``thr / (1 - rho)`` of the fixed point and the two within ``2 thr / (1 - rho)``; ``tolerance`` allows five
times that, ``10 thr / (1 - rho)`` (about 1e-4 here), for the non-normal part of the tail. ``same_verdicts`` compares
the float64 second-order test's labels of the two sets of end points.

Useful work: each iteration of a run computes the scores (``m x d`` times ``d x n``) and the gradients
(``n x m`` times ``m x d``), ``4 m n d`` flops; ``gflops = 4 m n d * (sum of iterations over runs) /
seconds``. ``peak_gflops`` is the rate of these two plain matmuls for the 4 runs together (``m x (4n)``
scores, ``(4n) x d`` gradients) in float32 (the dtype of most iterations), measured in the same run.

    .venv/bin/python benchmarks/bench_exposure.py [--json] [--consumers 13698] [--n 100] [--d 50]
        [--tau 0.1] [--step-size 1.0] [--max-iter 3000] [--threads 2] [--skip-reference]
"""

from __future__ import annotations

import argparse
import json
import logging
import math
import time
from dataclasses import dataclass

import torch
from torch import Tensor

from recdyn.exposure.finder import find_local_equilibria, random_init
from recdyn.exposure.riemann import riemannian_test

LOG = logging.getLogger(__name__)

# ---------------------------------------------------------------------------------------------------------
# Reference: the finder and game code as of commit acf422c (before issue 21 item 4), verbatim but renamed.
# ---------------------------------------------------------------------------------------------------------

DTYPE = torch.float64


def reference_as_tensor(x, dtype: torch.dtype = DTYPE) -> Tensor:
    """A float64 (by default) tensor view of an array-like, without copying tensors of the right dtype."""
    return x.to(dtype) if isinstance(x, Tensor) else torch.as_tensor(x, dtype=dtype)


def reference_demand_weights(c: Tensor, weights: Tensor | None = None) -> Tensor:
    """Weights of the empirical demand distribution: uniform ``1/m``, or ``weights`` normalised to sum 1."""
    m = c.shape[0]
    if weights is None:
        return torch.full((m,), 1.0 / m, dtype=c.dtype, device=c.device)
    weights = reference_as_tensor(weights, c.dtype)
    if weights.shape != (m,) or bool((weights < 0).any()) or float(weights.sum()) <= 0:
        raise ValueError(f"weights must be non-negative of shape ({m},) with positive sum, got {tuple(weights.shape)}")
    return weights / weights.sum()


def reference_check(s: Tensor, c: Tensor, tau: float) -> None:
    if tau <= 0:
        raise ValueError(f"softmax exposure games need tau > 0, got tau={tau}")
    if s.shape[-1] != c.shape[-1] or c.dim() != 2:
        raise ValueError(f"strategies (..., n, d) and consumers (m, d) disagree: {tuple(s.shape)} vs {tuple(c.shape)}")


def reference_probabilities_flat(s: Tensor, c: Tensor, tau: float) -> Tensor:
    """Softmax exposure probabilities laid out as ``(m, G)`` with ``G = prod(batch) * n`` (row-major).

    One 2-D GEMM over all games at once: batched matmuls with tiny inner dimensions are several times
    slower, and so is ``torch.softmax`` for float64 with a short last axis, hence the in-place version.
    """
    reference_check(s, c, tau)
    n, d = s.shape[-2:]
    z = torch.matmul(c, s.reshape(-1, d).T).div_(tau).view(c.shape[0], -1, n)
    if n >= 32:  # long rows: torch's fused kernel wins
        return torch.softmax(z, dim=-1).view(c.shape[0], -1)
    z.sub_(z.amax(-1, keepdim=True)).exp_()
    return z.div_(z.sum(-1, keepdim=True)).view(c.shape[0], -1)


def reference_gradients(s: Tensor, c: Tensor, tau: float, weights: Tensor | None = None) -> Tensor:
    """``grad_{s_i} u_i = E_c[p_i (1 - p_i) c] / tau`` for every producer, shape ``(..., n, d)``."""
    return reference_utilities_and_gradients(s, c, tau, weights)[1]


def reference_utilities_and_gradients(
    s: Tensor, c: Tensor, tau: float, weights: Tensor | None = None
) -> tuple[Tensor, Tensor]:
    """Both :func:`utilities` and :func:`gradients` from one softmax evaluation."""
    s, c = reference_as_tensor(s), reference_as_tensor(c)
    p = reference_probabilities_flat(s, c, tau)
    q = p.neg().add_(1.0).mul_(p)  # p (1 - p), one temporary
    if weights is None:  # uniform demand: average after the GEMMs instead of weighting every entry
        m = c.shape[0]
        return p.sum(0).div_(m).view(s.shape[:-1]), torch.matmul(q.T, c).div_(tau * m).view(s.shape)
    w = reference_demand_weights(c, weights)
    u = torch.matmul(w, p).view(s.shape[:-1])
    g = torch.matmul(q.mul_(w[:, None]).T, c).div_(tau).view(s.shape)
    return u, g


@dataclass
class ReferenceFinderResult:
    """Outcome of :func:`find_local_equilibria` for ``B`` runs."""

    s: Tensor  # (B, n, d) unit-norm strategies at the end
    theta: Tensor  # (B, n, d) final parameters
    iterations: Tensor  # (B,) int64, iterations performed by each run
    converged: Tensor  # (B,) bool, stopped by the tolerance rule
    last_change: Tensor  # (B,) l2 norm of the last parameter change


def reference_normalise(theta: Tensor) -> Tensor:
    """``s = theta / ||theta||`` along the last axis."""
    return theta / torch.linalg.vector_norm(theta, dim=-1, keepdim=True)


def reference_theta_gradient(theta: Tensor, c: Tensor, tau: float, weights: Tensor | None = None) -> Tensor:
    """``grad_{theta_i} u_i = (I - s_i s_i^T) grad_{s_i} u_i / ||theta_i||`` (section 5.3), shape of theta."""
    norm = torch.linalg.vector_norm(theta, dim=-1, keepdim=True)
    s = theta / norm
    g = reference_gradients(s, c, tau, weights)
    return (g - s * (s * g).sum(-1, keepdim=True)) / norm


def reference_find_local_equilibria(
    c: Tensor,
    theta0: Tensor,
    tau: float,
    step_size: float | Tensor,
    max_iter: int = 50_000,
    tol: float = 1e-8,
    nonnegative: bool = False,
    weights: Tensor | None = None,
    compact_every: int = 100,
) -> ReferenceFinderResult:
    """Batched simultaneous gradient ascent (section 5.3) from ``theta0`` of shape ``(B, n, d)``.

    ``step_size`` is a scalar or a ``(B,)`` tensor (one per run, so step-size sweeps share a batch).
    Runs whose change drops below ``tol * sqrt(d)`` are frozen; the active batch is compacted every
    ``compact_every`` iterations.
    """
    c = reference_as_tensor(c)
    theta = reference_as_tensor(theta0).clone()
    if theta.dim() != 3 or theta.shape[-1] != c.shape[1]:
        raise ValueError(f"theta0 must be (B, n, d) with d={c.shape[1]}, got {tuple(theta.shape)}")
    if nonnegative and bool((theta < 0).any()):
        raise ValueError("nonnegative=True needs theta0 in the positive orthant (see random_init)")
    if bool((torch.linalg.vector_norm(theta, dim=-1) == 0).any()):
        raise ValueError("theta0 has a zero row: s = theta/||theta|| is undefined")
    runs, _, d = theta.shape
    w = None if weights is None else reference_demand_weights(c, weights)
    alpha = torch.broadcast_to(reference_as_tensor(step_size), (runs,)).clone()
    threshold = tol * math.sqrt(d)
    iterations = torch.zeros(runs, dtype=torch.int64)
    converged = torch.zeros(runs, dtype=torch.bool)
    last_change = torch.full((runs,), float("inf"), dtype=DTYPE)
    active = torch.arange(runs)
    th, al = theta[active], alpha[active]
    done_local = torch.zeros(runs, dtype=torch.bool)
    for it in range(1, max_iter + 1):
        step = al[:, None, None] * reference_theta_gradient(th, c, tau, w)
        new = th + step
        if nonnegative:
            new = new.clamp_min(0.0)
        change = torch.linalg.vector_norm((new - th).flatten(1), dim=1)
        # Frozen runs keep their parameters (their change is not recomputed).
        frozen = done_local[: len(active)]
        th = torch.where(frozen[:, None, None], th, new)
        newly = (~frozen) & (change < threshold)
        live = ~frozen
        last_change[active[live]] = change[live]
        iterations[active[live]] = it
        converged[active[newly]] = True
        frozen |= newly
        done_local[: len(active)] = frozen
        if bool(frozen.all()):
            theta[active] = th
            break
        if it % compact_every == 0 and bool(frozen.any()):
            theta[active[frozen]] = th[frozen]
            keep = ~frozen
            active, th, al = active[keep], th[keep], al[keep]
            done_local = torch.zeros(len(active), dtype=torch.bool)
    else:
        theta[active] = th
    if not bool(converged.all()):
        LOG.info("finder: %d of %d runs did not converge within %d iterations", int((~converged).sum()), runs, max_iter)
    return ReferenceFinderResult(s=reference_normalise(theta), theta=theta, iterations=iterations,
                                 converged=converged, last_change=last_change)


# ---------------------------------------------------------------------------------------------------------
# The games and the measurements.
# ---------------------------------------------------------------------------------------------------------


def fitted_like_consumers(m: int, d: int, seed: int = 0, topics: int = 20) -> Tensor:
    """``m`` consumer embeddings with the structure of fitted ones (float64, deterministic): heavy-tailed
    mixtures of ``topics`` random directions (with a common positive shift) plus small isotropic noise."""
    gen = torch.Generator().manual_seed(seed)
    centres = torch.randn(topics, d, generator=gen, dtype=DTYPE) / math.sqrt(d) + 0.3 / math.sqrt(d)
    mix = -torch.log(torch.rand(m, topics, generator=gen, dtype=DTYPE)) ** 3.0
    mix = mix / mix.sum(1, keepdim=True)
    return mix @ centres + 0.05 * torch.randn(m, d, generator=gen, dtype=DTYPE) / math.sqrt(d)


def peak_gflops(m: int, n_total: int, d: int, dtype: torch.dtype, repeats: int = 7) -> float:
    """Median rate of the two plain matmuls of one iteration (scores ``m x d`` times ``d x n_total``,
    gradients ``n_total x m`` times ``m x d``) for ``n_total`` producers at once, in ``dtype``."""
    gen = torch.Generator().manual_seed(0)
    c = torch.randn(m, d, generator=gen, dtype=dtype)
    s = torch.randn(n_total, d, generator=gen, dtype=dtype)
    q = torch.rand(m, n_total, generator=gen, dtype=dtype)
    z = torch.empty(m, n_total, dtype=dtype)
    g = torch.empty(n_total, d, dtype=dtype)
    times = []
    for _ in range(repeats + 1):
        start = time.perf_counter()
        torch.matmul(c, s.T, out=z)
        torch.matmul(q.T, c, out=g)
        times.append(time.perf_counter() - start)
    times = sorted(times[1:])
    return 4 * m * n_total * d / times[len(times) // 2] / 1e9


def contraction(c: Tensor, theta: Tensor, tau: float, step_size: float, steps: int = 40) -> Tensor:
    """Per-run contraction factor ``rho`` of the plain float64 iteration at its end point: ``(||f_steps|| /
    ||f_{steps/2}||)^(2/steps)`` over ``steps`` further plain steps (reference code)."""
    th, changes = theta.clone(), []
    for _ in range(steps):
        step = step_size * reference_theta_gradient(th, c, tau)
        changes.append(torch.linalg.vector_norm(step.flatten(1), dim=1))
        th = th + step
    return (changes[-1] / changes[steps // 2 - 1]) ** (1.0 / (steps - steps // 2))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true", help="print one JSON line")
    parser.add_argument("--consumers", type=int, default=13_698)
    parser.add_argument("--n", type=int, default=100)
    parser.add_argument("--d", type=int, default=50)
    parser.add_argument("--games", type=int, default=4)
    parser.add_argument("--tau", type=float, default=0.1)
    parser.add_argument("--step-size", type=float, default=1.0)
    parser.add_argument("--precision", default="mixed", help="the new finder's precision (mixed, float32, float64)")
    parser.add_argument("--max-iter", type=int, default=3000)
    parser.add_argument("--tol", type=float, default=1e-8)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--skip-reference", action="store_true", help="time the new finder only")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    c = fitted_like_consumers(args.consumers, args.d)
    theta0 = torch.cat([random_init(1, args.n, args.d, seed=k + 1) for k in range(args.games)])
    kwargs = dict(max_iter=args.max_iter, tol=args.tol)
    flops_per_iteration = 4 * args.consumers * args.n * args.d  # scores + gradients GEMMs of one run

    start = time.perf_counter()
    new = find_local_equilibria(c, theta0, args.tau, args.step_size, precision=args.precision, **kwargs)
    new_s = time.perf_counter() - start
    peak32 = peak_gflops(args.consumers, args.games * args.n, args.d, torch.float32)
    peak64 = peak_gflops(args.consumers, args.games * args.n, args.d, torch.float64)
    its32 = int(new.float32_iterations.sum())
    its64 = int(new.iterations.sum()) - its32
    flops = flops_per_iteration * (its32 + its64)
    # the same iterations as plain matmuls, each in its dtype
    peak = flops / (flops_per_iteration * (its32 / peak32 + its64 / peak64))
    gflops = flops / new_s / 1e9
    out = {
        "games": args.games, "consumers": args.consumers, "n": args.n, "d": args.d, "tau": args.tau,
        "step_size": args.step_size, "tol": args.tol, "threads": args.threads, "precision": args.precision,
        "seconds_to_equilibrium": round(new_s, 2),
        "iterations": int(new.iterations.max()),
        "iterations_per_game": new.iterations.tolist(),
        "plain_iterations_per_game": new.plain_iterations.tolist(),
        "float32_iterations_per_game": new.float32_iterations.tolist(),
        "anderson_iterations_per_game": new.anderson_iterations.tolist(),
        "converged": bool(new.converged.all()),
        "its_per_s": round(float(new.iterations.max()) / new_s, 2),
        "gflops": round(gflops, 2),
        "peak_gflops": round(peak, 2),
        "gflops_over_peak": round(gflops / peak, 3),
        "peak_gflops_float32": round(peak32, 2),
        "peak_gflops_float64": round(peak64, 2),
        "verdicts": riemannian_test(new.s, c, args.tau).label.tolist(),
    }
    if not args.skip_reference:
        start = time.perf_counter()
        ref = reference_find_local_equilibria(c, theta0, args.tau, args.step_size, **kwargs)
        ref_s = time.perf_counter() - start
        dist = torch.linalg.vector_norm(new.s - ref.s, dim=-1)
        rho = float(contraction(c, ref.theta, args.tau, args.step_size).max())
        threshold = args.tol * math.sqrt(args.d)
        tolerance = 10.0 * threshold / (1.0 - rho)
        ref_flops = flops_per_iteration * int(ref.iterations.sum())
        out |= {
            "reference_seconds": round(ref_s, 2),
            "reference_iterations": int(ref.iterations.max()),
            "reference_iterations_per_game": ref.iterations.tolist(),
            "reference_converged": bool(ref.converged.all()),
            "reference_its_per_s": round(float(ref.iterations.max()) / ref_s, 2),
            "reference_gflops": round(ref_flops / ref_s / 1e9, 2),
            "reference_verdicts": riemannian_test(ref.s, c, args.tau).label.tolist(),
            "speedup_vs_reference": round(ref_s / new_s, 2),
            "max_distance_to_reference": float(f"{float(dist.max()):.3g}"),
            "reference_contraction": round(rho, 5),
            "tolerance": float(f"{tolerance:.3g}"),
        }
        out["same_equilibria"] = out["max_distance_to_reference"] <= tolerance
        out["same_verdicts"] = out["verdicts"] == out["reference_verdicts"]
    if args.json:
        print(json.dumps(out))
        return
    width = max(map(len, out))
    for key, value in out.items():
        print(f"{key:<{width}}  {value}")


if __name__ == "__main__":
    main()
