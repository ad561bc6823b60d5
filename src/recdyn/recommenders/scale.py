"""What a rating recommender knows about its training ratings besides its model (issue 23).

Two rules every rating recommender follows on top of its model:

* **Predictions on the rating scale.** ``predict`` returns ratings clipped to the training
  ratings' [min, max] (libFM's own rule, ``fm_learn::predict`` clips to ``min_target`` /
  ``max_target``), or to a range the recommender is told. Ranking scores (``score_users``) may stay
  unclipped where a model says so: clipping is monotone, so it changes no order, only turns the
  items above the scale's top into ties.
* **Cold pairs get a documented fallback**, never random factors or a decayed ~0: a user or item
  with no training rating is predicted from the other side's mean (:meth:`TrainingProfile.fallback`:
  a cold item gets the user's mean rating, a cold user the item's mean, both cold the global mean),
  unless the model has bias terms, which then serve instead (libFM: ``w0 + w_u + w_i`` with the
  factors of cold features set to 0).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class TrainingProfile:
    """Rating range, seen users/items and their mean ratings of one training set.

    Attributes:
        low, high: the clipping range (the training ratings' min and max unless told).
        global_mean: mean training rating.
        user_seen, item_seen: (n_users,), (n_items,) whether each has a training rating.
        user_mean, item_mean: mean training rating of each user / item (``global_mean`` where
            it has none).
    """

    low: float
    high: float
    global_mean: float
    user_seen: np.ndarray
    item_seen: np.ndarray
    user_mean: np.ndarray
    item_mean: np.ndarray

    @classmethod
    def of(cls, users: np.ndarray, items: np.ndarray, ratings: np.ndarray, n_users: int, n_items: int,
           rating_range: tuple[float, float] | None = None) -> TrainingProfile:
        """Profile of the training ratings (``rating_range``: clip there instead of [min, max])."""
        users = np.asarray(users, dtype=np.int64)
        items = np.asarray(items, dtype=np.int64)
        ratings = np.asarray(ratings, dtype=np.float64)
        if ratings.size == 0:
            raise ValueError("cannot profile an empty training set")
        if rating_range is None:
            low, high = float(ratings.min()), float(ratings.max())
        else:
            low, high = (float(v) for v in rating_range)
            if not low <= high:
                raise ValueError(f"rating_range must be (low, high) with low <= high, got {rating_range}")
        mean = float(ratings.mean())

        def means(index: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
            counts = np.bincount(index, minlength=n)
            sums = np.bincount(index, weights=ratings, minlength=n)
            seen = counts > 0
            return seen, np.where(seen, sums / np.maximum(counts, 1), mean)

        user_seen, user_mean = means(users, int(n_users))
        item_seen, item_mean = means(items, int(n_items))
        return cls(low, high, mean, user_seen, item_seen, user_mean, item_mean)

    def clip(self, values: np.ndarray) -> np.ndarray:
        """``values`` clipped to [low, high] in place (returned for chaining)."""
        return np.clip(values, self.low, self.high, out=values)

    def cold(self, users: np.ndarray, items: np.ndarray) -> np.ndarray:
        """Whether each pair has a user or an item without training ratings (broadcasts)."""
        return ~(self.user_seen[users] & self.item_seen[items])

    def fallback(self, users: np.ndarray, items: np.ndarray) -> np.ndarray:
        """Mean-based prediction of pairs (meant for cold ones): the user's mean when only the item
        is cold, the item's mean when only the user is cold, the global mean when both are."""
        users = np.asarray(users, dtype=np.int64)
        items = np.asarray(items, dtype=np.int64)
        user_ok, item_ok = self.user_seen[users], self.item_seen[items]
        out = np.where(user_ok, self.user_mean[users], self.item_mean[items])
        return np.where(user_ok | item_ok, out, self.global_mean)

    def apply_to_pairs(self, users: np.ndarray, items: np.ndarray, values: np.ndarray,
                       clip: bool = True) -> np.ndarray:
        """Pair predictions with cold pairs replaced by :meth:`fallback`, then clipped (in place)."""
        cold = self.cold(users, items)
        if cold.any():
            values[cold] = self.fallback(users[cold], items[cold])
        return self.clip(values) if clip else values

    def apply_to_rows(self, users: np.ndarray, values: np.ndarray, clip: bool = True) -> np.ndarray:
        """Dense (len(users), n_items) scores with cold cells replaced by :meth:`fallback`, then
        clipped (in place)."""
        users = np.asarray(users, dtype=np.int64)
        cold_items = ~self.item_seen
        if cold_items.any():
            values[:, cold_items] = np.where(self.user_seen[users], self.user_mean[users],
                                             self.global_mean)[:, None]
        cold_users = ~self.user_seen[users]
        if cold_users.any():
            values[cold_users] = np.where(self.item_seen, self.item_mean, self.global_mean)[None, :]
        return self.clip(values) if clip else values
