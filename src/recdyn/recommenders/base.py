"""The recommender API (thesis section 2.4: greedy recommenders built on a relevance prediction).

A :class:`Recommender` is constructed with its hyperparameters and a ``seed``; ``fit(data)``
retrains it **from scratch** on a :class:`~recdyn.ratings.Ratings` (section 2.6: "retraining
from scratch whenever data is added and using the same hyperparameters throughout"), so a
fit is a function of (hyperparameters, seed, data) only. After fitting:

* ``predict(users, items)``: predicted rating of each (user, item) pair;
* ``score_users(users)``: dense (len(users), n_items) scores (default: chunked ``predict``;
  subclasses override with a fast dense version; overriding either method is enough);
* ``recommend(users, k, exclude)``: greedy top-``k`` items per user by score, never an
  excluded pair.

Tie-breaking (deterministic): among equal scores the lower item index ranks first. (RecLab
shuffled candidates with the global numpy RNG before ``argsort``, i.e. random tie-breaking,
``reclab/recommenders/recommender.py::PredictRecommender.recommend``.)

``predicts_ratings``: False for recommenders whose scores are not on the rating scale (EASE,
section 2.4: "we do not include this recommender when computing RMSE"); protocols then report
RMSE as NaN and select hyperparameters by nDCG.
"""

from __future__ import annotations

from abc import ABC
from typing import Any

import numpy as np
import scipy.sparse as sp

from recdyn.ratings import Ratings

#: Cells per block when ``score_users`` falls back on ``predict``.
_SCORE_BLOCK_CELLS = 1 << 22
#: Largest score matrix (users x items) :meth:`Recommender.expect_users` keeps (400 MB of float64).
_CACHE_CELLS = 50_000_000


class Recommender(ABC):
    """Base class. Subclasses implement :meth:`_fit` and :meth:`predict` and/or :meth:`score_users`.

    Args:
        seed: seed of every random number the recommender draws (fit and predictions).
        **hyperparameters: stored in :attr:`hyperparameters` (subclasses pass theirs here).
    """

    name: str = "recommender"
    predicts_ratings: bool = True
    #: Scores depend only on the fit, not on when they are asked, so :meth:`expect_users` may
    #: score the hinted users once and later calls read those rows until the next fit. False where
    #: scores change between fits (the Oracle reads the environment's current state).
    cache_scores: bool = True

    def __init__(self, *, seed: int = 0, **hyperparameters: Any) -> None:
        self.seed = int(seed)
        self.hyperparameters: dict[str, Any] = dict(hyperparameters)
        self.n_users: int | None = None
        self.n_items: int | None = None

    def __repr__(self) -> str:
        params = ", ".join(f"{k}={v!r}" for k, v in self.hyperparameters.items())
        return f"{type(self).__name__}({params}{', ' if params else ''}seed={self.seed})"

    # ---- training --------------------------------------------------------------------------
    def fit(self, data: Ratings) -> Recommender:
        """Retrain from scratch on ``data`` (all previous training is discarded); returns self."""
        self.n_users, self.n_items = int(data.n_users), int(data.n_items)
        self._score_cache: tuple[np.ndarray, np.ndarray] | None = None
        self._fit(data)
        return self

    def _fit(self, data: Ratings) -> None:
        """Subclass hook: train on ``data`` (``n_users``/``n_items`` are already set)."""

    def expect_users(self, users: np.ndarray) -> None:
        """Hint that ``users`` will be scored before the next :meth:`fit`.

        Scores them now, in blocks, and keeps the rows (when :attr:`cache_scores` and the matrix
        is at most 50 million cells), so an online trial that retrains every ``r`` steps scores
        each user once per fit instead of once per step. A recommender whose scoring call has a
        large fixed cost (Bayes MF runs one Gibbs chain per call) may override this to score them
        all in one call. Results never depend on the hint: the rows are those ``score_users``
        returns.
        """
        self._check_fitted()
        users = np.unique(np.asarray(users, dtype=np.int64))
        if not self.cache_scores or users.size == 0 or self.n_users * self.n_items > _CACHE_CELLS:
            return
        rows = np.full((self.n_users, self.n_items), np.nan)
        per_block = max(1, _SCORE_BLOCK_CELLS // max(self.n_items, 1))
        for start in range(0, users.size, per_block):
            block = users[start:start + per_block]
            rows[block] = self.score_users(block)
        cached = np.zeros(self.n_users, dtype=bool)
        cached[users] = True
        self._score_cache = (rows, cached)

    def _cached_scores(self, users: np.ndarray) -> np.ndarray:
        """``score_users(users)``, read from the rows :meth:`expect_users` kept where it can."""
        cache = getattr(self, "_score_cache", None)
        if cache is not None and users.size and bool(cache[1][users].all()):
            return cache[0][users]
        return self.score_users(users)

    def _check_fitted(self) -> None:
        if self.n_users is None:
            raise RuntimeError(f"{type(self).__name__}: call fit(data) first")

    def _fitted_pairs(self, users: np.ndarray, items: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Check the model is fitted and return ``users``/``items`` as int64 arrays of one shape."""
        self._check_fitted()
        users = np.asarray(users, dtype=np.int64)
        items = np.asarray(items, dtype=np.int64)
        if users.shape != items.shape:
            raise ValueError(f"users and items differ in shape: {users.shape} vs {items.shape}")
        return users, items

    # ---- prediction ------------------------------------------------------------------------
    def predict(self, users: np.ndarray, items: np.ndarray) -> np.ndarray:
        """Predicted rating (score) of each pair ``(users[j], items[j])``."""
        self._require_override()
        users, items = self._fitted_pairs(users, items)
        uniq, inverse = np.unique(users, return_inverse=True)
        out = np.empty(users.shape, dtype=np.float64)
        rows_per_block = max(1, _SCORE_BLOCK_CELLS // max(self.n_items or 1, 1))
        for start in range(0, uniq.size, rows_per_block):
            block = uniq[start:start + rows_per_block]
            dense = self._cached_scores(block)
            sel = (inverse >= start) & (inverse < start + block.size)
            out[sel] = dense[inverse[sel] - start, items[sel]]
        return out

    def score_users(self, users: np.ndarray) -> np.ndarray:
        """Dense (len(users), n_items) scores of every item for each user (may be a read-only
        view, e.g. a broadcast row: copy before writing)."""
        self._require_override()
        self._check_fitted()
        users = np.asarray(users, dtype=np.int64)
        n_items = self.n_items
        out = np.empty((users.size, n_items), dtype=np.float64)
        rows_per_block = max(1, _SCORE_BLOCK_CELLS // max(n_items, 1))
        for start in range(0, users.size, rows_per_block):
            block = users[start:start + rows_per_block]
            out[start:start + block.size] = self.predict(
                np.repeat(block, n_items), np.tile(np.arange(n_items), block.size)
            ).reshape(block.size, n_items)
        return out

    def _require_override(self) -> None:
        cls = type(self)
        if cls.predict is Recommender.predict and cls.score_users is Recommender.score_users:
            raise NotImplementedError(f"{cls.__name__} must override predict or score_users")

    # ---- recommendation --------------------------------------------------------------------
    def recommend(self, users: np.ndarray, k: int = 1,
                  exclude: sp.spmatrix | sp.sparray | np.ndarray | None = None) -> np.ndarray:
        """Greedy top-``k``: the ``k`` highest-scored non-excluded items of each user, best first.

        Args:
            users: (n,) user indices.
            k: items per user.
            exclude: (n_users, n_items) boolean matrix (scipy sparse, e.g. CSR, or dense numpy);
                True cells are never recommended. None: nothing excluded.

        Returns:
            (n, k) int64 items. Ties in score: lower item index first. Raises ValueError if a
            user has fewer than ``k`` eligible items.
        """
        self._check_fitted()
        users = np.asarray(users, dtype=np.int64)
        if int(k) == 1 and users.size and _dense_mask_rows(exclude, users, self.n_items):
            # The online protocol's case: one compiled pass, no copies (same result as top_k).
            from recdyn.recommenders.top_one import NONE_ELIGIBLE, best_eligible

            best = best_eligible(self._cached_scores(users), exclude, users if exclude is not None else None)
            bad = np.flatnonzero(best == NONE_ELIGIBLE)
            if bad.size:
                raise ValueError(f"{bad.size} row(s) have fewer than k=1 eligible items (e.g. row {bad[0]})")
            return best[:, None]
        scores = np.array(self._cached_scores(users), dtype=np.float64)  # writable copy
        return top_k(scores, k, excluded_rows(exclude, users, scores.shape))


def _dense_mask_rows(exclude: object, users: np.ndarray, n_items: int) -> bool:
    """Whether ``exclude`` is None or a dense boolean (N, n_items) mask that has a row for every
    one of ``users`` (the cases the compiled one-item path reads in place)."""
    if exclude is None:
        return True
    return (isinstance(exclude, np.ndarray) and exclude.dtype == np.bool_ and exclude.ndim == 2
            and exclude.shape[1] == n_items and int(users.min()) >= 0 and int(users.max()) < exclude.shape[0])


def excluded_rows(exclude: sp.spmatrix | sp.sparray | np.ndarray | None, users: np.ndarray,
                  shape: tuple[int, int]) -> np.ndarray | None:
    """Dense boolean (len(users), n_items) rows of ``exclude`` for ``users`` (None: nothing)."""
    if exclude is None:
        return None
    if sp.issparse(exclude):
        rows = sp.csr_array(exclude)[users].toarray().astype(bool)
    else:
        rows = np.asarray(exclude, dtype=bool)[users]
    if rows.shape != shape:
        raise ValueError(f"exclude rows have shape {rows.shape}, expected {shape}")
    return rows


def raise_on_nan(scores: np.ndarray) -> None:
    """ValueError if ``scores`` holds a NaN (the sum is a cheap first check; inf - inf in it is
    a NaN too, so the exact check follows, without numpy's warning)."""
    with np.errstate(invalid="ignore"):
        suspect = np.isnan(scores.sum())
    if suspect and np.isnan(scores).any():
        raise ValueError("scores contain NaN")


def top_k(scores: np.ndarray, k: int, excluded: np.ndarray | None = None) -> np.ndarray:
    """Row-wise top-``k`` column indices of ``scores`` (modified in place), best first.

    Excluded cells are never returned; among equal scores the lower column index wins.
    Vectorised: ``k == 1`` is a row-wise ``argmax`` (which returns the first maximum); otherwise
    one ``partition`` finds each row's k-th largest score, all strictly larger cells are taken
    and the remaining slots filled with the lowest-index cells equal to it.
    """
    n_rows, n_cols = scores.shape
    k = int(k)
    if not 1 <= k <= n_cols:
        raise ValueError(f"k must be in [1, {n_cols}], got {k}")
    raise_on_nan(scores)
    # Eligible cells are finite (a -inf score becomes the lowest finite value), excluded are -inf.
    np.maximum(scores, np.finfo(np.float64).min, out=scores)
    if excluded is not None:
        available = n_cols - np.count_nonzero(excluded, axis=1)
        if (available < k).any():
            bad = np.flatnonzero(available < k)
            raise ValueError(f"{bad.size} row(s) have fewer than k={k} eligible items (e.g. row {bad[0]})")
        np.copyto(scores, -np.inf, where=excluded)
    if n_rows == 0:
        return np.empty((0, k), dtype=np.int64)
    if k == 1:
        return np.argmax(scores, axis=1).astype(np.int64)[:, None]
    kth = np.partition(scores, n_cols - k, axis=1)[:, n_cols - k][:, None]  # k-th largest
    above = scores > kth
    equal = scores == kth
    need = k - above.sum(axis=1, keepdims=True)
    chosen = above | (equal & (np.cumsum(equal, axis=1) <= need))
    cols = np.nonzero(chosen)[1].reshape(n_rows, k)  # row-major: ascending column per row
    vals = np.take_along_axis(scores, cols, axis=1)
    order = np.argsort(-vals, axis=1, kind="stable")  # stable: ties keep ascending column
    return np.take_along_axis(cols, order, axis=1).astype(np.int64)
