"""Fitting the ml-100k simulated environment (thesis section 2.3, "ML-100K"): a libFM model tuned
by K-fold cross-validation on MovieLens-100K, whose global bias, user/item biases and latent factors
become the parameters of a latent-static environment.

Choices the thesis leaves open, fixed here: the environment's latent dimension is the preset's
``fit.ml100k.latent_dim`` (100 for the thesis' ml100k-v1) and the grid searches the other
hyperparameters at that dimension. Each grid point is scored on every fold twice:

* ``rmse_mean``/``rmse_std``: the model's quality *as libFM predicts*: the predictions libFM
  returns for the fold's test pairs (:func:`recdyn.fit.libfm.fit_predict_libfm`). For MCMC these
  are the posterior-predictive averages over all Gibbs samples; for SGD they are the final
  parameters' predictions clipped to the training range.
* ``env_rmse_mean``/``env_rmse_std``: the quality of the *single parameter set* an environment
  would be built from, i.e. :meth:`FactorModel.predict` of the extracted parameters clipped to
  [1, 5] like the environment's ratings. For SGD this is the same number; for MCMC it is the last
  Gibbs sample (libFM exposes no sample average), a single posterior draw, noisier than the
  average (measured on the real ML-100K, d = 100, 100 samples, 5 folds: 1.08 and 1.14 against
  0.902 and 0.912 for init_stdev 0.1 and 0.5; SGD's best point 0.910).

``fit.ml100k.method: best`` takes the method (SGD or MCMC) and grid point with the lowest
``env_rmse_mean`` (:func:`select_point`); the final model is refitted on all ratings with the
same seed. Baselines use the same folds: the global mean, and user+item biases fitted by
regularised alternating least squares (lambda = 5, 10 sweeps); their parameters are their
predictions, so their environment RMSE is their RMSE. Fit times are measured per point
(``fit_seconds``) and written only to ``.timing.`` files by the pipeline (:mod:`recdyn.timing`).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from recdyn.fit.libfm import FactorModel, fit_predict_libfm
from recdyn.progress import Progress
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
    """Fit libFM on ``rows`` of the ratings at one grid point (see :func:`fit_point_predict`)."""
    return fit_point_predict(data, rows, method, point, latent_dim, seed)[0]


def fit_point_predict(
    data: Ratings, rows: np.ndarray | slice, method: str, point: Mapping[str, Any], latent_dim: int, seed: int,
    predict_rows: np.ndarray | None = None,
) -> tuple[FactorModel, np.ndarray]:
    """Fit libFM on ``rows`` of the ratings at one grid point; also return libFM's own predictions
    for the pairs of ``predict_rows`` (MCMC: posterior averages; empty without ``predict_rows``).
    The pairs never change the fitted parameters.

    For SGD the global bias is left unregularised (``reg = [0, r, r]``): libFM applies ``reg[0]`` at
    every row, which would shrink the global bias from about 3 towards 1 and shift the mean into the
    user/item biases, whereas the environment is "offset 3 plus zero-mean biases" (thesis section 2.3)."""
    params = dict(point)
    params["num_iter"] = int(params["num_iter"])
    if method == "sgd" and "reg" in params:
        params["reg"] = (0.0, float(params["reg"]), float(params["reg"]))
    pairs = {} if predict_rows is None else {"pred_users": data.users[predict_rows],
                                             "pred_items": data.items[predict_rows]}
    return fit_predict_libfm(data.users[rows], data.items[rows], data.ratings[rows], data.n_users, data.n_items,
                             method=method, dim=latent_dim, seed=seed, **params, **pairs)


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
    """CV RMSE (mean and std over folds) of each grid point of one libFM method: ``rmse_*`` of the
    predictions libFM returns for the test pairs (MCMC: posterior averages), ``env_rmse_*`` of the
    extracted parameters clipped to [1, 5] (MCMC: the last Gibbs sample), and ``fit_seconds``, the
    mean wall time of a fold's fit (a timing column: the pipeline writes it to a ``.timing.`` file)."""
    splits = kfold_indices(len(data.ratings), folds, seed)
    rows = []
    progress = Progress(len(points) * len(splits), f"libFM {method} CV (points x folds)", every=0.0)
    for number, point in enumerate(points, start=1):
        fold_rmse, fold_env_rmse, seconds = [], [], 0.0
        for fold, (train, test) in enumerate(splits):
            started = time.perf_counter()
            model, predicted = fit_point_predict(data, train, method, point, latent_dim, seed, predict_rows=test)
            seconds += time.perf_counter() - started
            fold_rmse.append(rmse(predicted, data.ratings[test]))
            parameters = model.predict(data.users[test], data.items[test], clip=RATING_RANGE)
            fold_env_rmse.append(rmse(parameters, data.ratings[test]))
            progress.step(extra=f"point {dict(point)} fold {fold + 1}: RMSE {fold_rmse[-1]:.4f} (libFM's "
                                f"prediction), {fold_env_rmse[-1]:.4f} (parameters)")
        rows.append({"method": method, **point, "latent_dim": latent_dim,
                     "rmse_mean": float(np.mean(fold_rmse)), "rmse_std": float(np.std(fold_rmse)),
                     "env_rmse_mean": float(np.mean(fold_env_rmse)), "env_rmse_std": float(np.std(fold_env_rmse)),
                     "folds": folds, "fit_seconds": seconds / folds})
    return pd.DataFrame(rows)


def select_point(cv_table: pd.DataFrame, method: str) -> dict[str, Any]:
    """The grid point with the lowest mean CV ``env_rmse_mean``, among all methods (``best``) or one
    method.

    Selection is by the quality of what the environment will be: the single parameter set that
    :func:`fit_selected` extracts and the latent-static environment uses (section 2.3: "tuned to
    achieve low RMSE"). For SGD that equals libFM's own prediction RMSE. For MCMC libFM's
    prediction averages all Gibbs samples, but the environment can only get one of them (the last),
    whose error is larger; ranking MCMC by its averaged RMSE would pick a point whose environment is
    worse than the table suggests, possibly worse than an SGD point it beat. So the averaged
    ``rmse_mean`` is reported as the family's reference quality and never selects."""
    candidates = cv_table if method == "best" else cv_table[cv_table["method"] == method]
    if candidates.empty:
        raise ValueError(f"fit.ml100k.method={method!r}: no cross-validated grid point of that method")
    if "env_rmse_mean" not in candidates.columns:
        raise KeyError("the CV table has no env_rmse_mean column (written by an older recdyn? rerun fit_cv)")
    best = candidates.iloc[int(np.argmin(candidates["env_rmse_mean"].to_numpy()))]
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
    """One row per baseline and libFM grid point, best environment first within each kind, the
    selection flagged. ``rmse_*``: as the model predicts (libFM MCMC: posterior average);
    ``env_rmse_*``: of the parameters an environment is built from (MCMC: last sample; for the
    baselines and SGD the same as ``rmse_*``)."""
    base = baselines.assign(method="baseline", env_rmse_mean=baselines["rmse_mean"],
                            env_rmse_std=baselines["rmse_std"])
    grid = cv_table.assign(model="libFM " + cv_table["method"].str.upper())
    grid = grid.sort_values(["env_rmse_mean", "rmse_mean"], kind="stable")
    key_columns = ["method", *[k for k in HYPERPARAMETERS if k in grid.columns]]
    chosen = np.ones(len(grid), dtype=bool)
    for key in key_columns:
        chosen &= grid[key].eq(selection.get(key)) | (grid[key].isna() & (key not in selection))
    grid = grid.assign(selected=np.where(chosen, "yes", ""))
    columns = ["model", *[k for k in HYPERPARAMETERS if k in grid.columns], "latent_dim",
               "rmse_mean", "rmse_std", "env_rmse_mean", "env_rmse_std", "folds", "selected"]
    return pd.concat([base.assign(selected=""), grid], ignore_index=True).reindex(columns=columns)


def timing_table(timings: pd.DataFrame) -> pd.DataFrame:
    """Mean seconds per fold's fit of each libFM grid point (from the CV jobs' ``.timing.`` files),
    fastest first within each method."""
    table = timings.assign(model="libFM " + timings["method"].str.upper())
    columns = ["model", *[k for k in HYPERPARAMETERS if k in table.columns], "latent_dim", "fit_seconds"]
    return table.sort_values(["model", "fit_seconds"], kind="stable").reindex(columns=columns).reset_index(drop=True)
