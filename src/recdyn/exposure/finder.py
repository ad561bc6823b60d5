"""Local-equilibrium finder of thesis section 5.3: simultaneous gradient ascent on ``theta_i``.

Every producer is reparametrised as ``s_i = theta_i / ||theta_i||`` and all producers update together,
``theta_i <- theta_i + alpha * grad_{theta_i} u_i(s)``, with the exact chain rule (section 5.3)

    grad_{theta_i} u_i(s) = (I - s_i s_i^T) grad_{s_i} u_i(s) / ||theta_i||,

i.e. the update direction is the Riemannian gradient of ``u_i`` on the sphere. (The thesis prints the
factor as ``1/||theta_i||_2``; we read the subscript as the l2 norm, which is what the chain rule gives.)
A run stops early when the l2 norm of its whole parameter change ``||theta_t - theta_{t-1}||`` (over all
``n x d`` parameters of the run) falls below ``tol * sqrt(d)`` (thesis: 1e-8 * sqrt(d)), else after
``max_iter`` iterations (thesis: 50,000). All runs ("games") of a batch advance together as one batched
computation; converged runs are frozen and dropped from the active batch.

Non-negative games (NMF, Definition 2). The thesis does not say how strategies were constrained in the
non-negative experiments. Our reading: with ``nonnegative=True`` strategies are restricted to the positive
orthant of the sphere, as "all embeddings lie in the positive orthant" (section 5.2) -- initial parameters
are taken in the orthant (the caller's ``theta0``, see :func:`random_init`) and every step is followed by a
projection ``theta <- max(theta, 0)``. When consumers are non-negative the orthant is invariant under the
continuous-time flow (a zero coordinate receives the update ``E[p(1-p)c_k]/(tau ||theta||) >= 0``) so the
projection only corrects discretisation overshoot; it never binds at an interior fixed point.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass

import torch
from torch import Tensor

from recdyn.exposure.game import DTYPE, as_tensor, demand_weights, gradients

LOG = logging.getLogger(__name__)


@dataclass
class FinderResult:
    """Outcome of :func:`find_local_equilibria` for ``B`` runs."""

    s: Tensor  # (B, n, d) unit-norm strategies at the end
    theta: Tensor  # (B, n, d) final parameters
    iterations: Tensor  # (B,) int64, iterations performed by each run
    converged: Tensor  # (B,) bool, stopped by the tolerance rule
    last_change: Tensor  # (B,) l2 norm of the last parameter change


def random_init(runs: int, n: int, d: int, seed: int, nonnegative: bool = False) -> Tensor:
    """``theta0`` of shape ``(runs, n, d)``: independent uniform draws on the unit sphere (on its positive
    orthant if ``nonnegative``).

    The thesis does not give the initial distribution. Unit norm matters: the effective step on the sphere
    is ``alpha / ||theta||^2``, so standard normal ``theta`` (norm about ``sqrt(d)``) would shrink the
    step size by a factor ``d``.
    """
    gen = torch.Generator().manual_seed(int(seed))
    theta = normalise(torch.randn(runs, n, d, generator=gen, dtype=DTYPE))
    return theta.abs() if nonnegative else theta


def normalise(theta: Tensor) -> Tensor:
    """``s = theta / ||theta||`` along the last axis."""
    return theta / torch.linalg.vector_norm(theta, dim=-1, keepdim=True)


def theta_gradient(theta: Tensor, c: Tensor, tau: float, weights: Tensor | None = None) -> Tensor:
    """``grad_{theta_i} u_i = (I - s_i s_i^T) grad_{s_i} u_i / ||theta_i||`` (section 5.3), shape of theta."""
    norm = torch.linalg.vector_norm(theta, dim=-1, keepdim=True)
    s = theta / norm
    g = gradients(s, c, tau, weights)
    return (g - s * (s * g).sum(-1, keepdim=True)) / norm


def find_local_equilibria(
    c: Tensor,
    theta0: Tensor,
    tau: float,
    step_size: float | Tensor,
    max_iter: int = 50_000,
    tol: float = 1e-8,
    nonnegative: bool = False,
    weights: Tensor | None = None,
    compact_every: int = 100,
) -> FinderResult:
    """Batched simultaneous gradient ascent (section 5.3) from ``theta0`` of shape ``(B, n, d)``.

    ``step_size`` is a scalar or a ``(B,)`` tensor (one per run, so step-size sweeps share a batch).
    Runs whose change drops below ``tol * sqrt(d)`` are frozen; the active batch is compacted every
    ``compact_every`` iterations.
    """
    c = as_tensor(c)
    theta = as_tensor(theta0).clone()
    if theta.dim() != 3 or theta.shape[-1] != c.shape[1]:
        raise ValueError(f"theta0 must be (B, n, d) with d={c.shape[1]}, got {tuple(theta.shape)}")
    if nonnegative and bool((theta < 0).any()):
        raise ValueError("nonnegative=True needs theta0 in the positive orthant (see random_init)")
    if bool((torch.linalg.vector_norm(theta, dim=-1) == 0).any()):
        raise ValueError("theta0 has a zero row: s = theta/||theta|| is undefined")
    runs, _, d = theta.shape
    w = None if weights is None else demand_weights(c, weights)
    alpha = torch.broadcast_to(as_tensor(step_size), (runs,)).clone()
    threshold = tol * math.sqrt(d)
    iterations = torch.zeros(runs, dtype=torch.int64)
    converged = torch.zeros(runs, dtype=torch.bool)
    last_change = torch.full((runs,), float("inf"), dtype=DTYPE)
    active = torch.arange(runs)
    th, al = theta[active], alpha[active]
    done_local = torch.zeros(runs, dtype=torch.bool)
    for it in range(1, max_iter + 1):
        step = al[:, None, None] * theta_gradient(th, c, tau, w)
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
    return FinderResult(s=normalise(theta), theta=theta, iterations=iterations, converged=converged,
                        last_change=last_change)
