"""The two side checks of thesis section 2.6.

* :func:`single_step_after_uniform` ("We confirm that this improvement is caused by the
  distribution of the online data AutoRec observes by training the model with 200,000 randomly
  sampled datapoints. We then evaluate the mean rating of AutoRec's recommended items over a
  single timestep (repeated over ten different seeds)"): the environment's offline dataset is
  enlarged to ``initial_ratings`` uniformly sampled pairs and the online protocol runs exactly
  one step; one row per seed.
* :func:`more_data_check` ("LLORMA's NDCG increases to 0.948 when trained with 100,000
  datapoints instead of the 80,000 available during five-fold cross-validation"): the thesis
  does not say what that nDCG is evaluated on. Reading: the same recommender, same
  hyperparameters, trained once on all offline ratings and once on the training part of the
  first CV fold (80%), both evaluated on one held-out set of pairs drawn uniformly from the cells
  not in the offline dataset (:func:`recdyn.sim.sampling_study.heldout_set`), so the two numbers
  differ only by the training size.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from recdyn.ratings import Ratings, kfold_indices
from recdyn.sim.experiment import build_env, online_job
from recdyn.sim.sampling_study import heldout_eval, heldout_set


def single_step_after_uniform(env_name: str, env_params: Mapping[str, Any], recommender: str,
                              params: Mapping[str, Any], *, initial_ratings: int, seeds: Sequence[int],
                              model_path: str | Path | None = None) -> pd.DataFrame:
    """Mean rating of one step of recommendations after training on ``initial_ratings`` uniformly
    sampled ratings, one row per seed (columns seed, mean_rating, n_online, initial_ratings)."""
    env_params = {**env_params, "initial_ratings": int(initial_ratings), "sampling": "uniform"}
    online = int(env_params["online_users"])
    table = online_job(env_name, env_params, recommender, params, seeds, int(initial_ratings) + online, model_path)
    steps = table[table["step"] == 0]
    return steps[["seed", "mean_rating", "n_online"]].assign(initial_ratings=int(initial_ratings)).reset_index(drop=True)


def more_data_check(env_name: str, env_params: Mapping[str, Any], recommender: str, params: Mapping[str, Any],
                    data: Ratings, *, seed: int, folds: int, k: int, heldout_size: int,
                    model_path: str | Path | None = None) -> pd.DataFrame:
    """Held-out nDCG@k and RMSE of ``recommender`` trained on all of ``data`` (``train="all"``) and
    on the training part of the first of ``folds`` CV folds (``train="fold"``). ``data`` is the
    environment's offline dataset for ``seed`` (the environment is reset with it)."""
    env = build_env(env_name, env_params, model_path)
    env.reset(seed)
    heldout = heldout_set(env, heldout_size, [data], seed)
    train_idx, _ = kfold_indices(len(data), folds, seed)[0]
    table = heldout_eval(recommender, params, {"all": data, "fold": data.subset(train_idx)}, heldout,
                         env=env, seed=seed, k=k)
    return table.rename(columns={"train_scheme": "train"}).assign(recommender=recommender, env=env_name)
