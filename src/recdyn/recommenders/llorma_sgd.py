"""Global LLORMA's two training loops, compiled with numba (thesis section 2.4;
:mod:`recdyn.recommenders.llorma`): :func:`sgd_epoch`, one epoch of the joint minibatch training of
the local models ("Local training"), and :func:`pretrain`, the momentum gradient descent of the
global pre-training factorisation ("Pre-training").

Per batch of ratings ``(u, i, r)`` with normalised anchor weights ``w`` (T,) the combined
prediction is ``sum_t w_t <P_t[u], Q_t[i]>``; with the error ``e`` of the summed squared loss,
every local factor row of the batch moves by the gradient at the batch's *old* values::

    P_t[u] <- decay P_t[u] - lr 2 e w_t Q_t[i],    Q_t[i] <- decay Q_t[i] - lr 2 e w_t P_t[u]

(``decay = 1 - 2 lr reg`` applies the full regulariser to every row at every step, as TF's
``llorma_g``). The decay is carried by a scalar ``scale`` (actual factors = ``scale`` x stored
ones; renormalised below ``min_scale``), so a step touches only the batch's rows: stored rows
move by ``-(lr / decay) g`` and ``scale`` by ``decay``.

Why compiled: the step gathers, multiplies and scatters ``batch x T r`` entries; as a dozen torch
operations it was bound by memory traffic and per-operation overhead (0.84-0.89 ms per step at
1000 x 10 x 20 in float32, one thread); one pass in numba takes 0.27-0.31 ms (issue 21,
``benchmarks/bench_llorma.py``). Arithmetic is in the factors' dtype (float32 or float64); each
dot product is summed in index order and numba's default (no fast-math) keeps IEEE order, so a
fit is the same on every machine. The epoch's loss (for ``train_rmse_``) is accumulated per batch
in the factors' dtype and summed over batches in float64.

The pre-training (float64) was numpy: per iteration two gathered residual passes and two sparse
products (about 17 ms at 150,000 ratings and rank 10); :func:`pretrain` does the same sums in the
same order as the sparse products (ratings sorted by user, then item) in one loop, 5-6x faster.
"""

from __future__ import annotations

import numpy as np
from numba import njit


@njit(cache=True, nogil=True)
def sgd_epoch(p: np.ndarray, q: np.ndarray, users: np.ndarray, items: np.ndarray,
              ratings: np.ndarray, weights: np.ndarray, batch: int, lr: float, decay: float,
              scale: float, min_scale: float,
              rank: int) -> tuple[float, float]:  # pragma: no cover - compiled
    """One pass over the ratings in the given order, in batches of ``batch``; updates the stored
    factors ``p`` (n_users, T*rank) and ``q`` (n_items, T*rank) in place. Returns the summed
    squared error (before each batch's update) and the new ``scale``."""
    n = users.size
    n_anchor = weights.shape[1]
    width = n_anchor * rank
    zero = p.dtype.type(0.0)
    two = p.dtype.type(2.0)
    grad_p = np.empty((batch, width), p.dtype)
    grad_q = np.empty((batch, width), p.dtype)
    sse = 0.0
    for start in range(0, n, batch):
        stop = min(start + batch, n)
        s2 = p.dtype.type(scale * scale)
        batch_sse = zero
        for j in range(stop - start):
            k = start + j
            u = users[k]
            i = items[k]
            pred = zero
            for t in range(n_anchor):
                local = zero
                for c in range(rank):
                    local += p[u, t * rank + c] * q[i, t * rank + c]
                pred += weights[k, t] * (local * s2)
            err = pred - ratings[k]
            batch_sse += err * err
            for t in range(n_anchor):
                g = two * err * weights[k, t]
                for c in range(rank):
                    grad_p[j, t * rank + c] = g * q[i, t * rank + c]
                    grad_q[j, t * rank + c] = g * p[u, t * rank + c]
        sse += float(batch_sse)
        scale *= decay
        alpha = p.dtype.type(-lr / decay)
        for j in range(stop - start):
            u = users[start + j]
            i = items[start + j]
            for c in range(width):
                p[u, c] += alpha * grad_p[j, c]
            for c in range(width):
                q[i, c] += alpha * grad_q[j, c]
        if scale < min_scale:
            factor = p.dtype.type(scale)
            p *= factor
            q *= factor
            scale = 1.0
    return sse, scale


@njit(cache=True, nogil=True)
def _momentum_step(x: np.ndarray, acc: np.ndarray, grad: np.ndarray, lr: float,
                   reg: float) -> bool:  # pragma: no cover - compiled
    """``acc = 0.9 acc + (2 grad + 2 reg x); x -= lr acc``; False if ``acc`` is not finite."""
    finite = True
    for r in range(x.shape[0]):
        for c in range(x.shape[1]):
            acc[r, c] = 0.9 * acc[r, c] + (2.0 * grad[r, c] + 2.0 * reg * x[r, c])
            x[r, c] -= lr * acc[r, c]
            finite &= np.isfinite(acc[r, c])
    return finite


@njit(cache=True, nogil=True)
def _residual(p: np.ndarray, q: np.ndarray, u: int, i: int, rating: float) -> float:  # pragma: no cover
    resid = 0.0
    for c in range(p.shape[1]):
        resid += p[u, c] * q[i, c]
    return resid - rating


@njit(cache=True, nogil=True)
def pretrain(p: np.ndarray, q: np.ndarray, users: np.ndarray, items: np.ndarray, ratings: np.ndarray,
             lr: float, reg: float, iters: int) -> None:  # pragma: no cover - compiled
    """At most ``iters`` iterations of TF's pre-training on ``p`` (n_users, k) and ``q`` (n_items,
    k) in place: the loss ``sum (<p_u, q_i> - r)^2 + reg (|P|^2 + |Q|^2)`` stepped by momentum
    gradient descent (``acc = 0.9 acc + grad; x -= lr acc``), P first, then Q with the new P;
    stops after an iteration whose momentum buffers are not finite (the caller checks ``p``,
    ``q``). The ratings must be sorted by user, then item: the gradient sums then run in the order
    of the sparse products they replace."""
    acc_p = np.zeros_like(p)
    acc_q = np.zeros_like(q)
    grad_p = np.empty_like(p)
    grad_q = np.empty_like(q)
    for _ in range(iters):
        grad_p[:] = 0.0
        for k in range(users.size):
            resid = _residual(p, q, users[k], items[k], ratings[k])
            for c in range(p.shape[1]):
                grad_p[users[k], c] += resid * q[items[k], c]
        finite = _momentum_step(p, acc_p, grad_p, lr, reg)
        grad_q[:] = 0.0
        for k in range(users.size):
            resid = _residual(p, q, users[k], items[k], ratings[k])
            for c in range(q.shape[1]):
                grad_q[items[k], c] += resid * p[users[k], c]
        finite &= _momentum_step(q, acc_q, grad_q, lr, reg)
        if not finite:
            return


__all__ = ["pretrain", "sgd_epoch"]
