"""Section 2.5, "Effects of Rating Sampling Distribution": offline metrics under three sampling
schemes, and the control that separates "better training data" from "easier evaluation".

Protocol (section 2.5, steps 1-3): three offline datasets of topics-static (UNIFORM-INIT,
ML-100K-INIT, ML-100K-INIT-FLIP; :func:`recdyn.sim.sampling.sample_pairs`), hyperparameters tuned
once on UNIFORM-INIT (the chapter's tuning rule) and reused on every dataset, nDCG@20 and RMSE
averaged over five folds of each dataset (:func:`scheme_cv`; on UNIFORM-INIT these are the tuning's own
CV metrics at the selected point, which the pipeline reuses instead of recomputing).

Control (section 2.5): "We eliminate the first possibility by evaluating every model trained
with ML-100K-INIT on a held-out uniformly-sampled dataset." Reading: each model is trained on
the whole ML-100K-INIT dataset and evaluated on ``n`` pairs drawn uniformly from the cells in
none of the offline datasets, rated by the same environment state (:func:`heldout_set`); for a
like-for-like reference the same model is also trained on the whole UNIFORM-INIT dataset and
evaluated on the same held-out set (:func:`heldout_eval`).

The tables' ``fit_seconds``/``predict_seconds`` are wall times; the pipeline writes them to
``.timing.`` files beside the results (:mod:`recdyn.timing`).
"""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from recdyn.envs import Environment
from recdyn.ratings import Ratings
from recdyn.recommenders import make_recommender
from recdyn.sim.offline import cross_validate, evaluate_on


def heldout_pairs(n_users: int, n_items: int, n: int, exclude: Sequence[Ratings],
                  rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """``n`` distinct pairs drawn uniformly from the cells that are in none of ``exclude``,
    sorted by (user, item)."""
    taken = np.zeros(n_users * n_items, dtype=bool)
    for data in exclude:
        if (data.n_users, data.n_items) != (n_users, n_items):
            raise ValueError("excluded datasets live in a different index space")
        taken[data.users * n_items + data.items] = True
    free = np.flatnonzero(~taken)
    if n > free.size:
        raise ValueError(f"cannot draw {n} held-out pairs: only {free.size} cells are unrated")
    flat = np.sort(rng.choice(free, size=int(n), replace=False))
    return flat // n_items, flat % n_items


def heldout_set(env: Environment, n: int, exclude: Sequence[Ratings], seed: int) -> Ratings:
    """A uniformly sampled held-out dataset of ``env`` (current state), disjoint from ``exclude``;
    pairs and rating noise both from ``seed``."""
    pair_seed, noise_seed = np.random.SeedSequence(seed).spawn(2)
    users, items = heldout_pairs(env.n_users, env.n_items, n, exclude, np.random.default_rng(pair_seed))
    ratings = env.rate_pairs(users, items, int(noise_seed.generate_state(1)[0]))
    return Ratings(users, items, ratings, env.n_users, env.n_items)


def _factory(recommender: str, seed: int, env: Environment):
    extra = {"env": env} if recommender == "oracle" else {}
    return functools.partial(make_recommender, recommender, seed=seed, **extra)


def scheme_cv(recommender: str, params: Mapping[str, Any], datasets: Mapping[str, Ratings], *,
              env: Environment, folds: int, seed: int, k: int) -> pd.DataFrame:
    """K-fold CV of one recommender at fixed hyperparameters on each named dataset; one row per
    dataset and fold (columns scheme, fold, rmse, ndcg, fit_seconds, n_train, n_test). The folds
    are drawn from ``seed`` as in tuning."""
    tables = []
    for scheme, data in datasets.items():
        table = cross_validate(_factory(recommender, seed, env), data, params, folds=folds, seed=seed, k=k)
        tables.append(table.assign(scheme=scheme))
    return pd.concat(tables, ignore_index=True)


def heldout_eval(recommender: str, params: Mapping[str, Any], train_sets: Mapping[str, Ratings],
                 heldout: Ratings, *, env: Environment, seed: int, k: int) -> pd.DataFrame:
    """Train on each whole dataset of ``train_sets`` and evaluate on ``heldout``; one row per
    training set (columns train_scheme, rmse, ndcg, fit_seconds, n_train, n_test)."""
    rows = []
    for scheme, data in train_sets.items():
        result = evaluate_on(_factory(recommender, seed, env)(**params), data, heldout, k=k)
        rows.append({"train_scheme": scheme, **result})
    return pd.DataFrame(rows)


def scheme_summary(cv: pd.DataFrame, control: pd.DataFrame) -> pd.DataFrame:
    """One row per recommender: fold-mean nDCG and RMSE per scheme (``ndcg_<scheme>``,
    ``rmse_<scheme>``) and the held-out metrics per training scheme (``heldout_ndcg_<scheme>``,
    ``heldout_rmse_<scheme>``). ``cv`` and ``control`` carry a ``recommender`` column."""
    means = cv.groupby(["recommender", "scheme"])[["ndcg", "rmse"]].mean().unstack("scheme")
    means.columns = [f"{metric}_{scheme}" for metric, scheme in means.columns]
    held = control.set_index(["recommender", "train_scheme"])[["ndcg", "rmse"]].unstack("train_scheme")
    held.columns = [f"heldout_{metric}_{scheme}" for metric, scheme in held.columns]
    return means.join(held, how="outer").reset_index()
