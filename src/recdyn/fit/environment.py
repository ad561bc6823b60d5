"""Fitting the ml-100k simulated environment (thesis section 2.3, "ML-100K"): a libFM model tuned
by K-fold cross-validation on MovieLens-100K, whose global bias, user/item biases and latent factors
become the parameters of a latent-static environment.

Choices the thesis leaves open, fixed here: the environment's latent dimension is the preset's
``fit.ml100k.latent_dim`` (100 for the thesis' ml100k-v1) and the grid searches the other
hyperparameters at that dimension. CV scores the *extracted* parameters (for MCMC: the last Gibbs
sample, as libFM exposes no sample average), predictions clipped to [1, 5] like the environment's
ratings, because those parameters are what the environment uses. ``fit.ml100k.method: best`` takes the method (SGD or MCMC) and
grid point with the lowest mean CV RMSE; the final model is refitted on all ratings with the
same seed. Baselines use the same folds: the global mean, and user+item biases fitted by
regularised alternating least squares (lambda = 5, 10 sweeps).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from recdyn.fit.libfm import FactorModel, fit_libfm
from recdyn.ratings import Ratings, kfold_indices, ratings_from_tables

log = logging.getLogger(__name__)
BIAS_REG = 5.0
BIAS_SWEEPS = 10
RATING_RANGE = (1.0, 5.0)


def rmse(predicted: np.ndarray, observed: np.ndarray) -> float:
    """Root mean squared error."""
    return float(np.sqrt(np.mean((np.asarray(predicted) - np.asarray(observed)) ** 2)))


def fit_point(
    data: Ratings, rows: np.ndarray | slice, method: str, point: Mapping[str, Any], latent_dim: int, seed: int
) -> FactorModel:
    """Fit libFM on ``rows`` of the ratings at one grid point. For SGD the global bias is left
    unregularised (``reg = [0, r, r]``): libFM applies ``reg[0]`` at every row, which would shrink the
    global bias from about 3 towards 1 and shift the mean into the user/item biases, whereas the
    environment is "offset 3 plus zero-mean biases" (thesis section 2.3)."""
    params = dict(point)
    params["num_iter"] = int(params["num_iter"])
    if method == "sgd" and "reg" in params:
        params["reg"] = (0.0, float(params["reg"]), float(params["reg"]))
    return fit_libfm(data.users[rows], data.items[rows], data.ratings[rows], data.n_users, data.n_items,
                     method=method, dim=latent_dim, seed=seed, **params)


def fit_biases(data: Ratings, rows: np.ndarray, reg: float = BIAS_REG, sweeps: int = BIAS_SWEEPS) -> FactorModel:
    """Global mean plus user and item biases by regularised alternating least squares (vectorised)."""
    users, items, values = data.users[rows], data.items[rows], data.ratings[rows]
    mean = float(values.mean())
    user_bias = np.zeros(data.n_users)
    item_bias = np.zeros(data.n_items)
    user_count = np.bincount(users, minlength=data.n_users)
    item_count = np.bincount(items, minlength=data.n_items)
    for _ in range(sweeps):
        user_bias = np.bincount(users, values - mean - item_bias[items], data.n_users) / (user_count + reg)
        item_bias = np.bincount(items, values - mean - user_bias[users], data.n_items) / (item_count + reg)
    empty = np.zeros((0,))
    return FactorModel(mean, user_bias, item_bias, empty.reshape(data.n_users, 0), empty.reshape(data.n_items, 0))


def baselines_cv(data: Ratings, folds: int, seed: int) -> pd.DataFrame:
    """CV RMSE of the global mean and of the bias-only model on the libFM folds."""
    scores: dict[str, list[float]] = {"global mean": [], "user + item biases": []}
    for train, test in kfold_indices(len(data.ratings), folds, seed):
        scores["global mean"].append(rmse(np.full(test.size, data.ratings[train].mean()), data.ratings[test]))
        model = fit_biases(data, train)
        predicted = model.predict(data.users[test], data.items[test], clip=RATING_RANGE)
        scores["user + item biases"].append(rmse(predicted, data.ratings[test]))
    return pd.DataFrame(
        [{"model": name, "rmse_mean": float(np.mean(v)), "rmse_std": float(np.std(v)), "folds": folds}
         for name, v in scores.items()]
    )


def cv_points(
    data: Ratings, method: str, points: Sequence[Mapping[str, Any]], latent_dim: int, folds: int, seed: int
) -> pd.DataFrame:
    """CV RMSE (mean and std over folds) of each grid point of one libFM method."""
    splits = kfold_indices(len(data.ratings), folds, seed)
    rows = []
    for number, point in enumerate(points, start=1):
        fold_rmse, seconds = [], 0.0
        for fold, (train, test) in enumerate(splits):
            started = time.perf_counter()
            model = fit_point(data, train, method, point, latent_dim, seed)
            seconds += time.perf_counter() - started
            predicted = model.predict(data.users[test], data.items[test], clip=RATING_RANGE)
            fold_rmse.append(rmse(predicted, data.ratings[test]))
            log.info("%s point %d/%d %s fold %d/%d: RMSE %.4f (%.1f s so far)", method, number, len(points),
                     dict(point), fold + 1, folds, fold_rmse[-1], seconds)
        rows.append({"method": method, **point, "latent_dim": latent_dim, "rmse_mean": float(np.mean(fold_rmse)),
                     "rmse_std": float(np.std(fold_rmse)), "folds": folds, "fit_seconds": seconds / folds})
    return pd.DataFrame(rows)


def select_point(cv_table: pd.DataFrame, method: str) -> dict[str, Any]:
    """The grid point with the lowest mean CV RMSE, among all methods (``best``) or one method."""
    candidates = cv_table if method == "best" else cv_table[cv_table["method"] == method]
    if candidates.empty:
        raise ValueError(f"fit.ml100k.method={method!r}: no cross-validated grid point of that method")
    best = candidates.iloc[int(np.argmin(candidates["rmse_mean"].to_numpy()))]
    return {key: value for key, value in best.dropna().to_dict().items()}


HYPERPARAMETERS = ("num_iter", "lr", "reg", "init_stdev")


def fit_selected(data: Ratings, selection: Mapping[str, Any], seed: int) -> FactorModel:
    """Refit the selected grid point on all ratings."""
    point = {key: selection[key] for key in HYPERPARAMETERS if key in selection}
    return fit_point(data, slice(None), selection["method"], point, int(selection["latent_dim"]), seed)


def load_ratings(paths: Sequence[str]) -> Ratings:
    """Rating arrays from the processed ML-100K tables (ratings, users, items parquet files)."""
    by_name = {str(path).rsplit("/", 1)[-1]: path for path in paths}
    return ratings_from_tables(*(pd.read_parquet(by_name[f"{name}.parquet"]) for name in ("ratings", "users", "items")))


def fit_table(cv_table: pd.DataFrame, baselines: pd.DataFrame, selection: Mapping[str, Any]) -> pd.DataFrame:
    """One row per baseline and libFM grid point, best first within each kind, the selection flagged."""
    base = baselines.assign(method="baseline").rename(columns={"model": "model"})
    grid = cv_table.assign(model="libFM " + cv_table["method"].str.upper()).sort_values("rmse_mean")
    key_columns = ["method", *[k for k in HYPERPARAMETERS if k in grid.columns]]
    chosen = np.ones(len(grid), dtype=bool)
    for key in key_columns:
        chosen &= grid[key].eq(selection.get(key)) | (grid[key].isna() & (key not in selection))
    grid = grid.assign(selected=np.where(chosen, "yes", ""))
    columns = ["model", *[k for k in HYPERPARAMETERS if k in grid.columns], "latent_dim",
               "rmse_mean", "rmse_std", "folds", "fit_seconds", "selected"]
    return pd.concat([base.assign(selected=""), grid], ignore_index=True).reindex(columns=columns)
