"""The softmax exposure game (thesis section 5.2, Definition 1), batched over many games.

A game has ``n`` producers with unit-norm strategies ``s_i`` in R^d and a demand distribution
``P_c = sum_j w_j delta_{c_j}`` over ``m`` consumer embeddings (uniform ``w_j = 1/m`` unless weights are
given). Consumer ``c`` is shown item ``i`` with probability ``p_i(c) = softmax(<c, s_j>/tau)_i``
(section 5.1) and producer ``i`` receives the expected exposure ``u_i(s) = E_c[p_i(c)]``.

Derivatives with respect to a producer's *own* strategy (the others held fixed), in the ambient space R^d:

- gradient  ``grad_i = E_c[p_i (1 - p_i) c] / tau``,
- Hessian   ``H_i = E_c[p_i (1 - p_i) (1 - 2 p_i) c c^T] / tau^2``.

All functions take ``s`` of shape ``(..., n, d)`` (any leading batch dims, e.g. runs) and ``c`` of shape
``(m, d)``; everything is float64 torch, on the device of the inputs. These ambient derivatives ignore the unit-norm constraint; the
Riemannian versions are in :mod:`recdyn.exposure.riemann`.
"""

from __future__ import annotations

import torch
from torch import Tensor

DTYPE = torch.float64


def as_tensor(x, dtype: torch.dtype = DTYPE, device: str | torch.device | None = None) -> Tensor:
    """A float64 (by default) tensor view of an array-like, without copying tensors of the right dtype (and
    device: ``None`` keeps a tensor's device, and puts array-likes on the CPU)."""
    if isinstance(x, Tensor):
        return x.to(dtype=dtype, device=device)
    return torch.as_tensor(x, dtype=dtype, device=device)


def demand_weights(c: Tensor, weights: Tensor | None = None) -> Tensor:
    """Weights of the empirical demand distribution: uniform ``1/m``, or ``weights`` normalised to sum 1."""
    m = c.shape[0]
    if weights is None:
        return torch.full((m,), 1.0 / m, dtype=c.dtype, device=c.device)
    weights = as_tensor(weights, c.dtype, c.device)
    if weights.shape != (m,) or bool((weights < 0).any()) or float(weights.sum()) <= 0:
        raise ValueError(f"weights must be non-negative of shape ({m},) with positive sum, got {tuple(weights.shape)}")
    return weights / weights.sum()


def _check(s: Tensor, c: Tensor, tau: float) -> None:
    if tau <= 0:
        raise ValueError(f"softmax exposure games need tau > 0, got tau={tau}")
    if s.shape[-1] != c.shape[-1] or c.dim() != 2:
        raise ValueError(f"strategies (..., n, d) and consumers (m, d) disagree: {tuple(s.shape)} vs {tuple(c.shape)}")


def _probabilities_flat(s: Tensor, c: Tensor, tau: float) -> Tensor:
    """Softmax exposure probabilities laid out as ``(m, G)`` with ``G = prod(batch) * n`` (row-major).

    One 2-D GEMM over all games at once: batched matmuls with tiny inner dimensions are several times
    slower, and so is ``torch.softmax`` for float64 with a short last axis, hence the in-place version.
    """
    _check(s, c, tau)
    n, d = s.shape[-2:]
    z = torch.matmul(c, s.reshape(-1, d).T).div_(tau).view(c.shape[0], -1, n)
    if n >= 32:  # long rows: torch's fused kernel wins
        return torch.softmax(z, dim=-1).view(c.shape[0], -1)
    z.sub_(z.amax(-1, keepdim=True)).exp_()
    return z.div_(z.sum(-1, keepdim=True)).view(c.shape[0], -1)


def exposure_probabilities(s: Tensor, c: Tensor, tau: float) -> Tensor:
    """``p[..., j, i] = softmax_i(<c_j, s_i>/tau)`` of shape ``(..., m, n)`` (section 5.1)."""
    s, c = as_tensor(s), as_tensor(c)
    p = _probabilities_flat(s, c, tau)
    return p.T.reshape(*s.shape[:-1], c.shape[0]).transpose(-1, -2)


def utilities(s: Tensor, c: Tensor, tau: float, weights: Tensor | None = None) -> Tensor:
    """Expected exposure ``u_i(s) = E_c[p_i(c)]`` of every producer, shape ``(..., n)`` (Definition 1)."""
    s, c = as_tensor(s), as_tensor(c)
    p = _probabilities_flat(s, c, tau)
    return torch.matmul(demand_weights(c, weights), p).view(s.shape[:-1])


def gradients(s: Tensor, c: Tensor, tau: float, weights: Tensor | None = None) -> Tensor:
    """``grad_{s_i} u_i = E_c[p_i (1 - p_i) c] / tau`` for every producer, shape ``(..., n, d)``."""
    return utilities_and_gradients(s, c, tau, weights)[1]


def utilities_and_gradients(
    s: Tensor, c: Tensor, tau: float, weights: Tensor | None = None
) -> tuple[Tensor, Tensor]:
    """Both :func:`utilities` and :func:`gradients` from one softmax evaluation."""
    s, c = as_tensor(s), as_tensor(c)
    p = _probabilities_flat(s, c, tau)
    q = p.neg().add_(1.0).mul_(p)  # p (1 - p), one temporary
    if weights is None:  # uniform demand: average after the GEMMs instead of weighting every entry
        m = c.shape[0]
        return p.sum(0).div_(m).view(s.shape[:-1]), torch.matmul(q.T, c).div_(tau * m).view(s.shape)
    w = demand_weights(c, weights)
    u = torch.matmul(w, p).view(s.shape[:-1])
    g = torch.matmul(q.mul_(w[:, None]).T, c).div_(tau).view(s.shape)
    return u, g


def hessians(
    s: Tensor, c: Tensor, tau: float, weights: Tensor | None = None, chunk_elements: int = 2**24
) -> Tensor:
    """``H_i = E_c[p_i (1 - p_i) (1 - 2 p_i) c c^T] / tau^2``, shape ``(..., n, d, d)``.

    Computed in chunks of producers so that no ``(games, m, d)`` intermediate exceeds ``chunk_elements``.
    """
    s, c = as_tensor(s), as_tensor(c)
    p = _probabilities_flat(s, c, tau)
    flat = (p * (1.0 - p) * (1.0 - 2.0 * p) * demand_weights(c, weights)[:, None]).T  # (G, m)
    m, d = c.shape
    step = max(1, chunk_elements // max(1, m * d))
    out = torch.empty(flat.shape[0], d, d, dtype=c.dtype, device=c.device)
    for start in range(0, flat.shape[0], step):
        weighted = flat[start:start + step, :, None] * c  # (k, m, d)
        out[start:start + step] = torch.matmul(weighted.transpose(-1, -2), c)
    return out.view(*s.shape, d) / tau**2


def mean_direction(c: Tensor, weights: Tensor | None = None) -> Tensor:
    """``c-bar = E[c] / ||E[c]||``, the collapse point of Theorem 4 and critical point of Proposition 4."""
    c = as_tensor(c)
    mean = torch.matmul(demand_weights(c, weights), c)
    norm = torch.linalg.vector_norm(mean)
    if float(norm) == 0.0:
        raise ValueError("E[c] = 0: c-bar is undefined (Theorem 4 and Proposition 4 assume E[c] != 0)")
    return mean / norm
