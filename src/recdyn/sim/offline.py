"""The offline protocol of thesis sections 2.5 and 2.6 (step 2): K-fold grid search and selection.

Section 2.5: "We tune the hyperparameters on UNIFORM-INIT using grid search which minimizes the
mean RMSE evaluated using five-fold cross-validation ... We evaluate each recommender by
averaging the offline metrics (nDCG@20 and RMSE) across five folds." Section 2.6 step 2: the
same grid search on the environment's (uniformly sampled) offline dataset, never re-tuned.

* :func:`cross_validate`: one hyperparameter setting, one row per fold.
* :func:`grid_search`: every grid point, one row per point, metrics averaged over folds.
* :func:`select_best` / :func:`select_by_rmse`: the chosen hyperparameters.
* :func:`evaluate_on`: train on one dataset, evaluate on another (section 2.5's control:
  models trained on ML-100K-INIT evaluated on a uniformly sampled held-out set).

Choices
-------
* Folds: :func:`recdyn.ratings.kfold_indices` (random, disjoint, covering every rating, sizes
  differing by at most one), drawn once from ``seed``; every grid point (and every recommender
  given the same seed) sees the same folds, so comparisons are paired. (RecLab's tuner dropped
  the ``n % folds`` remainder and drew folds from the global numpy RNG.)
* Per fold: a fresh recommender ``factory(**params)``, ``fit`` on the training part; RMSE of
  ``predict`` on the held-out pairs against their observed ratings; nDCG@k of the same
  predictions ranking each user's held-out items (:func:`recdyn.metrics.ndcg_at_k`, raw gain).
  Metrics are averaged over folds (mean RMSE, not the root of the mean MSE that RecLab's tuner
  averaged). A recommender with ``predicts_ratings = False`` (EASE) gets RMSE = NaN.
* Table columns: ``param_<name>`` for each hyperparameter, then ``rmse``, ``ndcg`` (fold means),
  ``rmse_std``, ``ndcg_std`` (standard deviation over folds, ddof=1), ``rmse_fold<j>``,
  ``ndcg_fold<j>``, ``fit_seconds`` and ``predict_seconds`` (means per fold), ``folds``, ``k``.
  Selection reads exactly these names and fails loudly if a column is missing (RecLab's
  selection code read a key the tuner never wrote). The two ``*_seconds`` columns are wall times:
  the pipeline writes them to ``.timing.`` files, never into a result (:mod:`recdyn.timing`).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from recdyn.fit.grid import expand_grid
from recdyn.metrics import ndcg_at_k, rmse
from recdyn.progress import Progress
from recdyn.ratings import Ratings, kfold_indices
from recdyn.recommenders.base import Recommender

PARAM_PREFIX = "param_"
#: criterion -> (column, True if larger is better)
CRITERIA = {"rmse": ("rmse", False), "ndcg": ("ndcg", True)}


def evaluate_on(recommender: Recommender, train: Ratings, test: Ratings, *, k: int = 20,
                min_items: int = 1) -> dict[str, float]:
    """Fit ``recommender`` on ``train`` (from scratch) and evaluate it on ``test``.

    Returns ``{"rmse", "ndcg", "fit_seconds", "predict_seconds", "n_train", "n_test"}``; RMSE is NaN
    for a recommender whose scores are not ratings. ``predict_seconds`` times the held-out
    predictions: Bayes MF runs its Gibbs chain there (its ``fit`` only stores the data).
    """
    if (train.n_users, train.n_items) != (test.n_users, test.n_items):
        raise ValueError("train and test live in different index spaces")
    start = time.perf_counter()
    recommender.fit(train)
    fit_seconds = time.perf_counter() - start
    start = time.perf_counter()
    pred = recommender.predict(test.users, test.items)
    predict_seconds = time.perf_counter() - start
    return {
        "rmse": rmse(pred, test.ratings) if recommender.predicts_ratings else float("nan"),
        "ndcg": ndcg_at_k(test.users, test.items, test.ratings, pred, k, min_items=min_items),
        "fit_seconds": fit_seconds,
        "predict_seconds": predict_seconds,
        "n_train": len(train),
        "n_test": len(test),
    }


def cross_validate(factory: Callable[..., Recommender], data: Ratings,
                   params: Mapping[str, Any] | None = None, *, folds: int = 5, seed: int = 0,
                   k: int = 20, min_items: int = 1, progress: Progress | None = None) -> pd.DataFrame:
    """K-fold cross-validation of ``factory(**params)`` on ``data``: one row per fold
    (``fold``, ``rmse``, ``ndcg``, ``fit_seconds``, ``n_train``, ``n_test``); ``progress``
    counts one step per fold."""
    params = dict(params or {})
    rows = []
    for fold, (train_idx, test_idx) in enumerate(kfold_indices(len(data), folds, seed)):
        result = evaluate_on(factory(**params), data.subset(train_idx), data.subset(test_idx),
                             k=k, min_items=min_items)
        rows.append({"fold": fold, **result})
        if progress is not None:
            progress.step(extra=f"{params} fold {fold + 1}")
    return pd.DataFrame(rows)


def grid_search(factory: Callable[..., Recommender],
                grid: Mapping[str, Sequence[Any]] | Sequence[Mapping[str, Any]], data: Ratings, *,
                folds: int = 5, seed: int = 0, k: int = 20, min_items: int = 1) -> pd.DataFrame:
    """Cross-validate every point of ``grid``: one row per point (columns in the module docstring).

    ``grid``: a ``{name: [values]}`` mapping (expanded by :func:`recdyn.fit.grid.expand_grid`,
    keys sorted) or an explicit list of parameter dicts. ``factory(**point)`` must return a new
    recommender (e.g. ``functools.partial(make_recommender, "toppop", seed=0)``).
    """
    points = expand_grid(grid) if isinstance(grid, Mapping) else [dict(p) for p in grid]
    if not points:
        raise ValueError("empty grid")
    rows = []
    progress = Progress(len(points) * int(folds), "grid search (points x folds)")
    for point in points:
        cv = cross_validate(factory, data, point, folds=folds, seed=seed, k=k, min_items=min_items,
                            progress=progress)
        row: dict[str, Any] = {PARAM_PREFIX + name: value for name, value in point.items()}
        for metric in ("rmse", "ndcg"):
            values = cv[metric].to_numpy(dtype=np.float64)
            row[metric] = float(values.mean())
            row[metric + "_std"] = float(values.std(ddof=1)) if values.size > 1 else float("nan")
        for metric in ("rmse", "ndcg"):
            for fold, value in enumerate(cv[metric]):
                row[f"{metric}_fold{fold}"] = float(value)
        row.update(fit_seconds=float(cv["fit_seconds"].mean()),
                   predict_seconds=float(cv["predict_seconds"].mean()), folds=int(folds), k=int(k))
        rows.append(row)
    return pd.DataFrame(rows)


def _python_value(value: Any) -> Any:
    return value.item() if isinstance(value, np.generic) else value


def params_of(row: pd.DataFrame | pd.Series | Mapping[str, Any]) -> dict[str, Any]:
    """The hyperparameters of a grid-search row (``param_`` columns, prefix stripped; NaN
    cells, i.e. parameters absent from that point, are dropped)."""
    if isinstance(row, pd.DataFrame):  # a one-row frame keeps each column's dtype (ints stay ints)
        row = {column: row[column].iloc[0] for column in row.columns}
    out = {}
    for column, value in dict(row).items():
        if not str(column).startswith(PARAM_PREFIX):
            continue
        if isinstance(value, float) and np.isnan(value):
            continue
        out[str(column)[len(PARAM_PREFIX):]] = _python_value(value)
    return out


def best_row(table: pd.DataFrame, criterion: str = "rmse") -> pd.DataFrame:
    """The best row of a grid table (as a one-row frame, so integer columns stay integers): lowest
    mean ``rmse`` or highest mean ``ndcg``.

    Rows with a NaN criterion are ignored; ties go to the first row in table order. Raises
    KeyError if the criterion's column is missing, ValueError if every value is NaN (e.g.
    RMSE for EASE: select with ``criterion="ndcg"``).
    """
    if criterion not in CRITERIA:
        raise ValueError(f"criterion must be one of {sorted(CRITERIA)}, got {criterion!r}")
    column, larger_is_better = CRITERIA[criterion]
    if column not in table.columns:
        raise KeyError(f"grid table has no {column!r} column (columns: {list(table.columns)})")
    values = table[column].to_numpy(dtype=np.float64)
    if np.isnan(values).all():
        raise ValueError(f"every {column!r} value is NaN; is this a recommender without rating "
                         f"predictions? select with another criterion")
    position = int(np.nanargmax(values) if larger_is_better else np.nanargmin(values))
    return table.iloc[[position]]


def select_best(table: pd.DataFrame, criterion: str = "rmse") -> dict[str, Any]:
    """Hyperparameters of :func:`best_row`."""
    return params_of(best_row(table, criterion))


def select_by_rmse(table: pd.DataFrame, criterion: str = "rmse") -> dict[str, Any]:
    """Section 2.5/2.6 selection: the grid point with the lowest mean RMSE over folds.

    ``criterion="ndcg"`` selects by highest mean nDCG instead (recommenders without rating
    predictions, such as EASE)."""
    return select_best(table, criterion)


def selection_criterion(recommender: Recommender | type[Recommender]) -> str:
    """``"rmse"`` for rating predictors, ``"ndcg"`` for recommenders with ``predicts_ratings = False``."""
    return "rmse" if getattr(recommender, "predicts_ratings", True) else "ndcg"
