"""Aggregation of chapter 2's runs into the quantities its figures plot (sections 2.5, 2.6).

* :func:`t_interval`: mean and 95% Student-t half-width (the thesis' "95% confidence intervals"
  over trials; over folds for offline metrics).
* :func:`trial_means`: per trial, the mean rating of *all* recommended items (Figures 2.1, 2.6,
  2.8: "the mean user ratings of all recommended items"), i.e. the per-step means weighted by
  the number of consumed items of the step.
* :func:`online_summary`: per environment and recommender, the trial mean with its 95% interval.
* :func:`offline_online`: the tuned offline metrics (5-fold means and their intervals) joined
  with the online summary (Figures 2.1, 2.6, 2.8).
* :func:`spearman_by_env`: Spearman rank correlation of offline nDCG@k and of RMSE with the
  online mean rating, across recommenders, per environment (Figure 2.8); recommenders without
  rating predictions (EASE, RMSE NaN) are left out of the RMSE correlation only.
* :func:`step_bands`: per recommender and step, the mean over trials of a per-step quantity with
  its 95% interval (Figure 2.5).
* :func:`linear_fit`: least-squares line (Figures 2.3, 2.4's red line).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats


def t_interval(values: Sequence[float] | np.ndarray, level: float = 0.95) -> tuple[float, float]:
    """``(mean, half_width)`` of the Student-t interval; half-width NaN for fewer than 2 values."""
    x = np.asarray(values, dtype=np.float64)
    x = x[np.isfinite(x)]
    if x.size == 0:
        return float("nan"), float("nan")
    mean = float(x.mean())
    if x.size < 2:
        return mean, float("nan")
    half = float(stats.t.ppf(0.5 + level / 2, x.size - 1) * x.std(ddof=1) / np.sqrt(x.size))
    return mean, half


def trial_means(online: pd.DataFrame) -> pd.DataFrame:
    """Mean rating of all items recommended in each trial: columns env, recommender, trial,
    mean_rating, n_recommended. Rows with ``step < 0`` (initial-state records) are ignored."""
    steps = online[online["step"] >= 0]
    weighted = steps.assign(total=steps["mean_rating"] * steps["n_online"])
    grouped = weighted.groupby(["env", "recommender", "trial"], sort=True)
    table = grouped.agg(total=("total", "sum"), n_recommended=("n_online", "sum")).reset_index()
    table["mean_rating"] = table["total"] / table["n_recommended"]
    return table.drop(columns="total")


def online_summary(online: pd.DataFrame, level: float = 0.95) -> pd.DataFrame:
    """Per environment and recommender: ``mean_rating`` over trials, ``mean_rating_ci`` (half-width
    of the 95% t interval) and ``trials``."""
    rows = []
    for (env, rec), group in trial_means(online).groupby(["env", "recommender"], sort=True):
        mean, half = t_interval(group["mean_rating"], level)
        rows.append({"env": env, "recommender": rec, "mean_rating": mean, "mean_rating_ci": half,
                     "trials": int(len(group))})
    return pd.DataFrame(rows)


def offline_table(selections: Sequence[Mapping[str, Any]], level: float = 0.95) -> pd.DataFrame:
    """Offline 5-fold metrics of the tuned hyperparameters: env, recommender, ndcg, ndcg_ci, rmse,
    rmse_ci (t interval over folds from the selection's fold standard deviations)."""
    rows = []
    for s in selections:
        folds = int(s["folds"])
        scale = stats.t.ppf(0.5 + level / 2, folds - 1) / np.sqrt(folds) if folds > 1 else float("nan")
        rows.append({"env": s["env"], "recommender": s["recommender"], "ndcg": s["ndcg"], "rmse": s["rmse"],
                     "ndcg_ci": s.get("ndcg_std", float("nan")) * scale,
                     "rmse_ci": s.get("rmse_std", float("nan")) * scale})
    return pd.DataFrame(rows)


def offline_online(offline: pd.DataFrame, summary: pd.DataFrame) -> pd.DataFrame:
    """Inner join of :func:`offline_table` and :func:`online_summary` on (env, recommender)."""
    return offline.merge(summary, on=["env", "recommender"], how="inner", validate="one_to_one")


def _spearman(x: pd.Series, y: pd.Series) -> tuple[float, int]:
    keep = np.isfinite(x.to_numpy(dtype=float)) & np.isfinite(y.to_numpy(dtype=float))
    n = int(keep.sum())
    if n < 3 or np.ptp(x[keep]) == 0 or np.ptp(y[keep]) == 0:  # undefined for constant input
        return float("nan"), n
    return float(stats.spearmanr(x[keep], y[keep]).statistic), n


def spearman_by_env(merged: pd.DataFrame) -> pd.DataFrame:
    """Per environment: ``spearman_ndcg`` (offline nDCG vs online mean rating), ``spearman_rmse``
    (RMSE vs mean rating), and how many recommenders each is over (NaN below 3)."""
    rows = []
    for env, group in merged.groupby("env", sort=False):
        ndcg, n_ndcg = _spearman(group["ndcg"], group["mean_rating"])
        rmse, n_rmse = _spearman(group["rmse"], group["mean_rating"])
        rows.append({"env": env, "spearman_ndcg": ndcg, "n_ndcg": n_ndcg, "spearman_rmse": rmse, "n_rmse": n_rmse})
    return pd.DataFrame(rows)


def step_bands(online: pd.DataFrame, value: str, level: float = 0.95) -> pd.DataFrame:
    """Per recommender and step: mean of ``value`` over trials, ``lo``/``hi`` of its 95% interval."""
    steps = online[online["step"] >= 0]
    rows = []
    for (rec, step), group in steps.groupby(["recommender", "step"], sort=True):
        mean, half = t_interval(group[value], level)
        rows.append({"recommender": rec, "step": int(step), "mean": mean, "lo": mean - half, "hi": mean + half})
    return pd.DataFrame(rows)


def linear_fit(x: Sequence[float] | np.ndarray, y: Sequence[float] | np.ndarray) -> dict[str, float]:
    """Least-squares line ``y = slope * x + intercept`` with Pearson ``r`` (finite pairs only)."""
    x = np.asarray(x, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    keep = np.isfinite(x) & np.isfinite(y)
    if keep.sum() < 2:
        raise ValueError("a linear fit needs at least two finite points")
    fit = stats.linregress(x[keep], y[keep])
    return {"slope": float(fit.slope), "intercept": float(fit.intercept), "r": float(fit.rvalue)}
