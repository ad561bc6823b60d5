"""Local-equilibrium finder of thesis section 5.3: simultaneous gradient ascent on ``theta_i``.

Every producer is reparametrised as ``s_i = theta_i / ||theta_i||`` and all producers update together,
``theta_i <- theta_i + alpha * grad_{theta_i} u_i(s)``, with the exact chain rule (section 5.3)

    grad_{theta_i} u_i(s) = (I - s_i s_i^T) grad_{s_i} u_i(s) / ||theta_i||,

i.e. the update direction is the Riemannian gradient of ``u_i`` on the sphere. (The thesis prints the
factor as ``1/||theta_i||_2``; we read the subscript as the l2 norm, which is what the chain rule gives.)
Write ``T(theta) = theta + alpha * grad_theta u(theta)`` for this *plain step* and ``f = T(theta) - theta``.
A run stops when the l2 norm of its plain step ``||f||`` (over all ``n x d`` parameters of the run) falls
below ``tol * sqrt(d)`` (thesis: 1e-8 * sqrt(d)) -- it then takes that step, exactly the thesis' rule
``||theta_t - theta_{t-1}|| < tol sqrt(d)`` -- else after ``max_iter`` iterations (thesis: 50,000). All
runs ("games") of a batch advance together; finished runs leave the active batch at once.

Faster to the same fixed points (issue 21 item 4; ``accelerate=False, precision="float64"`` is the plain
float64 iteration of the thesis, step for step):

1. *Plain phase.* Plain steps, as the thesis. This transient decides which equilibrium a run reaches
   (runs pass near saddles and leave them), so it is not accelerated.
2. *Scaled steps* (``accelerate``). Once a run is in the local, converging regime -- its step is below
   ``accel_start`` times the largest step it took, is the least so far, and no step of the last ``window``
   iterations exceeded the one before them -- it moves by ``x + g f`` with a per-run scale ``g >= 1``:
   multiplied by ``growth`` while successive plain steps point the same way (cosine above 0.9), halved
   (down to 1) when a step turns back on the previous one (cosine below 0.5, the sign of overshooting),
   capped at ``max_scale``. A run whose scaled steps make no new least step for ``stall`` iterations (in
   float64; a stiff direction the larger step keeps overshooting) goes back to plain steps for good. Each producer's row is then rescaled to the norm of ``T(x)``'s row, so
   ``||theta_i||`` (and with it the effective step ``alpha/||theta_i||^2``) evolves as in the plain
   iteration. This is gradient ascent on the same vector field with a larger step: the fixed points are
   exactly those of ``T`` (``g f = 0`` iff ``f = 0``), and, unlike extrapolation, it still leaves saddles
   along their unstable direction as the plain iteration does (faster, as the steps there are aligned).
3. *Anderson tail* (``anderson_window > 0``). Deeper in the local regime (step below ``anderson_start``
   times the largest) the run switches to type-II Anderson acceleration of the same map ``T`` in float64:
   with the stored ``(x_j, f_j)``, ``gamma = argmin ||f_k - sum_j gamma_j (f_k - f_j)||`` and
   ``x_{k+1} = T(x_k) - sum_j gamma_j ((x_k - x_j) + (f_k - f_j))``, rows rescaled as above, ``max(., 0)``
   in non-negative games. At a fixed point ``f_k = 0`` gives ``gamma = 0`` and ``x_{k+1} = x_k``: the fixed
   points are those of ``T``. A safeguard restarts the history at the best iterate when the plain step
   grows tenfold; after three restarts the run goes back to scaled steps.

In every phase the stop rule is checked on the plain step ``f_k`` at the current iterate, in float64,
and a finished run takes that plain step: a run ends only where the plain iteration would end.

Precision (``precision``): ``"float64"`` computes every gradient in float64; ``"mixed"`` (default) computes
the gradients of phase 2 in float32 (``theta`` itself stays float64) and switches a run back to float64
gradients when its step is within ``64 tol sqrt(d)`` of the stop rule or stops decreasing at float32's
noise floor; ``"float32"`` does the same from the first iteration (the plain phase too). The float32
gradient's relative error (~1e-7) is harmless where the run contracts (phases 2-3) but, in games whose
transient is sensitive at that level (we saw it at ``tau = 0.05`` in ``d = 3``, where a 1e-11 perturbation
of ``theta0`` already changes the plain float64 iteration's equilibrium), can send the plain phase to
another equilibrium, hence ``"float32"`` is opt-in. The second-order test (:mod:`recdyn.exposure.riemann`)
always runs in float64 on the float64-polished end points.

Every gradient is one GEMM for the scores of all producers of all runs in the group, the softmax into a
reused buffer, ``p (1 - p)`` in place, and one GEMM for all gradients (demand weights, ``1/m`` and ``1/tau``
folded into a pre-scaled copy of the consumers). Results are deterministic for the same inputs, device
and thread count.

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

PRECISIONS = ("mixed", "float32", "float64")
_PLAIN, _SCALED, _ANDERSON = 0, 1, 2  # run phases
_RESTARTS = 3  # Anderson restarts before a run goes back to scaled steps


@dataclass
class FinderResult:
    """Outcome of :func:`find_local_equilibria` for ``B`` runs."""

    s: Tensor  # (B, n, d) unit-norm strategies at the end
    theta: Tensor  # (B, n, d) final parameters
    iterations: Tensor  # (B,) int64, iterations (gradient evaluations) performed by each run
    converged: Tensor  # (B,) bool, stopped by the tolerance rule
    last_change: Tensor  # (B,) l2 norm of the last plain step
    plain_iterations: Tensor | None = None  # (B,) of the iterations, those in the plain phase
    float32_iterations: Tensor | None = None  # (B,) those with float32 gradients
    anderson_iterations: Tensor | None = None  # (B,) those Anderson-accelerated


def random_init(
    runs: int, n: int, d: int, seed: int, nonnegative: bool = False, device: str | torch.device = "cpu"
) -> Tensor:
    """``theta0`` of shape ``(runs, n, d)``: independent uniform draws on the unit sphere (on its positive
    orthant if ``nonnegative``), drawn on the CPU (the same numbers for every ``device``) and moved there.

    The thesis does not give the initial distribution. Unit norm matters: the effective step on the sphere
    is ``alpha / ||theta||^2``, so standard normal ``theta`` (norm about ``sqrt(d)``) would shrink the
    step size by a factor ``d``.
    """
    gen = torch.Generator().manual_seed(int(seed))
    theta = normalise(torch.randn(runs, n, d, generator=gen, dtype=DTYPE))
    return (theta.abs() if nonnegative else theta).to(device)


def normalise(theta: Tensor) -> Tensor:
    """``s = theta / ||theta||`` along the last axis."""
    return theta / torch.linalg.vector_norm(theta, dim=-1, keepdim=True)


def theta_gradient(theta: Tensor, c: Tensor, tau: float, weights: Tensor | None = None) -> Tensor:
    """``grad_{theta_i} u_i = (I - s_i s_i^T) grad_{s_i} u_i / ||theta_i||`` (section 5.3), shape of theta."""
    norm = torch.linalg.vector_norm(theta, dim=-1, keepdim=True)
    s = theta / norm
    g = gradients(s, c, tau, weights)
    return (g - s * (s * g).sum(-1, keepdim=True)) / norm


def _softmax_into(z: Tensor, out: Tensor) -> Tensor:
    """``softmax(z, -1)`` written into ``out`` (a reused buffer: fresh ``m x (B n)`` float64 allocations cost
    as much as the softmax itself here), falling back to a new tensor where ``out=`` is not available."""
    try:
        return torch._softmax(z, -1, False, out=out)
    except (AttributeError, TypeError, RuntimeError):  # pragma: no cover - private op missing or changed
        return torch.softmax(z, dim=-1)


class _PlainStep:
    """The plain step ``f = T(theta) - theta`` for a group of runs, with consumers pre-scaled per dtype.

    ``grad_{s_i} u_i = sum_j w_j p_ij (1 - p_ij) c_j / tau``: the scores GEMM uses ``c``, the gradient GEMM
    ``cg = w c / tau`` (weights, ``1/m`` and ``1/tau`` folded in once); the ``m x (k n)`` scores and
    probabilities live in two buffers per dtype, reused every iteration.
    """

    def __init__(self, c: Tensor, tau: float, weights: Tensor | None, nonnegative: bool, max_cols: int):
        self.tau, self.nonnegative, self.max_cols = float(tau), nonnegative, max_cols
        cg = demand_weights(c, weights)[:, None] * c / self.tau
        self.consumers = {torch.float64: (c, cg)}
        self.buffers: dict[torch.dtype, tuple[Tensor, Tensor]] = {}

    def _get(self, dtype: torch.dtype) -> tuple[Tensor, Tensor, Tensor, Tensor]:
        if dtype not in self.consumers:
            c, cg = self.consumers[torch.float64]
            self.consumers[dtype] = (c.to(dtype), cg.to(dtype))
        c, cg = self.consumers[dtype]
        if dtype not in self.buffers:
            size = c.shape[0] * self.max_cols
            self.buffers[dtype] = (torch.empty(size, dtype=dtype, device=c.device),
                                   torch.empty(size, dtype=dtype, device=c.device))
        return c, cg, *self.buffers[dtype]

    def __call__(self, theta: Tensor, alpha: Tensor, dtype: torch.dtype) -> Tensor:
        """``T(theta) - theta`` (float64) for ``theta`` of shape ``(k, n, d)`` and steps ``alpha`` ``(k,)``."""
        c, cg, zbuf, pbuf = self._get(dtype)
        k, n, d = theta.shape
        m, cols = c.shape[0], k * n
        norm = torch.linalg.vector_norm(theta, dim=-1, keepdim=True)
        s = theta / norm
        z = torch.matmul(c, (s * (1.0 / self.tau)).to(dtype).view(cols, d).T, out=zbuf[: m * cols].view(m, cols))
        p = _softmax_into(z.view(m, k, n), pbuf[: m * cols].view(m, k, n)).view(m, cols)
        q = p.addcmul_(p, p, value=-1.0)  # p (1 - p) in place
        g = torch.matmul(q.T, cg).view(k, n, d).to(torch.float64)
        step = (g - s * (s * g).sum(-1, keepdim=True)).div_(norm).mul_(alpha[:, None, None])
        if self.nonnegative:
            return (theta + step).clamp_min_(0.0).sub_(theta)
        return step


def _anderson(x: Tensor, f: Tensor, hx: Tensor, hf: Tensor, valid: Tensor) -> Tensor:
    """Type-II Anderson update for ``k`` runs: ``x, f`` of shape ``(k, N)``, history ``hx, hf`` of shape
    ``(k, K, N)`` with ``valid`` ``(k, K)``; returns ``x + f - sum_j gamma_j ((x - x_j) + (f - f_j))`` with
    ``gamma = argmin ||f - sum_j gamma_j (f - f_j)||`` (regularised normal equations)."""
    mask = valid.to(x.dtype)[..., None]
    dx = (x[:, None, :] - hx) * mask
    df = (f[:, None, :] - hf) * mask
    gram = df @ df.transpose(1, 2)  # (k, K, K)
    rhs = df @ f[..., None]  # (k, K, 1)
    scale = gram.diagonal(dim1=1, dim2=2).amax(-1, keepdim=True).clamp_min(torch.finfo(x.dtype).tiny)
    # Tikhonov term relative to the largest column, and a unit diagonal where the slot is empty (gamma_j = 0).
    reg = 1e-10 * scale + (1.0 - mask[..., 0]) * scale
    gamma = torch.linalg.solve(gram + torch.diag_embed(reg), rhs)
    return x + f - ((dx + df).transpose(1, 2) @ gamma)[..., 0]


def _rescaled(moved: Tensor, plain: Tensor, nonnegative: bool) -> Tensor:
    """``moved`` with each producer's row rescaled to the norm of the plain iterate's row (and projected)."""
    if nonnegative:
        moved = moved.clamp_min(0.0)
    norm = torch.linalg.vector_norm(moved, dim=-1, keepdim=True)
    out = moved * (torch.linalg.vector_norm(plain, dim=-1, keepdim=True) / norm)
    ok = torch.isfinite(out).flatten(1).all(1) & (norm > 0).flatten(1).all(1)
    return torch.where(ok[:, None, None], out, plain)


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
    *,
    accelerate: bool = True,
    precision: str = "mixed",
    device: str | torch.device = "cpu",
    accel_start: float = 1e-2,
    growth: float = 1.1,
    max_scale: float = 16.0,
    anderson_window: int = 8,
    anderson_start: float = 1e-4,
    window: int = 50,
    stall: int = 50,
) -> FinderResult:
    """Simultaneous gradient ascent (section 5.3) from ``theta0`` of shape ``(B, n, d)`` (see module doc).

    ``step_size`` is a scalar or a ``(B,)`` tensor (one per run, so step-size sweeps share a batch).
    ``accelerate=False, precision="float64"`` is the thesis' plain float64 iteration; the defaults reach
    the same fixed points (the same stop rule on the plain step) in fewer, cheaper iterations.
    ``device`` is where the computation runs (``"cpu"``, ``"cuda"``, ...); the result is on that device.
    ``compact_every`` is kept for compatibility: finished runs now leave the batch at once.
    """
    del compact_every
    if precision not in PRECISIONS:
        raise ValueError(f"precision must be one of {PRECISIONS}, got {precision!r}")
    if tau <= 0:
        raise ValueError(f"softmax exposure games need tau > 0, got tau={tau}")
    device = torch.device(device)
    c = as_tensor(c, device=device)
    theta = as_tensor(theta0, device=device).clone().contiguous()
    if theta.dim() != 3 or theta.shape[-1] != c.shape[1]:
        raise ValueError(f"theta0 must be (B, n, d) with d={c.shape[1]}, got {tuple(theta.shape)}")
    if nonnegative and bool((theta < 0).any()):
        raise ValueError("nonnegative=True needs theta0 in the positive orthant (see random_init)")
    if bool((torch.linalg.vector_norm(theta, dim=-1) == 0).any()):
        raise ValueError("theta0 has a zero row: s = theta/||theta|| is undefined")
    runs, n, d = theta.shape
    w = None if weights is None else as_tensor(weights, device=device)
    step = _PlainStep(c, tau, w, nonnegative, runs * n)
    alpha = torch.broadcast_to(as_tensor(step_size, device=device), (runs,)).clone()
    threshold = tol * math.sqrt(d)
    window = max(1, int(window))
    use_anderson = accelerate and anderson_window > 0
    K = max(1, int(anderson_window))

    def full(value, dtype=DTYPE):
        return torch.full((runs,), value, dtype=dtype, device=device)

    iterations, n_plain, n32, n_anderson = (full(0, torch.int64) for _ in range(4))
    converged = full(False, torch.bool)
    last_change = full(float("inf"))
    phase = full(_PLAIN, torch.int64)
    low = full(precision == "float32", torch.bool)  # float32 gradients now
    polished = full(False, torch.bool)  # back to float64 gradients for good
    scale = full(1.0)
    previous = full(float("inf"))  # norm of the last plain step
    largest = full(0.0)
    best = full(float("inf"))  # least plain step (of the current phase)
    since_best = full(0, torch.int64)
    recent = torch.full((runs, window), float("inf"), dtype=DTYPE, device=device)  # ring of the last steps
    restarts = full(0, torch.int64)
    unscaled = full(False, torch.bool)  # gave up scaled steps
    prev_f = torch.zeros_like(theta)
    hist_x = hist_f = best_x = None  # Anderson history, allocated on first use
    hist_valid = torch.zeros(runs, K, dtype=torch.bool, device=device)
    hist_ptr = full(0, torch.int64)
    idx = torch.arange(runs, device=device)  # active runs

    for it in range(1, max_iter + 1):
        if len(idx) == 0:
            break
        every = len(idx) == runs
        x = theta if every else theta[idx]
        lo, ph = low[idx], phase[idx]
        n_low = int(lo.sum())
        if n_low in (0, len(idx)):
            f = step(x, alpha[idx], torch.float32 if n_low else torch.float64)
        else:
            f = torch.empty_like(x)
            for dtype, members in ((torch.float32, lo), (torch.float64, ~lo)):
                sel = torch.nonzero(members).flatten()
                f[sel] = step(x[sel], alpha[idx[sel]], dtype)
        change = torch.linalg.vector_norm(f.flatten(1), dim=1)
        plain = x + f  # T(x)

        # Bookkeeping: counters, the step history and the phase switches.
        iterations[idx] = it
        n_plain[idx] += ph == _PLAIN
        n32[idx] += lo
        n_anderson[idx] += ph == _ANDERSON
        last_change[idx] = change
        stop = (change < threshold) & ~lo  # decided on a float64 plain step only
        improved = change < best[idx]
        largest[idx] = torch.maximum(largest[idx], change)
        slot = (it - 1) % window
        ring = recent[idx]
        old = ring[:, slot]  # the step `window` iterations ago
        monotone = improved & torch.isfinite(old) & (ring.amax(1) <= old) & ~stop
        recent[idx, slot] = change
        since_best[idx] = torch.where(improved, 0, since_best[idx] + 1)
        best[idx] = torch.minimum(best[idx], change)
        to_scaled = (monotone & (ph == _PLAIN) & ~unscaled[idx] & (change < accel_start * largest[idx])
                     if accelerate else None)
        to_anderson = (monotone & (ph != _ANDERSON) & (change < anderson_start * largest[idx])
                       & (restarts[idx] < _RESTARTS)) if use_anderson else None
        blowup = (ph == _ANDERSON) & (change > 10.0 * best[idx]) if use_anderson else None
        # float32 gradients: on in phase 2 ("mixed"), off near the stop rule or at float32's noise floor.
        to_low = ((ph == _SCALED) & ~lo & ~polished[idx] & (change >= 64.0 * threshold)
                  if precision == "mixed" else None)
        # float32 noise floor: no new least step for `stall` iterations (in the plain phase of "float32"
        # only once well below the transient's steps)
        stalled = (since_best[idx] > stall) & ((ph != _PLAIN) | (best[idx] < 1e-4 * largest[idx]))
        to_high = lo & ((change < 64.0 * threshold) | stalled)
        to_plain = (ph == _SCALED) & ~lo & stalled  # scaled steps stuck at float64: plain steps for good

        new = plain
        if accelerate:
            scaled = ph == _SCALED
            if bool(scaled.any()):
                # successive plain steps pointing the same way: grow; turning back (overshoot): halve
                pf = prev_f[idx]
                cos = (f * pf).flatten(1).sum(1) / (change * previous[idx]).clamp_min(torch.finfo(DTYPE).tiny)
                g = torch.where(cos > 0.9, (scale[idx] * growth).clamp_max(max_scale), scale[idx])
                g = torch.where(cos < 0.5, (scale[idx] * 0.5).clamp_min(1.0), g)
                g = torch.where(scaled, g, scale[idx])
                scale[idx] = g
                moved = _rescaled(x + g[:, None, None] * f, plain, nonnegative)
                new = torch.where((scaled & ~stop)[:, None, None], moved, plain)
        if use_anderson and bool((ph == _ANDERSON).any()):
            rows = torch.nonzero((ph == _ANDERSON) & ~stop & ~blowup).flatten()
            if len(rows):
                r = idx[rows]
                xs, fs = x[rows].flatten(1), f[rows].flatten(1)
                mixed = _anderson(xs, fs, hist_x[r], hist_f[r], hist_valid[r]).view(-1, n, d)
                new = new.clone() if new is plain else new
                new[rows] = _rescaled(mixed, plain[rows], nonnegative)
                ptr = hist_ptr[r]
                hist_x[r, ptr], hist_f[r, ptr] = xs, fs
                hist_valid[r, ptr] = True
                hist_ptr[r] = (ptr + 1) % K
                better = improved[rows]
                best_x[r[better]] = x[rows][better]
            if bool(blowup.any()):  # restart from the best Anderson iterate
                rows = torch.nonzero(blowup).flatten()
                r = idx[rows]
                new = new.clone() if new is plain else new
                new[rows] = best_x[r]
                hist_valid[r] = False
                restarts[r] += 1
                phase[r[restarts[r] >= _RESTARTS]] = _SCALED
        if to_scaled is not None and bool(to_scaled.any()):
            r = idx[to_scaled]
            phase[r] = _SCALED
        if to_anderson is not None and bool(to_anderson.any()):
            rows = torch.nonzero(to_anderson).flatten()
            r = idx[rows]
            if hist_x is None:
                hist_x = torch.zeros(runs, K, n * d, dtype=DTYPE, device=device)
                hist_f = torch.zeros_like(hist_x)
                best_x = torch.empty_like(theta)
            phase[r] = _ANDERSON
            low[r] = False
            polished[r] = True
            hist_valid[r] = False
            hist_ptr[r] = 0
            best[r] = float("inf")
            best_x[r] = plain[rows]
        if bool(to_plain.any()):
            r = idx[to_plain]
            phase[r] = _PLAIN
            unscaled[r] = True
            scale[r] = 1.0
            best[r] = float("inf")
            since_best[r] = 0
        if to_low is not None and bool(to_low.any()):
            low[idx[to_low]] = True
        if bool(to_high.any()):
            r = idx[to_high]
            low[r] = False
            polished[r] = True
            best[r] = float("inf")
            since_best[r] = 0
        previous[idx] = change
        prev_f[idx] = f
        if every:
            theta = new
        else:
            theta[idx] = new
        if bool(stop.any()):
            converged[idx[stop]] = True
            idx = idx[~stop]
    if not bool(converged.all()):
        LOG.info("finder: %d of %d runs did not converge within %d iterations", int((~converged).sum()), runs, max_iter)
    return FinderResult(s=normalise(theta), theta=theta, iterations=iterations, converged=converged,
                        last_change=last_change, plain_iterations=n_plain, float32_iterations=n32,
                        anderson_iterations=n_anderson)
