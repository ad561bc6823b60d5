"""Chapter 2 part 3: retraining interval, held-out sets, the sampling study, side checks, and the
aggregation behind Figures 2.1 and 2.3-2.8 (the chapter's claims: tests/test_claims_ch2.py)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from recdyn.ratings import Ratings
from recdyn.recommenders.baselines import TopPop
from recdyn.sim.analysis import (linear_fit, offline_online, offline_table, online_summary, spearman_by_env,
                                 step_bands, t_interval, trial_means)
from recdyn.sim.experiment import build_env, retrain_interval
from recdyn.sim.online import run_online
from recdyn.sim.sampling_study import heldout_pairs, heldout_set, scheme_cv, scheme_summary
from recdyn.sim.side_checks import more_data_check, single_step_after_uniform

SMALL = {"n_users": 60, "n_items": 95, "n_topics": 5, "online_users": 20, "initial_ratings": 1000}


# ---- retraining interval ----------------------------------------------------------------------
class CountingTopPop(TopPop):
    fits = 0
    hints: list[int] = []

    def fit(self, data):
        type(self).fits += 1
        return super().fit(data)

    def expect_users(self, users):
        type(self).hints.append(len(users))


def test_retrain_every_controls_fits_and_is_recorded():
    env = build_env("topics-static", SMALL)
    CountingTopPop.fits, CountingTopPop.hints = 0, []
    table = run_online(env, CountingTopPop, seed=1, total_ratings=1000 + 20 * 10, retrain_every=4)
    assert len(table) == 10
    # initial fit + retrains after steps 4 and 8 (none after the last step)
    assert CountingTopPop.fits == 3
    # 4 steps x 20 online users >= 60 users: every fit hints all users
    assert CountingTopPop.hints == [60, 60, 60]
    assert (table["fit_seconds"].to_numpy()[[1, 2, 3, 5, 6, 7, 9]] == 0).all()
    CountingTopPop.fits, CountingTopPop.hints = 0, []
    run_online(env, CountingTopPop, seed=1, total_ratings=1000 + 20 * 10)
    assert CountingTopPop.fits == 10 and CountingTopPop.hints == []  # 1 x 20 < 60: no hint
    with pytest.raises(ValueError, match="retrain_every"):
        run_online(env, CountingTopPop, seed=1, total_ratings=1200, retrain_every=0)


def test_retrain_interval_setting():
    assert retrain_interval(1, "llorma") == 1
    setting = {"default": 50, "toppop": 1}
    assert retrain_interval(setting, "toppop") == 1 and retrain_interval(setting, "llorma") == 50
    with pytest.raises(KeyError, match="default"):
        retrain_interval({"toppop": 1}, "llorma")


# ---- held-out sets and the sampling study ---------------------------------------------------------
def test_heldout_pairs_avoid_every_training_set_and_are_uniform():
    a = Ratings(np.array([0, 0, 1]), np.array([0, 1, 2]), np.ones(3), 3, 4)
    b = Ratings(np.array([2]), np.array([3]), np.ones(1), 3, 4)
    users, items = heldout_pairs(3, 4, 8, [a, b], np.random.default_rng(0))
    cells = set(zip(users.tolist(), items.tolist()))
    assert len(cells) == 8 and not cells & {(0, 0), (0, 1), (1, 2), (2, 3)}
    with pytest.raises(ValueError, match="only 8 cells"):
        heldout_pairs(3, 4, 9, [a, b], np.random.default_rng(0))
    # uniform over the free cells: each of 100 free cells drawn about equally often
    counts = np.zeros(100)
    for seed in range(400):
        u, i = heldout_pairs(10, 10, 10, [], np.random.default_rng(seed))
        counts[u * 10 + i] += 1
    assert stats.chisquare(counts).pvalue > 0.001


def test_heldout_set_rates_with_the_environment_and_is_deterministic():
    env = build_env("topics-static", SMALL)
    data = env.reset(3)
    first = heldout_set(env, 500, [data], seed=7)
    second = heldout_set(env, 500, [data], seed=7)
    np.testing.assert_array_equal(first.ratings, second.ratings)
    truth = env.true_ratings()[first.users, first.items]
    residual = first.ratings - truth
    assert 0.3 < residual.std() < 0.7  # the environment's noise (0.5), not its truth alone
    assert abs(residual.mean()) < 0.1


def test_scheme_cv_and_summary():
    env = build_env("topics-static", SMALL)
    data = env.reset(3)
    cv = scheme_cv("toppop", {}, {"uniform": data, "half": data.subset(np.arange(500))}, env=env, folds=3,
                   seed=0, k=5)
    assert sorted(set(cv["scheme"])) == ["half", "uniform"] and len(cv) == 6
    assert cv["n_test"][cv["scheme"] == "uniform"].sum() == 1000
    cv = cv.assign(recommender="toppop")
    control = pd.DataFrame({"recommender": ["toppop", "toppop"], "train_scheme": ["uniform", "half"],
                            "ndcg": [0.5, 0.6], "rmse": [1.0, 1.1]})
    summary = scheme_summary(cv, control)
    row = summary.iloc[0]
    assert row["ndcg_uniform"] == pytest.approx(cv[cv["scheme"] == "uniform"]["ndcg"].mean())
    assert row["heldout_ndcg_half"] == 0.6 and row["heldout_rmse_uniform"] == 1.0


def test_side_checks_run_on_a_small_environment():
    single = single_step_after_uniform("topics-static", SMALL, "toppop", {}, initial_ratings=1500, seeds=[1, 2])
    assert single["seed"].tolist() == [1, 2] and (single["n_online"] == 20).all()
    assert single["mean_rating"].between(1, 5).all()
    env = build_env("topics-dynamic", SMALL)
    data = env.reset(5)
    table = more_data_check("topics-dynamic", SMALL, "toppop", {}, data, seed=5, folds=5, k=5, heldout_size=300)
    assert table.set_index("train")["n_train"].to_dict() == {"all": 1000, "fold": 800}
    assert (table["n_test"] == 300).all()


# ---- aggregation ------------------------------------------------------------------------------
def test_t_interval_matches_scipy():
    x = np.array([3.1, 3.4, 2.9, 3.3])
    mean, half = t_interval(x)
    lo, hi = stats.t.interval(0.95, len(x) - 1, loc=x.mean(), scale=stats.sem(x))
    assert mean == pytest.approx(x.mean()) and half == pytest.approx((hi - lo) / 2)
    assert np.isnan(t_interval([1.0])[1])


def online_table() -> pd.DataFrame:
    """Two recommenders x two trials x two steps with known means (plus a step -1 row)."""
    rows = [
        # env, rec, trial, step, n_online, mean_rating, rmse_observed
        ("e", "a", 0, -1, 0, np.nan, np.nan),
        ("e", "a", 0, 0, 10, 3.0, 1.0), ("e", "a", 0, 1, 30, 4.0, 0.5),
        ("e", "a", 1, 0, 10, 2.0, 1.2), ("e", "a", 1, 1, 10, 4.0, 0.7),
        ("e", "b", 0, 0, 20, 1.0, np.nan), ("e", "b", 0, 1, 20, 2.0, np.nan),
        ("e", "b", 1, 0, 20, 2.0, np.nan), ("e", "b", 1, 1, 20, 2.0, np.nan),
    ]
    return pd.DataFrame(rows, columns=["env", "recommender", "trial", "step", "n_online", "mean_rating",
                                       "rmse_observed"])


def test_trial_means_weight_steps_by_recommended_items():
    means = trial_means(online_table()).set_index(["recommender", "trial"])["mean_rating"]
    assert means[("a", 0)] == pytest.approx((3 * 10 + 4 * 30) / 40)
    assert means[("a", 1)] == pytest.approx(3.0)
    assert means[("b", 0)] == pytest.approx(1.5)
    summary = online_summary(online_table()).set_index("recommender")
    assert summary.loc["a", "mean_rating"] == pytest.approx((3.75 + 3.0) / 2)
    assert summary.loc["a", "trials"] == 2
    assert summary.loc["a", "mean_rating_ci"] == pytest.approx(t_interval([3.75, 3.0])[1])


def test_step_bands():
    bands = step_bands(online_table(), "rmse_observed").set_index(["recommender", "step"])
    assert bands.loc[("a", 0), "mean"] == pytest.approx(1.1)
    assert bands.loc[("a", 0), "hi"] > 1.1 > bands.loc[("a", 0), "lo"]
    assert np.isnan(bands.loc[("b", 0), "mean"])


def selection(env, rec, ndcg, rmse):
    return {"env": env, "recommender": rec, "ndcg": ndcg, "rmse": rmse, "ndcg_std": 0.01, "rmse_std": 0.02,
            "folds": 5}


def test_offline_online_and_spearman():
    offline = offline_table([selection("e", r, n, m) for r, n, m in
                             [("a", 0.9, 0.8), ("b", 0.8, 0.9), ("c", 0.7, 1.0), ("d", 0.95, float("nan"))]])
    assert offline["ndcg_ci"].iloc[0] == pytest.approx(0.01 * stats.t.ppf(0.975, 4) / np.sqrt(5))
    summary = pd.DataFrame({"env": "e", "recommender": ["a", "b", "c", "d"], "mean_rating": [4.0, 3.5, 3.0, 4.2],
                            "mean_rating_ci": 0.1, "trials": 3})
    merged = offline_online(offline, summary)
    table = spearman_by_env(merged).iloc[0]
    assert table["spearman_ndcg"] == pytest.approx(1.0) and table["n_ndcg"] == 4
    assert table["spearman_rmse"] == pytest.approx(-1.0) and table["n_rmse"] == 3  # d has no RMSE


def test_linear_fit():
    fit = linear_fit([1, 2, 3, np.nan], [3, 5, 7, 1])
    assert fit["slope"] == pytest.approx(2) and fit["intercept"] == pytest.approx(1) and fit["r"] == pytest.approx(1)
    with pytest.raises(ValueError):
        linear_fit([1], [2])


def test_retrain_note_names_the_slower_recommenders():
    from recdyn.plots.ch2 import retrain_note

    assert retrain_note(1) == "" and retrain_note({"default": 1, "random": 1}) == ""
    note = retrain_note({"default": 100, "random": 1, "oracle": 1, "bayes-mf": 250})
    assert "every 100 steps" in note and "Bayes MF every 250" in note and "Random" not in note
