"""Baseline recommenders of thesis section 2.4: Random, Oracle and TopPop.

* **Random** ("predicts ratings uniformly at random"): the prediction of pair (u, i) is
  uniform on [1, 5] (the rating range; RecLab's ``RandomRec`` defaulted to [0, 5]), a
  deterministic hash of (seed, u, i) (splitmix64), so ``predict`` and ``score_users`` agree,
  nothing of size n_users x n_items is stored, and a fit is a pure function of the seed.
  Consequence: refitting does not redraw; with "not yet recommended" exclusion each user is
  served items in the order of a fixed random permutation, which has the same distribution as
  fresh draws every step (RecLab redrew after each update from the global numpy RNG).
* **Oracle** ("access to the internals of the simulated environment ... recommend the item
  with the highest true rating at each time step ... still greedy"): scores are
  ``env.true_ratings()`` read at call time (current state); it ignores its training data. Its
  RMSE against observed ratings is the noise level, not zero.
* **TopPop** ("popularity of each item is measured by its average rating"): the score of item
  i for every user is the mean of its observed ratings; an item never rated gets the global
  mean of the observed ratings. (RecLab's ``TopPop._average_item_ratings`` used
  ``np.mean`` of the sparse rating matrix, i.e. a mean in which every missing cell counts as
  a zero rating; that is the bug we do not repeat.)
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from recdyn.ratings import Ratings
from recdyn.recommenders.base import Recommender

if TYPE_CHECKING:
    from recdyn.envs.base import Environment

RATING_RANGE = (1.0, 5.0)
RANDOM_TABLE_CELLS = 1 << 22  # Random keeps its whole score table up to this many cells (32 MiB)


def _splitmix64(x: np.ndarray) -> np.ndarray:
    """splitmix64 finaliser on a uint64 array (wrapping arithmetic)."""
    x = x + np.uint64(0x9E3779B97F4A7C15)
    x = (x ^ (x >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    x = (x ^ (x >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return x ^ (x >> np.uint64(31))


class Random(Recommender):
    """Uniform random predictions on ``[low, high]`` (default the rating range [1, 5])."""

    name = "random"

    def __init__(self, *, low: float = RATING_RANGE[0], high: float = RATING_RANGE[1],
                 seed: int = 0) -> None:
        super().__init__(seed=seed, low=float(low), high=float(high))
        if not high > low:
            raise ValueError(f"need high > low, got low={low}, high={high}")
        self._key = _splitmix64(np.array([seed & 0xFFFFFFFFFFFFFFFF], dtype=np.uint64))[0]
        self._table: np.ndarray | None = None  # every cell's score, kept while the shape stays (score_users)

    def predict(self, users: np.ndarray, items: np.ndarray) -> np.ndarray:
        self._check_fitted()
        users = np.asarray(users, dtype=np.uint64)
        items = np.asarray(items, dtype=np.uint64)
        cell = users * np.uint64(self.n_items) + items
        bits = _splitmix64(_splitmix64(cell ^ self._key))
        unit = (bits >> np.uint64(11)).astype(np.float64) * (1.0 / (1 << 53))  # [0, 1)
        low, high = self.hyperparameters["low"], self.hyperparameters["high"]
        return low + (high - low) * unit

    def score_users(self, users: np.ndarray) -> np.ndarray:
        self._check_fitted()
        users = np.asarray(users, dtype=np.int64)
        n = self.n_items
        if self.n_users * n <= RANDOM_TABLE_CELLS:
            # A cell's score depends on the seed and the cell only, so the whole table is hashed
            # once and kept across refits of the same shape (the online protocol refits Random
            # every step and scored every online user's row anew each time).
            if self._table is None or self._table.shape != (self.n_users, n):
                everyone = np.arange(self.n_users, dtype=np.int64)
                self._table = self.predict(np.repeat(everyone, n), np.tile(np.arange(n), everyone.size)).reshape(-1, n)
            return self._table[users]
        return self.predict(np.repeat(users, n), np.tile(np.arange(n), users.size)).reshape(users.size, n)


class Oracle(Recommender):
    """Scores are the environment's current noise-free expected ratings (greedy, no planning)."""

    name = "oracle"
    cache_scores = False  # the environment's state changes as it steps

    def __init__(self, *, env: Environment, seed: int = 0) -> None:
        super().__init__(seed=seed)
        self.env = env

    def _fit(self, data: Ratings) -> None:
        if (data.n_users, data.n_items) != (self.env.n_users, self.env.n_items):
            raise ValueError("Oracle: data and environment sizes differ")

    def _truth(self, users: np.ndarray) -> np.ndarray:
        # Read at call time: the environment's state changes as it steps (no caching, so a
        # reset or step can never leave stale scores behind). Only the asked-for users' rows.
        return np.asarray(self.env.true_ratings_rows(users), dtype=np.float64)

    def predict(self, users: np.ndarray, items: np.ndarray) -> np.ndarray:
        self._check_fitted()
        # Read at call time, for the asked-for pairs only.
        return self.env.true_ratings_at(np.asarray(users, dtype=np.int64), np.asarray(items, dtype=np.int64))

    def score_users(self, users: np.ndarray) -> np.ndarray:
        self._check_fitted()
        return self._truth(np.asarray(users, dtype=np.int64))


class TopPop(Recommender):
    """Mean observed rating per item; never-rated items get the global mean observed rating."""

    name = "toppop"

    def __init__(self, *, seed: int = 0) -> None:
        super().__init__(seed=seed)
        self.item_scores: np.ndarray | None = None

    def _fit(self, data: Ratings) -> None:
        if len(data) == 0:
            raise ValueError("TopPop: cannot fit on an empty dataset")
        ratings = np.asarray(data.ratings, dtype=np.float64)
        sums = np.bincount(data.items, weights=ratings, minlength=data.n_items)
        counts = np.bincount(data.items, minlength=data.n_items)
        global_mean = ratings.mean()  # over observed ratings only
        self.item_scores = np.full(data.n_items, global_mean)
        rated = counts > 0
        self.item_scores[rated] = sums[rated] / counts[rated]

    def predict(self, users: np.ndarray, items: np.ndarray) -> np.ndarray:
        self._check_fitted()
        return self.item_scores[np.asarray(items, dtype=np.int64)]

    def score_users(self, users: np.ndarray) -> np.ndarray:
        self._check_fitted()
        users = np.asarray(users)
        return np.broadcast_to(self.item_scores, (users.size, self.n_items))
