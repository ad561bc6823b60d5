"""Offline datasets: user-item pairs sampled without replacement (thesis section 2.5).

Schemes
-------
``"uniform"`` (UNIFORM-INIT)
    Every user-item pair equally likely: ``n`` distinct cells drawn uniformly from the
    ``n_users * n_items`` grid.

``"ml100k-init"`` (ML-100K-INIT), section 2.5, the equation below "ML-100K-INIT"::

    P(u, i) = Beta(r(u, i); a1, b1) Beta(rk(u); a2, b2) / sum_{u,i} (same)

    with a1 = 3.61, b1 = 2.57 (fit to ML-100K rating values) and a2 = 0.70, b2 = 1.83 (fit to
    the number of ratings per user), the thesis' footnote 4.

``"ml100k-init-flip"`` (ML-100K-INIT-FLIP)
    The same with ``1 - r(u, i)`` in the first Beta density, which flips the rating
    distribution about r = 3 (low ratings oversampled).

"Sampled without replacement" for a weighted scheme means successive draws from the
distribution above renormalised over the not-yet-drawn cells (the semantics of
``numpy.random.choice(..., replace=False, p=P)``, which RecLab used).

Choices (the thesis says only "we shift and scale both functions between 0 and 1")
--------------------------------------------------------------------------------------
* ``r(u, i)`` is the environment's noise-free expected rating ``env.true_ratings()``,
  clipped to the rating range [1, 5] (RecLab clips its dense ratings the same way). An
  environment with another ``rating_range`` (low, high) is first mapped linearly onto [1, 5]
  (``1 + 4 (r - low) / (high - low)``), the scale the Beta parameters were fit on. RecLab's
  own script (``experiments/experiment.py::sample_ratings``, commit d71079f) instead used one
  full draw of *noisy* ratings of every pair, the same draws the dataset then reports; the
  environment API here samples the pairs before rating them, so the expected rating is the
  natural reading of "the rating function".
* Rating scaling: ``x = r / 6``, so r in [1, 5] maps to [1/6, 5/6]. This is the transform the
  parameters were fit with: RecLab evaluates ``scipy.stats.beta.pdf(r, a=3.60948,
  b=2.57175, loc=0, scale=6)``. (Check: the mean of Beta(3.61, 2.57) is 0.584, i.e. a mean
  rating of 6 * 0.584 = 3.50, close to ML-100K's 3.53; the (r - 1) / 4 reading would give
  3.34.) FLIP uses ``1 - x = (6 - r) / 6``, the mirror image about r = 3 as the thesis says.
  (RecLab's FLIP computed ``1 - pdf(x)`` instead, not the thesis' definition.)
* User rank: ``rk`` is a uniformly random permutation of the users drawn from ``rng``
  (rank 0 = most active), scaled as ``(rank + 1) / (n_users + 1)``, which is RecLab's
  ``beta.pdf(rank, a=0.70384, b=1.83271, loc=-1, scale=n_users + 1)``
  (``reclab/environments/environment.py::_get_user_prob``).
* Infinities: Beta(0.70, 1.83) is infinite at 0 and Beta(3.61, 2.57) is 0 at 0 and 1. Both
  arguments are kept strictly inside (0, 1) by the scalings above (ratings in [1/6, 5/6],
  ranks in [1/(n+1), n/(n+1)]), so every cell has a finite, strictly positive weight.
* Normalisation: over all cells jointly, as in the thesis' equation. (RecLab normalised the
  rating factor per user before multiplying by the user factor, which fixes each user's
  share of the sample at its Beta weight; the thesis' joint normalisation lets users whose
  items have high ratings receive slightly more.)

Implementation: weighted sampling without replacement by the Gumbel top-k trick
(equivalently Efraimidis-Spirakis): each cell gets the key ``log w + G`` with ``G`` standard
Gumbel, and the ``n`` largest keys are the sample; this has exactly the distribution of
successive renormalised draws. Keys are generated over blocks of user rows and merged into a
running top-``n``, so the extra memory is O(block + n), not O(n_users * n_items).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from recdyn.envs.base import Environment

SCHEMES = ("uniform", "ml100k-init", "ml100k-init-flip")

#: Beta parameters fit to ML-100K (thesis footnote 4; RecLab's unrounded values).
RATING_BETA = (3.60948, 2.57175)
USER_BETA = (0.70384, 1.83271)
#: Ratings are divided by this before entering the rating Beta density (see module docstring).
RATING_SCALE = 6.0
RATING_RANGE = (1.0, 5.0)

#: Target number of cells per block of Gumbel keys.
_BLOCK_CELLS = 1 << 20


def _beta_logpdf(x: np.ndarray, a: float, b: float) -> np.ndarray:
    """log of the Beta(a, b) density at x in (0, 1) (up to the normalising constant, which
    cancels in the sampling distribution)."""
    return (a - 1.0) * np.log(x) + (b - 1.0) * np.log1p(-x)


def rating_scale(r: np.ndarray, *, flip: bool = False,
                 rating_range: tuple[float, float] = RATING_RANGE) -> np.ndarray:
    """The rating argument of the first Beta density: ``clip(r, 1, 5) / 6`` (or ``1 -`` it),
    after mapping ``rating_range`` linearly onto [1, 5]."""
    r = np.asarray(r, dtype=np.float64)
    low, high = (float(v) for v in rating_range)
    if (low, high) != RATING_RANGE:
        if not high > low:
            raise ValueError(f"invalid rating range {rating_range}")
        r = RATING_RANGE[0] + (RATING_RANGE[1] - RATING_RANGE[0]) * (r - low) / (high - low)
    x = np.clip(r, *RATING_RANGE) / RATING_SCALE
    return 1.0 - x if flip else x


def rank_scale(ranks: np.ndarray, n_users: int) -> np.ndarray:
    """The user-rank argument of the second Beta density: ``(rank + 1) / (n_users + 1)``."""
    return (np.asarray(ranks, dtype=np.float64) + 1.0) / (n_users + 1.0)


def log_weights(true_ratings: np.ndarray, user_ranks: np.ndarray, *, flip: bool = False,
                rating_range: tuple[float, float] = RATING_RANGE) -> np.ndarray:
    """Unnormalised log P(u, i) of ML-100K-INIT(-FLIP) for a block of user rows.

    ``true_ratings``: (rows, n_items) expected ratings (clipped and scaled here);
    ``user_ranks``: (rows,) user ranks already scaled into (0, 1) by :func:`rank_scale`.
    """
    lw_rating = _beta_logpdf(rating_scale(true_ratings, flip=flip, rating_range=rating_range),
                             *RATING_BETA)
    lw_user = _beta_logpdf(np.asarray(user_ranks, dtype=np.float64), *USER_BETA)
    return lw_rating + lw_user[:, None]


def _gumbel_top_n(n_users: int, n_items: int, n: int, block_log_weights, rng: np.random.Generator
                  ) -> np.ndarray:
    """Flat cell indices of a weighted sample of ``n`` cells without replacement.

    ``block_log_weights(start, stop)`` returns the (stop - start, n_items) log weights of
    user rows ``start:stop``. Returns the chosen flat indices ``u * n_items + i``.
    """
    rows_per_block = max(1, _BLOCK_CELLS // max(n_items, 1))
    best_keys = np.empty(0)
    best_idx = np.empty(0, dtype=np.int64)
    for start in range(0, n_users, rows_per_block):
        stop = min(n_users, start + rows_per_block)
        lw = block_log_weights(start, stop).ravel()
        keys = lw + rng.gumbel(size=lw.size)
        idx = np.arange(start * n_items, stop * n_items, dtype=np.int64)
        keys = np.concatenate([best_keys, keys])
        idx = np.concatenate([best_idx, idx])
        if keys.size > n:
            keep = np.argpartition(-keys, n - 1)[:n]
            keys, idx = keys[keep], idx[keep]
        best_keys, best_idx = keys, idx
    if not np.all(np.isfinite(best_keys)):
        raise ValueError(f"fewer than {n} cells have a positive sampling weight")
    return best_idx


def sample_pairs(env: Environment, n: int, scheme: str, rng: np.random.Generator
                 ) -> tuple[np.ndarray, np.ndarray]:
    """Sample ``n`` distinct (user, item) pairs of ``env`` under ``scheme`` (section 2.5).

    Args:
        env: the environment (its hidden state must be initialised: the weighted schemes read
            ``env.true_ratings()``; ``"uniform"`` only needs ``n_users``/``n_items``).
        n: number of pairs, at most ``n_users * n_items``.
        scheme: one of :data:`SCHEMES`.
        rng: the only source of randomness (same generator state => same pairs).

    Returns:
        ``(users, items)`` int64 arrays of length ``n``, sorted by (user, item), no duplicates.
    """
    n_users, n_items = int(env.n_users), int(env.n_items)
    n = int(n)
    if scheme not in SCHEMES:
        raise ValueError(f"unknown sampling scheme {scheme!r}; expected one of {SCHEMES}")
    if not 0 <= n <= n_users * n_items:
        raise ValueError(f"cannot sample {n} distinct pairs from {n_users} x {n_items} cells")
    if n == 0:
        return np.empty(0, dtype=np.int64), np.empty(0, dtype=np.int64)
    if scheme == "uniform":
        flat = rng.choice(n_users * n_items, size=n, replace=False)
    else:
        flip = scheme == "ml100k-init-flip"
        ranks = rank_scale(rng.permutation(n_users), n_users)  # ranks[u] = scaled rank of user u
        truth = np.asarray(env.true_ratings(), dtype=np.float64)
        if truth.shape != (n_users, n_items):
            raise ValueError(f"true_ratings() has shape {truth.shape}, expected {(n_users, n_items)}")
        rating_range = tuple(getattr(env, "rating_range", RATING_RANGE))
        flat = _gumbel_top_n(n_users, n_items, n,
                             lambda a, b: log_weights(truth[a:b], ranks[a:b], flip=flip,
                                                      rating_range=rating_range), rng)
    flat = np.sort(flat.astype(np.int64))
    return flat // n_items, flat % n_items
