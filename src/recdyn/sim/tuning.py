"""Tuning of chapter 2's recommenders (sections 2.5, 2.6 step 2): 5-fold grid search on an environment's
offline dataset, minimising mean RMSE (highest nDCG@k for recommenders without rating predictions,
i.e. EASE), one cluster job per chunk of grid points; the selection is written once and read by every
online run ("we do not re-tune hyperparameters").

Wall times (``fit_seconds``, ``predict_seconds``) never enter a result: the tuning jobs write them to
``.timing.`` files beside their grid tables (:mod:`recdyn.timing`), :func:`selected_timing` picks the
selected point's, and :func:`timing_table` shows them beside the recommender table."""

from __future__ import annotations

import functools
import logging
from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd

from recdyn.envs import Environment
from recdyn.ratings import Ratings
from recdyn.recommenders import make_recommender, recommender_class
from recdyn.sim.offline import PARAM_PREFIX, best_row, grid_search, params_of, selection_criterion
from recdyn.timing import timing_columns

log = logging.getLogger(__name__)


def offline_ratings(table: pd.DataFrame, env: Environment) -> Ratings:
    """The offline dataset table (columns user, item, rating) as :class:`Ratings` of ``env``'s shape."""
    return Ratings(table["user"].to_numpy(), table["item"].to_numpy(), table["rating"].to_numpy(dtype=float),
                   env.n_users, env.n_items)


def tune_points(recommender: str, points: Sequence[Mapping[str, Any]], data: Ratings, *, env: Environment,
                folds: int, seed: int, k: int) -> pd.DataFrame:
    """Cross-validated RMSE and nDCG@k of grid points of one recommender on one offline dataset.

    The Oracle reads the environment's true ratings: ``env`` must be in the state that generated
    ``data`` (reset with the same seed)."""
    extra = {"env": env} if recommender == "oracle" else {}
    factory = functools.partial(make_recommender, recommender, seed=seed, **extra)
    table = grid_search(factory, [dict(p) for p in points], data, folds=folds, seed=seed, k=k)
    log.info("%s: %d grid points, best RMSE %.4f, best nDCG@%d %.4f", recommender, len(table),
             table["rmse"].min(), k, table["ndcg"].max())
    return table


def _selected_row(recommender: str, table: pd.DataFrame) -> tuple[str, pd.DataFrame]:
    criterion = selection_criterion(recommender_class(recommender))
    return criterion, best_row(table, criterion)


def select(recommender: str, table: pd.DataFrame) -> dict[str, Any]:
    """The selected hyperparameters with their CV metrics (criterion by the recommender's kind);
    no wall times, even if ``table`` has them (see :func:`selected_timing`)."""
    criterion, row = _selected_row(recommender, table)
    return {"recommender": recommender, "criterion": criterion, "params": params_of(row),
            "rmse": float(row["rmse"].iloc[0]), "ndcg": float(row["ndcg"].iloc[0]),
            "rmse_std": float(row["rmse_std"].iloc[0]), "ndcg_std": float(row["ndcg_std"].iloc[0]),
            "folds": int(row["folds"].iloc[0]),
            "k": int(row["k"].iloc[0]), "grid_points": int(len(table))}


def join_timings(table: pd.DataFrame, timings: pd.DataFrame) -> pd.DataFrame:
    """The grid table with the timing columns of its ``.timing.`` table (written row for row by the
    same jobs, read in the same order); raises if the hyperparameter columns do not line up."""
    keys = [c for c in timings.columns if c.startswith(PARAM_PREFIX)]
    if len(timings) != len(table) or not table[keys].reset_index(drop=True).equals(timings[keys].reset_index(drop=True)):
        raise ValueError("the timing table does not match the grid table row for row")
    return pd.concat([table.reset_index(drop=True), timings[timing_columns(timings)].reset_index(drop=True)], axis=1)


def selected_timing(recommender: str, table: pd.DataFrame) -> dict[str, Any]:
    """Mean seconds per fold to fit and to predict the held-out fold at the selected point of a grid
    table with timing columns (:func:`join_timings`)."""
    _, row = _selected_row(recommender, table)
    return {"recommender": recommender, **{c: float(row[c].iloc[0]) for c in timing_columns(row)}}


def selection_table(selections: Sequence[Mapping[str, Any]]) -> pd.DataFrame:
    """One row per environment and recommender: tuned hyperparameters (as ``name=value`` text),
    selection criterion, 5-fold RMSE and nDCG@k, grid size."""
    rows = [{
        "env": s["env"], "recommender": s["recommender"],
        "hyperparameters": ", ".join(f"{k}={v}" for k, v in sorted(s["params"].items())) or "-",
        "selected_by": s["criterion"], "rmse": s["rmse"], f"ndcg@{s['k']}": s["ndcg"],
        "grid_points": s["grid_points"],
    } for s in selections]
    return pd.DataFrame(rows).sort_values(["env", "recommender"], kind="stable").reset_index(drop=True)


def timing_table(timings: Sequence[Mapping[str, Any]]) -> pd.DataFrame:
    """One row per environment and recommender: mean seconds per fold to fit and to predict the
    held-out fold at the selected point (Bayes MF's Gibbs chain runs in its fit)."""
    rows = [{"env": t["env"], "recommender": t["recommender"], "fit_seconds": t["fit_seconds"],
             "predict_seconds": t["predict_seconds"]} for t in timings]
    return pd.DataFrame(rows).sort_values(["env", "recommender"], kind="stable").reset_index(drop=True)
