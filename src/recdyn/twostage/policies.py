"""Batched linear bandit learners (thesis section 4.3, items 1-2, and section 4.8).

One :class:`LinearLearner` holds ``K`` independent components (e.g. the ``N`` nominators of a
two-stage system, or one single-stage agent) for each of ``B`` independent runs (seeds or
hyperparameter settings), all advanced together:

* ``ucb`` (LinUCB): ridge estimate ``theta = Sigma b`` with ``Sigma = (lam * k * I + sum x x^T)^-1``
  (section 4.8: "the regularizer lambda was multiplied by the input dimension"), action
  ``argmax <theta, x_a> + alpha sqrt(x_a^T Sigma x_a)``; ``Sigma`` is kept by rank-one
  Sherman-Morrison updates, never re-inverted.
* ``greedy``: the same with ``alpha = 0``; ties (e.g. at ``theta = 0``) are broken uniformly at
  random, as in ``pi_t(x) = Unif(argmax_a f_t(x, a))`` (section 4.3).
* ``pg`` (policy gradient, section 4.8): softmax policy ``log pi_a = <theta, x_a> - log sum_a'
  exp <theta, x_a'>``, one step ``theta += lr * r_t * grad log pi_{a_t}`` on the last observed tuple
  (no baseline, no replay buffer). The normaliser runs over the arms the component chose from;
  for a nominator trained on an arm outside its pool ("training-on-all"), over its pool plus that
  arm (our reading: the text does not say which set normalises a nominator's softmax).

Observation weights ``w`` in {0, 1} implement "training-on-own" (section 4.3): weight 0 leaves a
component untouched.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

KINDS = ("ucb", "greedy", "pg")
ABBREVIATIONS = {"U": "ucb", "G": "greedy", "PG": "pg"}


def _batch_param(value: float | np.ndarray, batch: int, name: str) -> np.ndarray:
    arr = np.broadcast_to(np.asarray(value, dtype=np.float64), (batch,)).copy()
    if np.any(arr < 0):
        raise ValueError(f"{name} must be non-negative, got {arr.min()}")
    return arr


@dataclass
class LinearLearner:
    """``K`` linear learners of input dimension ``dim`` for each of ``batch`` runs.

    ``lam`` (ridge, before multiplication by ``dim``), ``alpha`` (UCB bonus) and ``lr`` (PG
    learning rate) are scalars or per-run arrays of shape ``(batch,)``.
    """

    kind: str
    batch: int
    components: int
    dim: int
    lam: float | np.ndarray = 1.0
    alpha: float | np.ndarray = 1.0
    lr: float | np.ndarray = 0.1
    sigma: np.ndarray = field(init=False, repr=False)
    bvec: np.ndarray = field(init=False, repr=False)
    theta: np.ndarray = field(init=False, repr=False)
    _fixed_x: np.ndarray | None = field(init=False, repr=False, default=None)
    _width2: np.ndarray | None = field(init=False, repr=False, default=None)

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"unknown learner kind {self.kind!r} (expected one of {KINDS})")
        if self.dim < 1 or self.components < 1 or self.batch < 1:
            raise ValueError("batch, components and dim must be positive")
        self.lam = _batch_param(self.lam, self.batch, "lam")
        self.alpha = _batch_param(0.0 if self.kind == "greedy" else self.alpha, self.batch, "alpha")
        self.lr = _batch_param(self.lr, self.batch, "lr")
        shape = (self.batch, self.components)
        self.theta = np.zeros((*shape, self.dim))
        self.bvec = np.zeros((*shape, self.dim))
        if self.kind == "pg":
            self.sigma = np.zeros((0,))
        else:
            if np.any(self.lam <= 0):
                raise ValueError("ucb/greedy need lam > 0 (Sigma must be invertible)")
            inv = 1.0 / (self.lam * self.dim)
            self.sigma = np.eye(self.dim)[None, None] * inv[:, None, None, None]
            self.sigma = np.broadcast_to(self.sigma, (*shape, self.dim, self.dim)).copy()

    # ------------------------------------------------------------------ acting
    def fix_arms(self, x: np.ndarray) -> None:
        """Declare ``x`` ``(B, K, m, dim)`` the arms of every later round (fixed-context problems):
        the UCB widths ``x_a^T Sigma x_a`` are then kept up to date by rank-one corrections
        (``O(m dim)`` per round instead of ``O(m dim^2)``)."""
        self._fixed_x = x
        if self.kind != "pg":
            self._width2 = np.einsum("bkmd,bkmd->bkm", x @ self.sigma, x)

    def scores(self, x: np.ndarray) -> np.ndarray:
        """Index scores ``(B, K, m)`` of arms ``x`` ``(B, K, m, dim)``: UCB index, greedy mean, PG logits."""
        mean = (x @ self.theta[..., None])[..., 0]
        if self.kind == "pg" or not np.any(self.alpha > 0):
            return mean
        if x is self._fixed_x and self._width2 is not None:
            width = np.sqrt(np.maximum(self._width2, 0.0))
            return mean + self.alpha[:, None, None] * width
        sx = x @ self.sigma  # (B, K, m, dim)
        width = np.sqrt(np.maximum(np.einsum("bkmd,bkmd->bkm", sx, x), 0.0))
        return mean + self.alpha[:, None, None] * width

    def act(self, x: np.ndarray, mask: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        """Chosen index ``(B, K)`` among the ``m`` arms of each component (``mask`` marks real arms)."""
        s = self.scores(x)
        if self.kind == "pg":
            return sample_softmax(s, mask, rng)
        return random_argmax(s, mask, rng)

    # ---------------------------------------------------------------- learning
    def update(self, x_obs: np.ndarray, reward: np.ndarray, weight: np.ndarray | None = None,
               x_set: np.ndarray | None = None, set_mask: np.ndarray | None = None) -> None:
        """One observation per component: features ``x_obs`` ``(B, K, dim)``, reward ``(B,)``,
        weight ``(B, K)`` in {0, 1} (default 1). PG also needs the arms its softmax normalises
        over, ``x_set`` ``(B, K, m, dim)`` with ``set_mask`` ``(B, K, m)``."""
        w = np.ones((self.batch, self.components)) if weight is None else np.asarray(weight, dtype=np.float64)
        r = np.asarray(reward, dtype=np.float64)[:, None]
        if self.kind == "pg":
            if x_set is None or set_mask is None:
                raise ValueError("pg update needs x_set and set_mask")
            logits = np.einsum("bkmd,bkd->bkm", x_set, self.theta)
            probs = masked_softmax(logits, set_mask)
            grad = x_obs - np.einsum("bkm,bkmd->bkd", probs, x_set)
            self.theta += (self.lr[:, None] * r * w)[..., None] * grad
            return
        sx = (self.sigma @ x_obs[..., None])[..., 0]  # u = Sigma x, (B, K, dim)
        xu = np.einsum("bki,bki->bk", sx, x_obs)
        coef = w / (1.0 + w * xu)
        # theta' = Sigma' b' with Sigma' = Sigma - c u u^T, b' = b + w r x, in O(dim):
        # Sigma' b = theta - c u (u^T b); Sigma' x = u (1 - c x^T u)
        ub = np.einsum("bki,bki->bk", sx, self.bvec)
        self.theta += (-coef * ub + w * r * (1.0 - coef * xu))[..., None] * sx
        self.bvec += (w * r)[..., None] * x_obs
        rank_one_downdate(self.sigma, coef[..., None] * sx, sx)
        if self._width2 is not None:
            self._width2 -= coef[..., None] * (self._fixed_x @ sx[..., None])[..., 0] ** 2


TORCH_MIN_ENTRIES = 1 << 16  # size of Sigma from which rank_one_downdate goes through torch


def rank_one_downdate(sigma: np.ndarray, a: np.ndarray, b: np.ndarray) -> None:
    """``sigma -= a b^T`` in place for every leading index: ``sigma`` ``(..., s, s)`` C-contiguous,
    ``a``, ``b`` ``(..., s)``.

    The numpy expression ``sigma -= a[..., :, None] * b[..., None, :]`` builds a temporary as large as
    ``sigma`` and is memory-bound: for the Amazon learners (``B * N`` matrices of 150 x 150) it was
    most of a chapter 4 bandit job. torch's batched ``baddbmm_`` (a BLAS rank-one product with
    ``alpha = -1``, written into ``sigma`` through a shared-memory view) computes the same products
    ``a_i b_j`` and the same subtractions, so the result is the same bit for bit (tested), at a
    quarter to a third of the time once ``sigma`` holds ``TORCH_MIN_ENTRIES`` numbers or more
    (measured: 200 x 40 x 40 476 -> 140 us, 100 x 150 x 150 7.2 -> 1.6 ms); below that the numpy
    expression is faster (10 x 10 x 10: 5 vs 17 us) and torch is not imported.
    """
    if not sigma.flags.c_contiguous:
        raise ValueError("rank_one_downdate needs a C-contiguous sigma (it is updated in place)")
    if sigma.size < TORCH_MIN_ENTRIES:
        sigma -= a[..., :, None] * b[..., None, :]
        return
    import torch  # imported here: small problems never need it

    s = sigma.shape[-1]
    left = torch.from_numpy(np.ascontiguousarray(a, dtype=sigma.dtype)).reshape(-1, s, 1)
    right = torch.from_numpy(np.ascontiguousarray(b, dtype=sigma.dtype)).reshape(-1, 1, s)
    torch.from_numpy(sigma).view(-1, s, s).baddbmm_(left, right, alpha=-1)


def random_argmax(scores: np.ndarray, mask: np.ndarray, rng: np.random.Generator, rtol: float = 1e-12) -> np.ndarray:
    """Argmax over the last axis among ``mask``-ed entries, ties broken uniformly at random."""
    s = np.where(mask, scores, -np.inf)
    top = s.max(axis=-1, keepdims=True)
    tied = s >= top - rtol * np.maximum(np.abs(top), 1.0)
    keys = np.where(tied, rng.random(s.shape), -1.0)
    return keys.argmax(axis=-1)


def masked_softmax(logits: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """Softmax over the last axis restricted to ``mask``."""
    z = np.where(mask, logits, -np.inf)
    z = z - z.max(axis=-1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=-1, keepdims=True)


def sample_softmax(logits: np.ndarray, mask: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """One draw per row from the masked softmax (inverse-CDF, vectorised)."""
    p = masked_softmax(logits, mask)
    cdf = np.cumsum(p, axis=-1)
    u = rng.random((*p.shape[:-1], 1)) * cdf[..., -1:]
    idx = (cdf < u).sum(axis=-1)
    return np.minimum(idx, p.shape[-1] - 1)


__all__ = ["ABBREVIATIONS", "KINDS", "LinearLearner", "masked_softmax", "random_argmax", "rank_one_downdate", "sample_softmax"]
