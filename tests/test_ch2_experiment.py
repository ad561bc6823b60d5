"""Chapter 2 glue: trial seeds and chunks, online jobs with affinity records, Figure 2.7 data (its claims:
tests/test_claims_ch2.py)."""

import numpy as np
import pandas as pd
import pytest

from recdyn.sim.experiment import (build_env, env_trial_chunks, number_trials, online_job, trial_affinity, trial_chunks,
                                  trial_seeds)

SMALL = {"n_users": 60, "n_items": 95, "n_topics": 5, "online_users": 20, "initial_ratings": 1000}


def test_env_trial_chunks_per_environment_override():
    ch2 = {"trials": 3, "trials_per_job": 3, "envs": {"a": {}, "b": {"trials": 5}}}
    assert env_trial_chunks(ch2, "a") == [[0, 1, 2]]
    assert env_trial_chunks(ch2, "b") == [[0, 1, 2], [3, 4]]


def test_trial_chunks_and_seeds():
    assert trial_chunks(5, 2) == [[0, 1], [2, 3], [4]]
    assert trial_seeds(300, [2, 3]) == [302, 303]


def test_ml100k_env_needs_the_fit():
    with pytest.raises(ValueError, match="env_params.npz"):
        build_env("ml-100k", {})


@pytest.fixture(scope="module")
def runs():
    dynamic = online_job("topics-dynamic", {**SMALL, "topic_change": 0.5}, "toppop", {}, [1, 2], 3000)
    static = online_job("topics-static", SMALL, "toppop", {}, [1, 2], 3000)
    return dynamic, static


def test_online_job_records_initial_and_per_step_affinity(runs):
    dynamic, _ = runs
    assert set(dynamic["env"]) == {"topics-dynamic"} and set(dynamic["recommender"]) == {"toppop"}
    assert (dynamic["step"] == -1).sum() == 2  # one initial row per trial
    steps = dynamic[dynamic["step"] >= 0]
    assert steps.groupby("trial")["n_ratings"].max().tolist() == [3000, 3000]
    assert {f"affinity_{k}" for k in range(5)} <= set(dynamic.columns)


def test_trial_affinity(runs):
    dynamic, static = runs
    d, s = trial_affinity(dynamic), trial_affinity(static)
    assert len(d) == 2 * 5 and (d["recommended"] == 2000).all()
    np.testing.assert_allclose(s["final"], s["initial"])  # static preferences never move
    assert not np.allclose(d["final"], d["initial"])


def test_trials_are_numbered_across_job_chunks():
    # One trial per job, as in the default and paper presets: every chunk calls its trial 0.
    chunks = [online_job("topics-static", SMALL, "toppop", {}, [seed], 1200) for seed in (301, 302)]
    assert all((c["trial"] == 0).all() for c in chunks)
    table = number_trials(pd.concat(chunks, ignore_index=True))
    assert table.groupby("trial")["seed"].unique().map(list).tolist() == [[301], [302]]
    affinity = trial_affinity(table)
    assert sorted(affinity["trial"].unique()) == [0, 1]
    np.testing.assert_allclose(affinity["final"], affinity["initial"])  # each trial against its own start
    both = number_trials(pd.concat([table, table.assign(recommender="random", seed=table["seed"] + 5)]))
    assert both.groupby("recommender")["trial"].unique().map(sorted).to_dict() == {"random": [0, 1],
                                                                                  "toppop": [0, 1]}
