"""Offline metrics of thesis chapter 2: RMSE and nDCG@k over a held-out set (sections 2.5, 2.6).

nDCG@k, precisely (:func:`ndcg_at_k`)
-------------------------------------
The held-out set is a list of (user, item, rating) triples plus the recommender's predicted
score for each triple. For every user ``u`` with held-out items ``H_u``:

* rank the items of ``H_u`` by predicted score, highest first; ties in the score are broken by
  ascending item index (deterministic; the same rule as :meth:`Recommender.recommend`);
* ``DCG@k(u) = sum_{j=1}^{min(k, |H_u|)} g(item at rank j) / log2(j + 1)``;
* ``IDCG@k(u)`` is the same sum with ``H_u`` ordered by the held-out rating itself (the best
  possible order of the same items);
* ``nDCG@k(u) = DCG@k(u) / IDCG@k(u)``.

The gain ``g`` is the held-out observed rating **itself** (``gain="raw"``, ratings 1..5), not
``2^r - 1``. This is the reading of the thesis' own tuner (RecLab ``experiments/tuner.py``,
``ModelTuner.evaluate`` with ``use_mse=False``: per user, ``relevance / np.log2(rank + 1)``
with ``relevance`` the true held-out rating, 1-based ranks, ``cutoff = 20``, ideal ordering by
the true ratings, mean over users). ``gain="exp"`` gives the other common convention.
The reported value is the unweighted mean of ``nDCG@k(u)`` over the users that count:
users with at least ``min_items`` held-out items (default 1, as RecLab: every user in the
held-out set counts; note that a user with a single held-out item always scores 1) and a
positive IDCG (with ratings >= 1 and raw gains that is every such user). The cutoff ``k`` is
always explicit (RecLab's earlier tuner lumped all users together with a cutoff of
``len(test) / 5``; we do not).

RMSE (:func:`rmse`) is ``sqrt(mean((pred - true)^2))`` over the given pairs. Across folds the
protocols average the per-fold RMSE (thesis: "averaging the offline metrics ... across five
folds"); RecLab's tuner averaged per-fold MSE instead.
"""

from __future__ import annotations

import numpy as np


def rmse(pred: np.ndarray, true: np.ndarray) -> float:
    """Root mean squared error of ``pred`` against ``true`` (NaN for empty input)."""
    pred = np.asarray(pred, dtype=np.float64)
    true = np.asarray(true, dtype=np.float64)
    if pred.shape != true.shape:
        raise ValueError(f"pred and true differ in shape: {pred.shape} vs {true.shape}")
    if pred.size == 0:
        return float("nan")
    return float(np.sqrt(np.mean((pred - true) ** 2)))


def _ranks_within_groups(sorted_groups: np.ndarray) -> np.ndarray:
    """0-based position of each element within its run of equal values in ``sorted_groups``."""
    n = sorted_groups.size
    starts = np.flatnonzero(np.r_[True, sorted_groups[1:] != sorted_groups[:-1]])
    run_lengths = np.diff(np.r_[starts, n])
    return np.arange(n) - np.repeat(starts, run_lengths)


def _dcg_per_user(user_codes: np.ndarray, order: np.ndarray, gains: np.ndarray, k: int,
                  n_codes: int) -> np.ndarray:
    codes_sorted = user_codes[order]
    ranks = _ranks_within_groups(codes_sorted)  # 0-based: discount 1 / log2(rank + 2)
    keep = ranks < k
    contrib = gains[order][keep] / np.log2(ranks[keep] + 2.0)
    return np.bincount(codes_sorted[keep], weights=contrib, minlength=n_codes)


def ndcg_per_user(users: np.ndarray, items: np.ndarray, true_ratings: np.ndarray,
                  scores: np.ndarray, k: int = 20, *, gain: str = "raw"
                  ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per-user nDCG@k (definition in the module docstring).

    Returns ``(user_ids, ndcg, n_heldout)``: the distinct users (sorted), their nDCG@k (NaN
    where IDCG is 0) and their number of held-out items.
    """
    users = np.asarray(users)
    items = np.asarray(items)
    true_ratings = np.asarray(true_ratings, dtype=np.float64)
    scores = np.asarray(scores, dtype=np.float64)
    if not (users.shape == items.shape == true_ratings.shape == scores.shape) or users.ndim != 1:
        raise ValueError("users, items, true_ratings and scores must be 1-d arrays of equal length")
    if k < 1:
        raise ValueError(f"k must be >= 1, got {k}")
    if np.isnan(scores).any():
        raise ValueError("scores contain NaN")
    if gain == "raw":
        gains = true_ratings
    elif gain == "exp":
        gains = np.exp2(true_ratings) - 1.0
    else:
        raise ValueError(f"gain must be 'raw' or 'exp', got {gain!r}")
    user_ids, codes = np.unique(users, return_inverse=True)
    n_codes = user_ids.size
    # Predicted order: by user, then score descending, then item ascending (np.lexsort: last key
    # is the primary one).
    pred_order = np.lexsort((items, -scores, codes))
    ideal_order = np.lexsort((-true_ratings, codes))
    dcg = _dcg_per_user(codes, pred_order, gains, k, n_codes)
    idcg = _dcg_per_user(codes, ideal_order, gains, k, n_codes)
    with np.errstate(invalid="ignore", divide="ignore"):
        ndcg = np.where(idcg > 0, dcg / idcg, np.nan)
    return user_ids, ndcg, np.bincount(codes, minlength=n_codes)


def ndcg_at_k(users: np.ndarray, items: np.ndarray, true_ratings: np.ndarray, scores: np.ndarray,
              k: int = 20, *, min_items: int = 1, gain: str = "raw") -> float:
    """Mean over users of nDCG@k on a held-out set (definition in the module docstring).

    Args:
        users, items: the held-out pairs.
        true_ratings: their held-out (observed) ratings: the gains and the ideal order.
        scores: the recommender's predicted scores of the same pairs: the ranking.
        k: the cutoff (the thesis uses 20).
        min_items: users with fewer held-out items are left out of the mean.
        gain: ``"raw"`` (gain = rating, RecLab/thesis) or ``"exp"`` (gain = 2^rating - 1).

    Returns:
        The mean nDCG@k over counted users, NaN if no user counts.
    """
    _, ndcg, counts = ndcg_per_user(users, items, true_ratings, scores, k, gain=gain)
    counted = (counts >= min_items) & ~np.isnan(ndcg)
    return float(ndcg[counted].mean()) if counted.any() else float("nan")
