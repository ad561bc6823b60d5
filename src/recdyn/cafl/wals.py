"""Regularised weighted-least-squares matrix factorisation by alternating least squares (thesis
section 3.4: "we use matrix factorization trained using alternating least squares as the
parametric model P_Theta ... We implement cafl in this setting by running weighted least squares,
where the weight for each observed rating R_t,ui is as defined in Equation 1").

Model and objective
-------------------
Predicted rating ``r_hat(u, i) = mu + p_u . q_i`` with ``p_u, q_i`` in R^k, minimising::

    sum_{(u,i) observed} w_ui (r_ui - mu - p_u . q_i)^2 + lam_u |p_u|^2 + lam_i |q_i|^2

with one non-negative weight ``w_ui`` per observed rating (CAFL: the weights of
:mod:`recdyn.cafl.weights`; Feedback and Uniform: 1).

* No user or item biases: the thesis' model is prob-MF, ``N(R_ui | theta_u^T beta_i, sigma^2)``
  (section 3.2/3.3), and the CAFL authors' own ALS (the paper's public repository, ``als.py``: a
  RecLab ``PredictRecommender`` with ``user_factors @ item_factors.T``) has none.
* ``mu`` (*choice*, ``center``): 0 by default (the thesis' and the authors' model); with
  ``center=True`` it is the weighted mean training rating, fixed before the alternation, so
  users and items without data are predicted around ``mu`` instead of around 0.
* Regularisation: ``lam_u = lam_i = reg`` (the authors' ``reg * I`` in every normal equation, not
  scaled by the number or the weights of the ratings; their default ``regularizer=0.04``);
  ``reg_by_weight=True`` gives the ALS-WR variant (Zhou et al. 2008) ``lam_u = reg * sum_i w_ui``.
  ``reg`` must be positive, so every normal equation is positive definite.
* Users and items without observations (``unobserved``): the normal equation of such a row gives
  the factor 0, so every never-rated item would be predicted exactly 0 (``offset``) for every
  user and all of them would tie. The CAFL authors' ALS (``als.py``, ``update_values``) starts
  each half-step from i.i.d. ``N(0, 0.1^2)`` factors and skips the rows without data, so those
  rows KEEP a random vector and a never-rated item is predicted ``p_u . q_rand``: small, below
  the items with (positive) ratings, ordered differently for each user but consistently across
  users who share a direction of taste. ``unobserved="random"`` (the authors' reading; the
  default of the section 3.4 experiments, :data:`recdyn.cafl.experiment.DEFAULT_WALS`) keeps
  such rows at their initial draw (or warm-start value); ``"zero"`` (default here: the plain
  ridge solution) sets them to 0.
  This decides how the top-k sets of the homogenization metric (and the greedy policy) order the
  items a learner has no data on (see :mod:`recdyn.cafl.experiment`).
* Alternation (the authors' order): item factors given user factors, then user factors given item
  factors; ``n_iters`` such sweeps. Initialisation: i.i.d. ``N(0, init_sd^2)`` entries
  (``init_sd = 0.1`` as the authors) from ``numpy.random.default_rng(seed)``, or a warm start
  from a previous :class:`WALSModel` (``init=``; its all-zero rows, users or items that had no
  data then, restart from the random draw; *choice*, for speed: the authors refit from scratch
  with 200 sweeps at every retrain).

Each half-step (:func:`solve_rows`) builds ALL rows' ``k x k`` normal equations
``(sum_j w_j y_j y_j^T + lam I) x = sum_j w_j r_j y_j`` at once and solves them with ONE batched
solve on the stacked ``(n_rows, k, k)`` array: ``numpy.linalg.solve`` for small k, a batched
Cholesky in torch (``torch.linalg.cholesky_ex`` + two batched triangular solves) for k >= 48
(``backend``). Measured on 2 shared CPUs: torch's per-call thread start-up dominates small
problems, while numpy's stacked matmul/solve at k = 100 thrash a multi-threaded OpenBLAS when the
CPUs are busy (up to 30x slower), which torch does not. The Gram matrices are batched matrix
products of the zero-padded, ``sqrt(w)``-scaled gathered factors; rows are grouped by their
number of observations into buckets growing by 2^(1/4), so padding adds less than 19% work
whatever the skew of the data (a loop over at most ~4 log2(max count) buckets and
memory-bounded chunks of them, never over users or items). Everything is float64 by default and
deterministic for a fixed seed (and thread count).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
import torch

#: Elements (rows x padded length x k) per chunk of gathered factors in the Gram computation.
_GRAM_CHUNK_ELEMENTS = 1 << 23
#: Row buckets per doubling of the observation count (padding overhead below 2^(1/4) - 1).
_BUCKETS_PER_OCTAVE = 4


@dataclass
class WALSModel:
    """A fitted factorisation: ``predict(u, i) = offset + user_factors[u] . item_factors[i]``."""

    user_factors: np.ndarray
    item_factors: np.ndarray
    offset: float = 0.0

    @property
    def n_users(self) -> int:
        return self.user_factors.shape[0]

    @property
    def n_items(self) -> int:
        return self.item_factors.shape[0]

    @property
    def latent_dim(self) -> int:
        return self.user_factors.shape[1]

    def predict(self, users: np.ndarray, items: np.ndarray) -> np.ndarray:
        """Predicted rating of each pair ``(users[j], items[j])`` (unclipped)."""
        users = np.asarray(users, dtype=np.int64)
        items = np.asarray(items, dtype=np.int64)
        return self.offset + np.einsum("nk,nk->n", self.user_factors[users], self.item_factors[items])

    def scores(self, users: np.ndarray | None = None) -> np.ndarray:
        """Dense (len(users), n_items) predicted ratings (all users if ``users`` is None)."""
        p = self.user_factors if users is None else self.user_factors[np.asarray(users, dtype=np.int64)]
        return self.offset + p @ self.item_factors.T


BACKENDS = ("auto", "numpy", "torch")
#: ``backend="auto"`` uses numpy up to this latent dimension and torch above it.
AUTO_TORCH_MIN_DIM = 48


def _resolve_backend(backend: str, k: int) -> str:
    if backend not in BACKENDS:
        raise ValueError(f"backend must be one of {BACKENDS}, got {backend!r}")
    if backend == "auto":
        return "torch" if k >= AUTO_TORCH_MIN_DIM else "numpy"
    return backend


def _batched_gram(x: np.ndarray, out: np.ndarray, backend: str) -> None:
    """``out[j] = x[j]^T x[j]`` for a stack ``x`` of (width, k) blocks."""
    if backend == "torch":
        xt = torch.from_numpy(x)
        torch.bmm(xt.transpose(1, 2), xt, out=torch.from_numpy(out))
    else:
        np.matmul(x.transpose(0, 2, 1), x, out=out)


def _grams_in_bucket_order(rows: np.ndarray, cols: np.ndarray, weights: np.ndarray, other: np.ndarray,
                           n_rows: int, backend: str) -> tuple[np.ndarray, np.ndarray]:
    """The Gram matrices of :func:`gram_matrices` stacked in the order ``row_order`` in which the
    buckets produce them (rows without observations last, with zero matrices); returns
    ``(grams, row_order)`` so that ``grams[j]`` belongs to row ``row_order[j]``."""
    k = other.shape[1]
    order = np.argsort(rows, kind="stable")
    rows_s, cols_s = rows[order], cols[order]
    counts = np.bincount(rows_s, minlength=n_rows)
    nonempty = np.flatnonzero(counts)
    empty = np.flatnonzero(counts == 0)
    grams = np.empty((n_rows, k, k), dtype=other.dtype)
    grams[nonempty.size:] = 0.0
    if rows.size == 0:
        return grams, empty
    starts = np.concatenate(([0], np.cumsum(counts)[:-1]))
    sqrt_w = np.sqrt(weights[order]).astype(other.dtype, copy=False)
    # Bucket b holds the rows with 2^((b-1)/4) < count <= 2^(b/4): padding wastes < 19%.
    bucket = np.ceil(_BUCKETS_PER_OCTAVE * np.log2(counts[nonempty])).astype(np.int64)
    bucket_rows = [nonempty[bucket == b] for b in np.unique(bucket)]
    widths = [int(counts[brows].max()) for brows in bucket_rows]
    # One reusable buffer for the padded blocks (re-zeroing it is much cheaper than allocating).
    need = max(min(_GRAM_CHUNK_ELEMENTS, w * k * brows.size) for w, brows in zip(widths, bucket_rows))
    buffer = np.empty(need + max(widths) * k, dtype=other.dtype)
    done = 0
    for brows, width in zip(bucket_rows, widths):
        per_chunk = max(1, _GRAM_CHUNK_ELEMENTS // (width * k))
        for c0 in range(0, brows.size, per_chunk):
            crows = brows[c0:c0 + per_chunk]
            # observations of these rows: the runs [starts[r], starts[r] + counts[r]) of the sort
            lengths = counts[crows]
            offsets = np.cumsum(lengths) - lengths
            obs = np.repeat(starts[crows] - offsets, lengths) + np.arange(lengths.sum())
            # slot of each observation in the padded (rows x width) block
            dest = np.arange(lengths.sum()) + np.repeat(np.arange(crows.size) * width - offsets, lengths)
            x = buffer[:crows.size * width * k].reshape(crows.size, width, k)
            x[np.arange(width)[None, :] >= lengths[:, None]] = 0.0  # the padding only
            x.reshape(-1, k)[dest] = other[cols_s[obs]] * sqrt_w[obs, None]
            _batched_gram(x, grams[done:done + crows.size], backend)
            done += crows.size
    return grams, np.concatenate(bucket_rows + [empty])


def gram_matrices(rows: np.ndarray, cols: np.ndarray, weights: np.ndarray, other: np.ndarray,
                  n_rows: int, *, backend: str = "auto") -> np.ndarray:
    """``G[r] = sum_{j: rows[j] = r} weights[j] * other[cols[j]] other[cols[j]]^T`` for every row,
    as a stacked ``(n_rows, k, k)`` array (zeros for rows without observations).

    Batched: observations are sorted by row, rows grouped into buckets of similar observation
    counts (growing by 2^(1/4)), and each bucket's zero-padded ``sqrt(w)``-scaled factors ``X`` (rows x
    padded length x k) give ``X^T X`` by one batched matmul (chunked to bound memory).
    """
    other = np.ascontiguousarray(other)
    rows = np.asarray(rows, dtype=np.int64)
    cols = np.asarray(cols, dtype=np.int64)
    weights = np.asarray(weights, dtype=other.dtype)
    if np.any(weights < 0):
        raise ValueError("weights must be non-negative")
    grams, row_order = _grams_in_bucket_order(rows, cols, weights, other, n_rows,
                                              _resolve_backend(backend, other.shape[1]))
    out = np.empty_like(grams)
    out[row_order] = grams
    return out


def _batched_solve(gram: np.ndarray, rhs: np.ndarray, backend: str) -> np.ndarray:
    """Solve every symmetric positive definite system ``gram[j] x = rhs[j]`` in one call."""
    if backend == "numpy":
        return np.linalg.solve(gram, rhs[:, :, None])[:, :, 0]
    chol, info = torch.linalg.cholesky_ex(torch.from_numpy(gram))
    if bool((info != 0).any()):  # cannot happen for reg > 0 and finite inputs
        raise np.linalg.LinAlgError("normal equations not positive definite")
    # Two batched triangular solves (L y = b, L^T x = y): ~5x faster than torch.cholesky_solve
    # on CPU for k ~ 100.
    y = torch.linalg.solve_triangular(chol, torch.from_numpy(rhs)[:, :, None], upper=False)
    return torch.linalg.solve_triangular(chol.transpose(1, 2), y, upper=True)[:, :, 0].numpy()


def solve_rows(rows: np.ndarray, cols: np.ndarray, values: np.ndarray, weights: np.ndarray,
               other: np.ndarray, n_rows: int, reg: float, *, reg_by_weight: bool = False,
               backend: str = "auto") -> np.ndarray:
    """One ALS half-step: the factors of every row given the factors ``other`` of the columns.

    Solves, for all rows at once, ``(G_r + lam_r I) x_r = sum_j w_j values_j other[cols_j]`` with
    ``G_r`` from :func:`gram_matrices` and ``lam_r = reg`` (or ``reg * sum_j w_j`` with
    ``reg_by_weight``; rows with zero total weight then fall back to ``reg``), by one batched
    solve over the stacked ``(n_rows, k, k)`` systems: ``backend="torch"`` a batched Cholesky
    (``torch.linalg.cholesky_ex`` and two batched triangular solves), ``"numpy"``
    ``numpy.linalg.solve`` on the stack; ``"auto"`` (default) numpy below k = 48, torch from
    there on (module docstring). Returns ``(n_rows, k)`` factors (0 for rows without
    observations).
    """
    reg = float(reg)
    if not reg > 0:
        raise ValueError(f"reg must be positive, got {reg}")
    other = np.ascontiguousarray(other)
    rows = np.asarray(rows, dtype=np.int64)
    cols = np.asarray(cols, dtype=np.int64)
    weights = np.asarray(weights, dtype=other.dtype)
    values = np.asarray(values, dtype=other.dtype)
    if np.any(weights < 0):
        raise ValueError("weights must be non-negative")
    k = other.shape[1]
    backend = _resolve_backend(backend, k)
    gram, row_order = _grams_in_bucket_order(rows, cols, weights, other, n_rows, backend)
    rhs = np.zeros((n_rows, k), dtype=other.dtype)
    if rows.size:
        # sum_j w_j r_j y_j per row: a sparse (rows x cols) matrix times the column factors.
        wr = sp.csr_array((weights * values, (rows, cols)), shape=(n_rows, other.shape[0]))
        rhs = np.asarray(wr @ other, dtype=other.dtype)
    if reg_by_weight:
        lam = np.bincount(rows, weights=weights, minlength=n_rows).astype(other.dtype) * reg
        lam[lam <= 0] = reg
    else:
        lam = np.full(n_rows, reg, dtype=other.dtype)
    diag = np.arange(k)
    gram[:, diag, diag] += lam[row_order][:, None]
    out = np.empty((n_rows, k), dtype=other.dtype)
    out[row_order] = _batched_solve(gram, np.ascontiguousarray(rhs[row_order]), backend)
    return out


def wals_objective(model: WALSModel, users: np.ndarray, items: np.ndarray, ratings: np.ndarray,
                   weights: np.ndarray | None = None, *, reg: float, reg_by_weight: bool = False) -> float:
    """The weighted, regularised squared loss that :func:`fit_wals` minimises."""
    users = np.asarray(users, dtype=np.int64)
    items = np.asarray(items, dtype=np.int64)
    w = np.ones(users.size) if weights is None else np.asarray(weights, dtype=np.float64)
    resid = np.asarray(ratings, dtype=np.float64) - model.predict(users, items)
    loss = float(np.sum(w * resid ** 2))
    pu = np.sum(model.user_factors ** 2, axis=1)
    qi = np.sum(model.item_factors ** 2, axis=1)
    if reg_by_weight:
        lu = np.bincount(users, weights=w, minlength=model.n_users)
        li = np.bincount(items, weights=w, minlength=model.n_items)
        lu[lu <= 0] = 1.0
        li[li <= 0] = 1.0
        return loss + reg * float(np.sum(lu * pu) + np.sum(li * qi))
    return loss + reg * float(pu.sum() + qi.sum())


def fit_wals(users: np.ndarray, items: np.ndarray, ratings: np.ndarray,
             weights: np.ndarray | None = None, *, n_users: int, n_items: int, latent_dim: int = 20,
             reg: float = 0.04, n_iters: int = 10, init_sd: float = 0.1, seed: int = 0,
             init: WALSModel | None = None, center: bool = False, reg_by_weight: bool = False,
             dtype: type = np.float64, backend: str = "auto", unobserved: str = "zero") -> WALSModel:
    """Fit the weighted factorisation by ``n_iters`` alternating sweeps (see the module docstring).

    Args:
        users, items, ratings: the observed ratings (0-based indices).
        weights: one non-negative weight per rating (None: all 1).
        n_users, n_items: sizes of the factor matrices.
        latent_dim: k. reg: the ridge penalty (> 0). n_iters: sweeps (item then user half-step).
        init_sd: sd of the random initial factors. seed: seed of that initialisation.
        init: warm start: its factors are the starting point (sizes and ``latent_dim`` must
            match), except its all-zero rows, which start from the random draw.
        center: fit around the weighted mean rating (``offset``) instead of 0.
        reg_by_weight: ALS-WR penalty ``reg * (total weight of the row)``.
        dtype: np.float64 (default) or np.float32.
        backend: ``"auto"``, ``"numpy"`` or ``"torch"`` (:func:`solve_rows`).
        unobserved: ``"zero"`` (rows without observations are set to 0, the ridge solution) or
            ``"random"`` (they keep their initial or warm-start factors, the authors' ALS);
            module docstring.

    Returns:
        The fitted :class:`WALSModel`. With no ratings at all: the initial factors
        (``"random"``) or zero factors (``"zero"``), offset 0.
    """
    if unobserved not in ("random", "zero"):
        raise ValueError(f"unobserved must be 'random' or 'zero', got {unobserved!r}")
    users = np.asarray(users, dtype=np.int64)
    items = np.asarray(items, dtype=np.int64)
    ratings = np.asarray(ratings, dtype=np.float64)
    if not (users.shape == items.shape == ratings.shape) or users.ndim != 1:
        raise ValueError("users, items and ratings must be 1-d arrays of equal length")
    w = np.ones(users.size) if weights is None else np.asarray(weights, dtype=np.float64)
    if w.shape != users.shape:
        raise ValueError(f"weights have shape {w.shape}, expected {users.shape}")
    if np.any(~np.isfinite(w)) or np.any(w < 0):
        raise ValueError("weights must be finite and non-negative")
    if users.size and (users.min() < 0 or users.max() >= n_users or items.min() < 0 or items.max() >= n_items):
        raise ValueError("user or item index out of range")
    n_iters, latent_dim = int(n_iters), int(latent_dim)
    if n_iters < 0 or latent_dim < 1:
        raise ValueError("n_iters must be >= 0 and latent_dim >= 1")
    dtype = np.dtype(dtype)
    offset = float(np.sum(w * ratings) / np.sum(w)) if center and w.sum() > 0 else 0.0
    rng = np.random.default_rng(seed)
    p = (rng.standard_normal((n_users, latent_dim)) * init_sd).astype(dtype)
    q = (rng.standard_normal((n_items, latent_dim)) * init_sd).astype(dtype)
    if init is not None:
        if init.user_factors.shape != (n_users, latent_dim) or init.item_factors.shape != (n_items, latent_dim):
            raise ValueError("warm start has different sizes or latent_dim")
        # Rows the previous fit left at 0 (no data then) restart from the random draw: zero rows
        # are a fixed point of the alternation for users and items only connected to each other.
        keep_p = np.any(init.user_factors != 0, axis=1)
        keep_q = np.any(init.item_factors != 0, axis=1)
        p[keep_p] = init.user_factors[keep_p]
        q[keep_q] = init.item_factors[keep_q]
    empty_u = np.bincount(users, minlength=n_users) == 0
    empty_i = np.bincount(items, minlength=n_items) == 0
    if unobserved == "zero":
        p[empty_u] = 0.0
        q[empty_i] = 0.0
    if users.size == 0:
        return WALSModel(p, q, 0.0)
    r = ratings - offset
    p_empty, q_empty = p[empty_u], q[empty_i]
    for _ in range(n_iters):
        q = solve_rows(items, users, r, w, p, n_items, reg, reg_by_weight=reg_by_weight, backend=backend)
        q[empty_i] = q_empty
        p = solve_rows(users, items, r, w, q, n_users, reg, reg_by_weight=reg_by_weight, backend=backend)
        p[empty_u] = p_empty
    return WALSModel(p, q, offset)
