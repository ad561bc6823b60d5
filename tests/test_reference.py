"""The thesis authors' offline metrics (recdyn.sim.reference) and their place in the ch2 table."""

from __future__ import annotations

import math

import pandas as pd

from recdyn.envs import ENV_NAMES
from recdyn.recommenders import available_recommenders
from recdyn.sim.reference import AUTHORS_OFFLINE, AUTHORS_SETTINGS, add_authors_columns, comparable_envs


def test_reference_keys_name_our_environments_and_recommenders():
    assert {env for env, _ in AUTHORS_OFFLINE} <= set(ENV_NAMES)
    assert {name for _, name in AUTHORS_OFFLINE} <= set(available_recommenders())


def test_reference_transcription_is_coherent():
    """Guards the transcription: the Oracle is best and Random worst in RMSE, the Oracle best in nDCG,
    and the Oracle's RMSE is near the environment's noise (sd 0.5)."""
    ref = {name: v for (env, name), v in AUTHORS_OFFLINE.items() if env == "topics-static"}
    rmse = {name: v["rmse"] for name, v in ref.items() if not math.isnan(v["rmse"])}
    assert min(rmse, key=rmse.get) == "oracle" and max(rmse, key=rmse.get) == "random"
    assert max(ref, key=lambda name: ref[name]["ndcg"]) == "oracle"
    assert 0.4 < rmse["oracle"] < 0.5
    assert math.isnan(ref["ease"]["rmse"])  # EASE scores are not ratings


def test_authors_columns_sit_on_their_rows():
    table = pd.DataFrame({"env": ["topics-static", "topics-static", "latent-static"],
                          "recommender": ["llorma", "ease", "llorma"], "rmse": [1.27, math.nan, 0.83]})
    out = add_authors_columns(table, {"topics-static"})
    assert out["authors_rmse"].iloc[0] == AUTHORS_OFFLINE["topics-static", "llorma"]["rmse"]
    assert abs(out["authors_rmse"].iloc[0] - 1.267) < 1e-3
    assert math.isnan(out["authors_rmse"].iloc[1]) and out["authors_ndcg@20"].iloc[1] > 0.8
    assert out.iloc[2][["authors_rmse", "authors_ndcg@20"]].isna().all()
    assert add_authors_columns(table, {"topics-static"}, k=10)["authors_ndcg@10"].isna().all()  # cutoff 20
    assert add_authors_columns(table, set())[["authors_rmse", "authors_ndcg@20"]].isna().all().all()
    assert list(table.columns) == ["env", "recommender", "rmse"]  # input untouched


def test_only_environments_configured_like_theirs_compare():
    full = {**AUTHORS_SETTINGS["topics-static"], "online_users": 200}
    assert comparable_envs({"topics-static": full, "latent-static": {}}) == {"topics-static"}
    assert comparable_envs({"topics-static": {**full, "n_users": 200}}) == set()  # e.g. the smoke preset
    assert comparable_envs({}) == set()
