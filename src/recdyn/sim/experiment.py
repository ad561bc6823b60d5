"""Glue between the presets and the simulation framework: environments and online jobs by name.

A job is one environment x one recommender x a chunk of trials (thesis section 2.6 runs 10 trials
per pair); trial ``t`` uses seed ``base_seed + t`` in every environment, so topics-static and
topics-dynamic share user preferences, item topics and the offline dataset (Figure 2.6).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from recdyn.envs import Environment, TopicsEnv, make_env
from recdyn.recommenders import make_recommender
from recdyn.sim.online import run_trials

log = logging.getLogger(__name__)


def build_env(name: str, params: Mapping[str, Any], model_path: str | Path | None = None) -> Environment:
    """Environment ``name`` with the preset's parameters; ml-100k takes the fitted model's npz."""
    params = dict(params)
    if name == "ml-100k":
        if model_path is None:
            raise ValueError("ml-100k needs the fitted environment (results/ch2/ml100k_env/env_params.npz)")
        params["model"] = str(model_path)
    return make_env(name, **params)


def trial_seeds(base_seed: int, trials: Sequence[int]) -> list[int]:
    """Seeds of the given trial indices."""
    return [int(base_seed) + int(t) for t in trials]


def retrain_interval(setting: int | Mapping[str, int], recommender: str) -> int:
    """Steps between retrains for ``recommender``: an integer for all, or a mapping with a
    ``default`` and per-recommender overrides (the ``ch2.retrain_every`` preset key)."""
    if isinstance(setting, Mapping):
        if recommender in setting:
            return int(setting[recommender])
        if "default" not in setting:
            raise KeyError(f"ch2.retrain_every has no entry for {recommender!r} and no 'default'")
        return int(setting["default"])
    return int(setting)


def trial_chunks(trials: int, per_job: int) -> list[list[int]]:
    """Trial indices split into jobs of at most ``per_job`` trials."""
    return [list(range(start, min(start + per_job, trials))) for start in range(0, trials, per_job)]


def env_trial_chunks(ch2: Mapping[str, Any], env: str) -> list[list[int]]:
    """Trial indices of each online job of environment ``env`` under the ``ch2`` config section:
    ``ch2.envs.<env>.trials`` (else ``ch2.trials``) in jobs of at most ``ch2.trials_per_job``."""
    return trial_chunks(int(ch2["envs"][env].get("trials", ch2["trials"])), int(ch2["trials_per_job"]))


def _affinity_columns(preferences: np.ndarray) -> dict[str, float]:
    return {f"affinity_{k}": float(v) for k, v in enumerate(preferences.mean(axis=0))}


def topic_affinity(env: Environment) -> dict[str, float]:
    """Mean preference of each topic over users (Figure 2.7): columns ``affinity_<k>``."""
    return _affinity_columns(env.preferences) if isinstance(env, TopicsEnv) else {}


def initial_topic_affinity(env: TopicsEnv) -> dict[str, float]:
    """Mean preference of each topic at reset (before any consumption)."""
    return _affinity_columns(env.initial_preferences)


def online_job(env_name: str, env_params: Mapping[str, Any], recommender: str,
               recommender_params: Mapping[str, Any], seeds: Sequence[int], total_ratings: int,
               model_path: str | Path | None = None, retrain_every: int = 1) -> pd.DataFrame:
    """Online trials of one recommender in one environment (section 2.6), one row per step.

    ``retrain_every``: see :func:`recdyn.sim.online.run_online` (1 = after every step, as in the
    thesis); recorded in the table's ``retrain_every`` column.

    Topics environments also record the mean topic affinities after every step, and a step-0 row
    per trial with the initial affinities (before the recommender acted)."""
    env = build_env(env_name, env_params, model_path)

    def factory():
        extra = {"env": env} if recommender == "oracle" else {}
        return make_recommender(recommender, **recommender_params, **extra)

    hook = topic_affinity if isinstance(env, TopicsEnv) else None
    table = run_trials(env, factory, seeds=list(seeds), total_ratings=total_ratings, record_affinity=hook,
                       retrain_every=retrain_every)
    if hook is not None:
        initial = []
        for trial, seed in enumerate(seeds):
            env.reset(int(seed))
            initial.append({"trial": trial, "seed": int(seed), "step": -1, **initial_topic_affinity(env)})
        table = pd.concat([pd.DataFrame(initial), table], ignore_index=True)
    log.info("%s x %s: %d trials, %d rows", env_name, recommender, len(seeds), len(table))
    return table.assign(env=env_name, recommender=recommender, retrain_every=int(retrain_every))


def number_trials(table: pd.DataFrame) -> pd.DataFrame:
    """Renumber ``trial`` across job chunks: each job numbers its own trials from 0, so after
    concatenating chunks the trial of a row is the rank of its ``seed`` (0-based) among the seeds
    of its environment and recommender (seeds are ``ch2.seed + trial``, unique per trial)."""
    keys = [c for c in ("env", "recommender") if c in table.columns]
    seeds = table.groupby(keys, sort=False)["seed"] if keys else table["seed"]
    return table.assign(trial=(seeds.rank(method="dense") - 1).astype(int))


def trial_affinity(online: pd.DataFrame) -> pd.DataFrame:
    """Per trial and topic: mean affinity over users at reset (``initial``) and after the last step
    (``final``), and how many items the recommender had recommended by then (Figure 2.7)."""
    columns = sorted((c for c in online.columns if c.startswith("affinity_")), key=lambda c: int(c.split("_")[1]))
    if not columns:
        raise ValueError("no affinity_<k> columns: was this a topics environment?")
    start = online[online["step"] == -1].set_index("trial")[columns]
    steps = online[online["step"] >= 0]
    last = steps.sort_values("step").groupby("trial").tail(1).set_index("trial")[columns]
    recommended = steps.groupby("trial")["n_online"].sum()
    tidy = []
    for name, frame in (("initial", start), ("final", last)):
        long = frame.rename(columns=lambda c: int(c.split("_")[1])).stack().rename(name)
        tidy.append(long)
    table = pd.concat(tidy, axis=1).rename_axis(["trial", "topic"]).reset_index()
    return table.assign(recommended=table["trial"].map(recommended).astype(int))
