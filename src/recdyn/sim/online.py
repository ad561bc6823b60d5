"""The online protocol of thesis section 2.6 ("Effects of Feedback Loops").

Section 2.6, steps 1-3: create the offline dataset (``env.reset(seed)``: pairs sampled without
replacement, rated by the environment); train the recommender (hyperparameters fixed
beforehand by the offline grid search, never re-tuned) on it; then at each timestep the online
users (uniformly sampled by the environment) receive recommendations, their ratings are
observed and appended, and the recommender is "retrain[ed] ... on all the acquired data so
far", from scratch with the same hyperparameters; repeat until the dataset reaches
``total_ratings`` (thesis: 100k initial ratings, 200 online users a step, until 200k).
Recommendation is greedy: "we always recommend the item with the highest predicted relevance
that hasn't already been recommended to each user."

Choices
-------
* Exclusion (``exclude``): a user is never recommended an item already in the dataset for that
  user, the offline ratings included: RecLab's ``PredictRecommender.recommend``
  (``reclab/recommenders/recommender.py``) excluded every pair of the recommender's rating
  matrix (``self._ratings[inner_uid].nonzero()``), which holds the offline ratings too. With
  one-item environments every recommended item is consumed and rated, so this is exactly the
  thesis' "hasn't already been recommended to each user" (default ``"rated"``). For slate
  environments the two readings differ: ``"rated"`` (default, RecLab's rule) leaves shown but
  unchosen slate items eligible; ``"recommended"`` also excludes every item of every slate shown
  to the user. The latter exhausts the catalogue in the thesis' latent-score setting (measured:
  100 users x 170 items, slates of 10, 20 users a step, 1000 -> 2000 ratings: a user runs out
  of unshown items), which is why it is not the default. Both are tracked in one dense boolean
  (n_users, n_items) mask.
* Slate environments (``env.slate_size > 1``): the top-``slate_size`` items, best first, with
  the recommender's predicted scores of them (``env.step(slates, scores=...)``; latent-score
  users weigh them); the environment picks the consumed item; per-step metrics are about the
  consumed items.
* Stopping: steps run while the dataset holds fewer than ``total_ratings`` ratings; the last
  step is run in full, so the final size may exceed ``total_ratings`` by less than one step's
  ratings (it is exact when, as in the thesis, the difference is a multiple of the online users).
  No retraining after the last step (nothing would use it).
* A step that yields no rating raises (the run could never finish).
* Retraining (``retrain_every``): the thesis retrains after every step (``retrain_every=1``,
  the default and the paper preset). A larger value retrains after every ``retrain_every``-th
  step only, so the steps in between recommend from the last model (still excluding the pairs
  rated since): a budget knob for presets that cannot afford hundreds of from-scratch fits per
  trial. The per-step ``fit_seconds`` is 0 for steps that reused the previous model. When
  ``retrain_every * n_online >= n_users`` every fit is followed by
  :meth:`~recdyn.recommenders.base.Recommender.expect_users` with all users (counted in
  ``fit_seconds``): a speed hint that never changes the numbers.

Per-step records (one row per step, ``step`` from 0):
``n_ratings`` (dataset size after the step), ``n_online``, ``mean_rating`` (mean observed
rating of the consumed items), ``mean_expected`` (mean of ``env.true_ratings()`` read
*before* the step, at the consumed pairs; only the recommended pairs are computed,
``env.true_ratings_at``), ``mean_predicted``, ``rmse_observed`` and
``rmse_expected`` (RMSE of the recommender's predictions for the consumed pairs, made before
the step by the model that chose them, against the observed and the expected ratings; NaN
for recommenders without rating predictions; Figure 2.5 right is computed from these), ``fit_seconds`` (the
fit that produced this step's model: the offline fit at step 0, otherwise the retrain after
the previous step), ``recommend_seconds``, then the columns returned by
``record_affinity(env)``, called after the step (e.g. mean topic affinities for Figure 2.7).
Everything but the two timing columns (:data:`TIMING_COLUMNS`) is a deterministic function of the
seed (and of the recommender's own seed); the pipeline writes the timing columns to a ``.timing.``
file beside the trials (:mod:`recdyn.timing`), never into the results.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import pandas as pd

from recdyn.envs.base import Environment

from recdyn.metrics import rmse
from recdyn.ratings import Ratings
from recdyn.progress import Progress
from recdyn.recommenders.base import Recommender

EXCLUDE_RULES = ("rated", "recommended")
TIMING_COLUMNS = ("fit_seconds", "recommend_seconds")
COLUMNS = ("step", "n_ratings", "n_online", "mean_rating", "mean_expected", "mean_predicted",
           "rmse_observed", "rmse_expected", *TIMING_COLUMNS)


class _Dataset:
    """Growing arrays of (user, item, rating), amortised O(1) appends."""

    def __init__(self, data: Ratings, capacity: int) -> None:
        n = len(data)
        capacity = max(capacity, n, 1)
        self.n_users, self.n_items, self.size = data.n_users, data.n_items, n
        self.users = np.empty(capacity, dtype=np.int64)
        self.items = np.empty(capacity, dtype=np.int64)
        self.ratings = np.empty(capacity, dtype=np.float64)
        self.users[:n], self.items[:n], self.ratings[:n] = data.users, data.items, data.ratings

    def append(self, users: np.ndarray, items: np.ndarray, ratings: np.ndarray) -> None:
        end = self.size + len(users)
        if end > self.users.size:
            capacity = max(end, 2 * self.users.size)
            for name in ("users", "items", "ratings"):
                old = getattr(self, name)
                new = np.empty(capacity, dtype=old.dtype)
                new[:self.size] = old[:self.size]
                setattr(self, name, new)
        self.users[self.size:end], self.items[self.size:end] = users, items
        self.ratings[self.size:end] = ratings
        self.size = end

    def ratings_view(self) -> Ratings:
        # Copies, so a recommender may keep references to its training data safely.
        n = self.size
        return Ratings(self.users[:n].copy(), self.items[:n].copy(), self.ratings[:n].copy(),
                       self.n_users, self.n_items)


def _consumed_cells(users: np.ndarray, recs: np.ndarray, r_users: np.ndarray,
                    r_items: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Where each consumed pair sits in the step's recommendations: its row (position of its user
    among the online ``users``) and its column in ``recs``."""
    row_of = np.full(int(users.max()) + 1, -1, dtype=np.int64)
    row_of[users] = np.arange(users.size)
    rows = row_of[np.minimum(r_users, users.max())]
    match = recs[rows] == r_items[:, None]
    if np.any(r_users > users.max()) or np.any(rows < 0) or not match.any(axis=1).all():
        raise RuntimeError("the environment returned a rating of a pair that was not recommended")
    return rows, match.argmax(axis=1)


def _fit(recommender: Recommender, data: Ratings, hint_all_users: bool) -> None:
    """Retrain; then, if asked, hint that every user will be scored before the next fit."""
    recommender.fit(data)
    if hint_all_users:
        recommender.expect_users(np.arange(data.n_users, dtype=np.int64))


def run_online(env: Environment, make_recommender: Callable[[], Recommender], *, seed: int,
               total_ratings: int, record_affinity: Callable[[Environment], dict[str, Any]] | None = None,
               exclude: str = "rated", retrain_every: int = 1) -> pd.DataFrame:
    """One online trial (section 2.6); one row per step (columns in the module docstring).

    Args:
        env: the environment; ``env.reset(seed)`` draws its state and the offline dataset.
        make_recommender: returns a new, unfitted recommender with the selected
            hyperparameters and its own seed (called once; ``fit`` retrains from scratch).
        seed: the trial seed.
        total_ratings: stop once the dataset holds at least this many ratings.
        record_affinity: optional ``env -> dict`` of extra per-step columns, called after
            each step.
        exclude: ``"rated"`` (default) or ``"recommended"``, see the module docstring.
        retrain_every: retrain from scratch after every this many steps (1 = every step, as
            in the thesis).
    """
    if exclude not in EXCLUDE_RULES:
        raise ValueError(f"exclude must be one of {EXCLUDE_RULES}, got {exclude!r}")
    if int(retrain_every) < 1:
        raise ValueError(f"retrain_every must be a positive integer, got {retrain_every!r}")
    data = env.reset(seed)
    slate = int(getattr(env, "slate_size", 1))
    dataset = _Dataset(data, int(total_ratings) + int(env.n_online))
    shown = np.zeros((env.n_users, env.n_items), dtype=bool)
    shown[data.users, data.items] = True

    recommender = make_recommender()
    # Hint every user after each fit when a retraining period is expected to reach most of them
    # (retrain_every * n_online >= n_users): scorers with a fixed cost per call then pay it once.
    hint = int(retrain_every) * int(env.n_online) >= int(env.n_users)
    start = time.perf_counter()
    _fit(recommender, data, hint)
    fit_seconds = time.perf_counter() - start

    rows: list[dict[str, Any]] = []
    step = 0
    steps = -(-max(int(total_ratings) - len(data), 0) // max(int(env.n_online), 1))
    progress = Progress(steps, f"online trial seed {seed}")
    while dataset.size < total_ratings:
        users = np.asarray(env.online_users(), dtype=np.int64)
        start = time.perf_counter()
        recs = recommender.recommend(users, k=slate, exclude=shown)
        recommend_seconds = time.perf_counter() - start
        # true_ratings() at the recommended cells, read before the step's dynamics (the consumed
        # item is one of them).
        truth = env.true_ratings_at(np.repeat(users, slate).reshape(recs.shape), recs)
        # Predictions of every recommended cell, made before the step (an Oracle reads the
        # environment's state at call time, and dynamics change it during the step).
        rec_pred = recommender.predict(np.repeat(users, slate), recs.ravel()).reshape(recs.shape)
        if slate == 1:
            result = env.step(recs[:, 0])
        else:  # slate environments may combine the recommender's scores with their own
            result = env.step(recs, scores=rec_pred)
        r_users = np.asarray(result.users, dtype=np.int64)
        r_items = np.asarray(result.items, dtype=np.int64)
        observed = np.asarray(result.ratings, dtype=np.float64)
        if r_users.size == 0:
            raise RuntimeError(f"step {step} produced no rating; the run cannot reach {total_ratings}")
        if exclude == "recommended":
            shown[users[:, None], recs] = True
        shown[r_users, r_items] = True
        at_row, at_col = _consumed_cells(users, recs, r_users, r_items)
        expected = truth[at_row, at_col]
        predicted = rec_pred[at_row, at_col]
        dataset.append(r_users, r_items, observed)
        has_ratings = recommender.predicts_ratings
        row: dict[str, Any] = {
            "step": step,
            "n_ratings": dataset.size,
            "n_online": int(users.size),
            "mean_rating": float(observed.mean()),
            "mean_expected": float(expected.mean()),
            "mean_predicted": float(predicted.mean()),
            "rmse_observed": rmse(predicted, observed) if has_ratings else float("nan"),
            "rmse_expected": rmse(predicted, expected) if has_ratings else float("nan"),
            "fit_seconds": fit_seconds,
            "recommend_seconds": recommend_seconds,
        }
        if record_affinity is not None:
            extra = dict(record_affinity(env))
            clash = set(extra) & set(row)
            if clash:
                raise ValueError(f"record_affinity returned reserved column(s) {sorted(clash)}")
            row.update(extra)
        rows.append(row)
        step += 1
        progress.step(extra=f"{dataset.size} of {total_ratings} ratings, mean rating {row['mean_rating']:.3f}")
        if dataset.size < total_ratings:
            if step % int(retrain_every) == 0:
                start = time.perf_counter()
                _fit(recommender, dataset.ratings_view(), hint)
                fit_seconds = time.perf_counter() - start
            else:
                fit_seconds = 0.0
    if not rows:
        return pd.DataFrame(columns=list(COLUMNS))
    return pd.DataFrame(rows)


def run_trials(env: Environment, make_recommender: Callable[[], Recommender], *, seeds: Sequence[int],
               total_ratings: int, record_affinity: Callable[[Environment], dict[str, Any]] | None = None,
               exclude: str = "rated", retrain_every: int = 1) -> pd.DataFrame:
    """:func:`run_online` once per seed (the thesis runs 10 trials); the tables concatenated
    with leading columns ``trial`` (0-based position in ``seeds``) and ``seed``.

    The seed drives the environment (state, offline data, online users, noise);
    ``make_recommender`` is called once per trial and fixes the recommender's own seed (pass a
    factory that varies it if the recommender's randomness should differ between trials)."""
    tables = []
    for trial, seed in enumerate(seeds):
        table = run_online(env, make_recommender, seed=int(seed), total_ratings=total_ratings,
                           record_affinity=record_affinity, exclude=exclude, retrain_every=retrain_every)
        table.insert(0, "seed", int(seed))
        table.insert(0, "trial", trial)
        tables.append(table)
    if not tables:
        raise ValueError("no seeds given")
    return pd.concat(tables, ignore_index=True)
