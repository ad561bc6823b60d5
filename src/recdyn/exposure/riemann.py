"""Second-order Riemannian test of Definition 3 as implemented in thesis section 5.7.

For each producer, with the tangent projection ``P_i = I - s_i s_i^T``:

- Riemannian gradient ``P_i grad_{s_i} u_i``; the profile fails if any has l2 norm above
  ``grad_tol * sqrt(d)`` (thesis: 1e-5 * sqrt(d)).
- Riemannian Hessian ``R_i = P_i H_i P_i - <s_i, grad_{s_i} u_i> P_i``, restricted to the tangent space
  ``s_i^perp`` (``R_i s_i = 0`` always, so that direction is excluded). We take an orthonormal tangent basis
  from the Householder reflection that maps ``s_i`` to ``e_1`` and compute the ``d - 1`` tangent eigenvalues.

Labels per run (section 5.7): ``"rejected"`` if a gradient is too large or any tangent eigenvalue is
strictly positive (thesis: no tolerance; ``eig_tol`` is 0 by default and widens "zero" to ``|lambda| <=
eig_tol`` if set), ``"confirmed"`` if all tangent eigenvalues of all producers are strictly negative (a
differentiable Nash equilibrium, so an LNE), ``"not ruled out"`` otherwise (some eigenvalue is zero).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch
from torch import Tensor

from recdyn.exposure.game import as_tensor, gradients, hessians

LABELS = ("confirmed", "not ruled out", "rejected")


@dataclass
class RiemannTest:
    """Result of :func:`riemannian_test` for ``B`` runs (max over producers within a run)."""

    grad_norm: Tensor  # (B,) max_i ||P_i grad_i||
    max_eig: Tensor  # (B,) max_i max tangent eigenvalue of R_i
    label: np.ndarray  # (B,) str, one of LABELS
    eigenvalues: Tensor  # (B, n, d-1) tangent eigenvalues, ascending


def tangent_basis(s: Tensor) -> Tensor:
    """Orthonormal bases of ``s^perp``: shape ``(..., d, d-1)``, from the Householder map ``s -> e_1``.

    With ``v = s + sign(s_1) e_1`` (the stable choice) the reflection ``Q = I - 2 v v^T/||v||^2`` sends
    ``s`` to ``-sign(s_1) e_1``, so columns ``2..d`` of ``Q`` are orthonormal and orthogonal to ``s``.
    """
    d = s.shape[-1]
    sign = torch.where(s[..., :1] >= 0, 1.0, -1.0).to(s.dtype)
    v = s.clone()
    v[..., :1] = v[..., :1] + sign
    eye = torch.eye(d, dtype=s.dtype, device=s.device)
    q = eye - 2.0 * v[..., :, None] * v[..., None, :] / (v * v).sum(-1)[..., None, None]
    return q[..., :, 1:]


def riemannian_hessians(s: Tensor, c: Tensor, tau: float, weights: Tensor | None = None) -> tuple[Tensor, Tensor]:
    """``(P_i grad_i, R_i)`` for every producer: shapes ``(..., n, d)`` and ``(..., n, d, d)``."""
    s = as_tensor(s)
    c = as_tensor(c).to(s.device)
    g = gradients(s, c, tau, weights)
    h = hessians(s, c, tau, weights)
    d = s.shape[-1]
    proj = torch.eye(d, dtype=s.dtype, device=s.device) - s[..., :, None] * s[..., None, :]
    rgrad = torch.matmul(proj, g[..., None])[..., 0]
    radial = (s * g).sum(-1)[..., None, None]
    rhess = proj @ h @ proj - radial * proj
    return rgrad, rhess


def riemannian_test(
    s: Tensor, c: Tensor, tau: float, weights: Tensor | None = None, grad_tol: float = 1e-5, eig_tol: float = 0.0
) -> RiemannTest:
    """Second-order test of Definition 3 for strategy profiles ``s`` of shape ``(B, n, d)`` (section 5.7)."""
    s = as_tensor(s)
    rgrad, rhess = riemannian_hessians(s, c, tau, weights)
    basis = tangent_basis(s)  # (B, n, d, d-1)
    tangent = basis.transpose(-1, -2) @ rhess @ basis
    eig = torch.linalg.eigvalsh(0.5 * (tangent + tangent.transpose(-1, -2)))  # (B, n, d-1)
    grad_norm = torch.linalg.vector_norm(rgrad, dim=-1).amax(-1)
    max_eig = eig[..., -1].amax(-1)
    d = s.shape[-1]
    rejected = (grad_norm > grad_tol * math.sqrt(d)) | (max_eig > eig_tol)
    confirmed = (~rejected) & (max_eig < -eig_tol)
    label = np.where(rejected.cpu().numpy(), LABELS[2], np.where(confirmed.cpu().numpy(), LABELS[0], LABELS[1]))
    return RiemannTest(grad_norm=grad_norm, max_eig=max_eig, label=label, eigenvalues=eig)
