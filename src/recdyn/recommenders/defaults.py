"""Named configurations of the recommenders' hyperparameters (issue 23).

Each recommender's constructor defaults are chosen to generalise on real ratings (its module
docstring says how they were chosen). :data:`RECLAB_DEFAULTS` keeps the values that chapter 2 of
the thesis ran, from RecLab's implementations and tuned settings (each module's docstring gives the
source of every value), with the thesis code's behaviour where ours now differs (no clipping, no
cold-pair fallback, no early stopping). ``make_recommender(name, **RECLAB_DEFAULTS[name])`` builds
the thesis' model; the chapter 2 presets use these values under their grids (``ch2.defaults:
reclab``) so that they keep reproducing the thesis' protocol.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

#: Configuration names accepted by :func:`named_defaults` (``ch2.defaults`` in the presets).
CONFIGURATIONS = ("reclab", "library")

RECLAB_DEFAULTS: dict[str, dict[str, Any]] = {
    "random": {},
    "oracle": {},
    "toppop": {},
    "ease": {"lam": 5000.0},
    # RecLab's KNNRecommender: no clipping (module docstring of recdyn.recommenders.knn).
    "user_knn": {"neighborhood_size": 250, "shrinkage": 0.0, "similarity": "cosine",
                 "centering": "mean", "clip": False},
    "item_knn": {"neighborhood_size": 250, "shrinkage": 0.0, "similarity": "cosine",
                 "centering": "mean", "clip": False},
    # RecLab's LibFM settings (init_stdev 1.0); cold users/items keep libFM's random factors.
    "sgd-mf": {"dim": 20, "num_iter": 200, "init_stdev": 1.0, "reg": 0.07, "lr": 0.01,
               "cold_fallback": False},
    "bayes-mf": {"dim": 20, "num_iter": 200, "init_stdev": 1.0, "cold_fallback": False},
    # RecLab's OPT_TOPICS values, 50 fixed epochs, unclipped, no fallback for cold pairs.
    "llorma": {"n_anchors": 10, "rank": 20, "kernel": "rbf", "bandwidth": 0.8, "lr": 0.02,
               "reg": 1e-4, "epochs": 50, "batch_size": 1000, "pre_rank": 10, "pre_lr": 3e-4,
               "pre_reg": 0.01, "pre_iters": 70, "clip": False, "cold_fallback": False,
               "val_fraction": 0.0},
    "autorec": {"hidden_units": 500, "reg": 100.0, "epochs": 20, "lr": 1e-3, "batch_size": 256,
                "dropout": 0.0, "val_fraction": 0.0},
    "cfnade": {"hidden_units": 500, "epochs": 10, "lr": 1e-3, "batch_size": 64, "weight_decay": 0.02,
               "ordinal_weight": 0.01, "val_fraction": 0.0},
}


def named_defaults(configuration: str, recommender: str) -> dict[str, Any]:
    """Hyperparameters of ``recommender`` under ``configuration``: ``"reclab"``
    (:data:`RECLAB_DEFAULTS`) or ``"library"`` (none: the constructor's defaults)."""
    if configuration not in CONFIGURATIONS:
        raise ValueError(f"unknown defaults configuration {configuration!r}; known: {CONFIGURATIONS}")
    if configuration == "library":
        return {}
    return dict(RECLAB_DEFAULTS.get(recommender, {}))


def with_defaults(configuration: str, recommender: str, params: Mapping[str, Any]) -> dict[str, Any]:
    """``params`` over the named configuration's values for ``recommender``."""
    return {**named_defaults(configuration, recommender), **params}
