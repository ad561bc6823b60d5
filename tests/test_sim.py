"""Simulation protocols (recdyn.sim): offline sampling schemes, K-fold grid search, online runs."""

from __future__ import annotations

import functools

import numpy as np
import pandas as pd
import pytest

import recdyn.sim.sampling as sampling
from recdyn.envs.base import Environment
from recdyn.ratings import Ratings
from recdyn.recommenders import make_recommender
from recdyn.recommenders.base import Recommender
from recdyn.recommenders.baselines import Oracle, Random, TopPop
from recdyn.sim.offline import (cross_validate, evaluate_on, grid_search, select_best,
                                select_by_rmse, selection_criterion)
from recdyn.sim.online import TIMING_COLUMNS, run_online, run_trials
from recdyn.sim.sampling import sample_pairs


class ToyEnv(Environment):
    """Fixed true-rating matrix plus Gaussian noise (clipped to [1, 5]).

    ``dynamic=True``: after a user consumes an item, that user's true rating of the item
    drops by 1 (so the pre-step truth differs from the post-step truth). ``slate_size > 1``:
    the user consumes the slate item with the highest true rating. Every step's recommendations
    are logged in ``self.log`` for the tests.
    """

    name = "toy"

    def __init__(self, truth, *, noise=0.5, online_users=3, initial_ratings=10,
                 sampling="uniform", slate_size=1, dynamic=False):
        truth = np.asarray(truth, dtype=float)
        super().__init__(n_users=truth.shape[0], n_items=truth.shape[1], online_users=online_users,
                         initial_ratings=initial_ratings, sampling=sampling, slate_size=slate_size)
        self.truth, self.noise, self.dynamic = truth, noise, dynamic
        self.log: list[tuple[np.ndarray, np.ndarray]] = []

    def _init_state(self, rng):
        self._h_truth = self.truth.copy()
        self.log = []

    def _expected(self, users, items):
        return self._h_truth[users, items]

    def _rate(self, users, items, rng):
        return np.clip(self._h_truth[users, items] + self.noise * rng.standard_normal(len(users)), 1, 5)

    def _choose(self, users, slates, scores, rng):
        assert scores is not None and scores.shape == slates.shape
        self.log.append((users.copy(), slates.copy()))
        best = self._h_truth[users[:, None], slates].argmax(1)[:, None]
        return np.take_along_axis(slates, best, 1)[:, 0], None

    def step(self, recommendations, scores=None):
        if self.slate_size == 1:
            self.log.append((self.online_users().copy(), np.asarray(recommendations)[:, None].copy()))
        return super().step(recommendations, scores)

    def _update(self, users, items, ratings):
        if self.dynamic:
            self._h_truth[users, items] -= 1.0


def toy_truth(n_users=30, n_items=40, seed=0):
    return np.random.default_rng(seed).uniform(1, 5, (n_users, n_items))


# ---- sampling ---------------------------------------------------------------------------------
def test_sample_pairs_distinct_deterministic_and_skewed():
    env = ToyEnv(toy_truth(200, 150, seed=1), initial_ratings=10)
    env.reset(0)
    truth = env.true_ratings()
    n = 3000
    means, per_user_max = {}, {}
    for scheme in sampling.SCHEMES:
        users, items = sample_pairs(env, n, scheme, np.random.default_rng(7))
        assert users.dtype == np.int64 and len(users) == len(items) == n
        flat = users * env.n_items + items
        assert np.unique(flat).size == n  # without replacement
        assert np.all(np.diff(flat) > 0)  # sorted by (user, item)
        again = sample_pairs(env, n, scheme, np.random.default_rng(7))
        assert np.array_equal(again[0], users) and np.array_equal(again[1], items)
        other = sample_pairs(env, n, scheme, np.random.default_rng(8))
        assert not np.array_equal(other[0] * env.n_items + other[1], flat)
        means[scheme] = truth[users, items].mean()
        per_user_max[scheme] = np.bincount(users, minlength=env.n_users).max()
    # INIT oversamples high ratings, FLIP low ones, relative to uniform (truth mean is 3).
    assert means["ml100k-init"] > means["uniform"] + 0.2
    assert means["ml100k-init-flip"] < means["uniform"] - 0.2
    # The user-rank Beta(0.70, 1.83) concentrates ratings on a few heavy users.
    assert per_user_max["ml100k-init"] > 2 * per_user_max["uniform"]


def test_weighted_sampling_matches_renormalised_draws():
    # One user, 3 items with weights 1:2:5; n=1 => P(item) = w / sum(w).
    w = np.array([[1.0, 2.0, 5.0]])
    rng = np.random.default_rng(0)
    counts = np.zeros(3)
    for _ in range(4000):
        counts[sampling._gumbel_top_n(1, 3, 1, lambda a, b: np.log(w[a:b]), rng)] += 1
    assert counts / counts.sum() == pytest.approx(w[0] / w.sum(), abs=0.025)


def test_blockwise_sampling_equals_one_block(monkeypatch):
    env = ToyEnv(toy_truth(50, 37, seed=2))
    env.reset(0)
    whole = sample_pairs(env, 400, "ml100k-init", np.random.default_rng(5))
    monkeypatch.setattr(sampling, "_BLOCK_CELLS", 100)  # 2 user rows per block
    blocks = sample_pairs(env, 400, "ml100k-init", np.random.default_rng(5))
    assert np.array_equal(whole[0], blocks[0]) and np.array_equal(whole[1], blocks[1])


def test_sampling_weights_are_finite_and_positive_at_the_extremes():
    ratings = np.array([[1.0, 5.0, 0.0, 7.0]])  # clipped to [1, 5] first
    for flip in (False, True):
        lw = sampling.log_weights(ratings, sampling.rank_scale(np.array([0]), 1), flip=flip)
        assert np.all(np.isfinite(lw))
    lw_last = sampling.log_weights(ratings, sampling.rank_scale(np.array([999]), 1000))
    assert np.all(np.isfinite(lw_last))
    # Flip mirrors about r = 3.
    x = sampling.log_weights(np.array([[2.0, 4.0]]), np.array([0.5]))
    y = sampling.log_weights(np.array([[4.0, 2.0]]), np.array([0.5]), flip=True)
    assert x == pytest.approx(y)


def test_sample_pairs_errors_and_reset_integration():
    env = ToyEnv(toy_truth(4, 5), initial_ratings=20)
    data = env.reset(3)  # every cell
    assert len(data) == 20 and np.unique(data.users * 5 + data.items).size == 20
    with pytest.raises(ValueError):
        sample_pairs(env, 21, "uniform", np.random.default_rng(0))
    with pytest.raises(ValueError):
        sample_pairs(env, 3, "powerlaw", np.random.default_rng(0))
    assert sample_pairs(env, 0, "ml100k-init", np.random.default_rng(0))[0].size == 0
    weighted = ToyEnv(toy_truth(20, 10), initial_ratings=50, sampling="ml100k-init-flip")
    d1, d2 = weighted.reset(4), weighted.reset(4)
    assert np.array_equal(d1.users, d2.users) and np.array_equal(d1.ratings, d2.ratings)


# ---- offline protocol -----------------------------------------------------------------------------
class Constant(Recommender):
    """Predicts ``value`` + user index * ``slope`` (a one-parameter family to tune)."""

    name = "constant"

    def __init__(self, *, value=3.0, slope=0.0, seed=0):
        super().__init__(seed=seed, value=value, slope=slope)

    def predict(self, users, items):
        return self.hyperparameters["value"] + self.hyperparameters["slope"] * np.asarray(users, float)


def offline_data(seed=0):
    rng = np.random.default_rng(seed)
    users = rng.integers(0, 20, 500)
    items = rng.integers(0, 30, 500)
    return Ratings(users, items, np.clip(np.round(rng.normal(3.5, 0.8, 500)), 1, 5), 20, 30)


def test_grid_search_table_and_selection():
    data = offline_data()
    table = grid_search(Constant, {"value": [2.0, 3.5, 5.0], "slope": [0.0]}, data, folds=5, seed=1)
    assert len(table) == 3
    for column in ("param_value", "param_slope", "rmse", "ndcg", "rmse_std", "ndcg_std",
                   "rmse_fold0", "ndcg_fold4", "fit_seconds", "predict_seconds", "folds", "k"):
        assert column in table.columns
    folds = table[[f"rmse_fold{j}" for j in range(5)]].to_numpy()
    assert table["rmse"].to_numpy() == pytest.approx(folds.mean(axis=1))
    # A constant closest to the mean rating (3.5) has the lowest RMSE.
    assert select_by_rmse(table) == {"slope": 0.0, "value": 3.5}
    assert isinstance(select_by_rmse(table)["value"], float)
    # Same folds for every grid point and run: deterministic.
    again = grid_search(Constant, [{"value": 3.5, "slope": 0.0}], data, folds=5, seed=1)
    assert again["rmse"].iloc[0] == table["rmse"].iloc[1]


def test_select_best_by_ndcg_and_failures():
    table = pd.DataFrame({"param_a": [1, 2, 3], "rmse": [np.nan] * 3, "ndcg": [0.5, 0.9, 0.9]})
    assert select_best(table, "ndcg") == {"a": 2}  # ties: first row
    with pytest.raises(ValueError, match="NaN"):
        select_by_rmse(table)
    with pytest.raises(KeyError):
        select_best(table.drop(columns="ndcg"), "ndcg")
    with pytest.raises(ValueError):
        select_best(table, "mae")

    class NoRatings(Constant):
        """Scores ``slope * item`` (not ratings): ranks items by index, up or down."""

        predicts_ratings = False

        def predict(self, users, items):
            return self.hyperparameters["slope"] * np.asarray(items, float)

    assert selection_criterion(NoRatings) == "ndcg" and selection_criterion(Constant()) == "rmse"
    rng = np.random.default_rng(0)
    users, items = rng.integers(0, 20, 600), rng.integers(0, 30, 600)
    data = Ratings(users, items, 1.0 + items / 7.25, 20, 30)  # higher item index, higher rating
    table = grid_search(NoRatings, {"slope": [0.0, -1.0, 1.0]}, data, folds=3)
    assert table["rmse"].isna().all()
    assert select_best(table, selection_criterion(NoRatings)) == {"slope": 1.0}
    assert table["ndcg"].iloc[2] == pytest.approx(1.0)


def test_cross_validate_and_evaluate_on():
    data = offline_data()
    cv = cross_validate(TopPop, data, folds=5, seed=0)
    assert cv["fold"].tolist() == list(range(5))
    assert cv["n_test"].sum() == len(data) and (cv["n_train"] + cv["n_test"] == len(data)).all()
    train, test = data.subset(slice(0, 400)), data.subset(slice(400, None))
    result = evaluate_on(TopPop(), train, test)
    assert set(result) == {"rmse", "ndcg", "fit_seconds", "predict_seconds", "n_train", "n_test"}
    assert 0 < result["rmse"] < 2 and 0 < result["ndcg"] <= 1
    table = grid_search(functools.partial(make_recommender, "toppop"), {}, data)
    assert len(table) == 1 and select_by_rmse(table) == {}



def test_tuning_selection_keeps_wall_times_apart():
    """The selection (a result) has no wall times; the timing file written beside each grid chunk is
    joined back row for row, and the selected point's seconds go to the timing table."""
    from recdyn.sim.tuning import join_timings, select, selected_timing, selection_table, timing_table
    from recdyn.timing import split_timings

    data = offline_data()
    table = grid_search(functools.partial(make_recommender, "sgd-mf", seed=0),
                        {"dim": [2], "num_iter": [5, 20], "init_stdev": [0.1], "reg": [0.05], "lr": [0.01]},
                        data, folds=3, seed=1)
    results, timings = split_timings(table, [c for c in table.columns if c.startswith("param_")])
    assert "fit_seconds" not in results.columns and list(timings.columns[-2:]) == ["fit_seconds", "predict_seconds"]
    selection = {**select("sgd-mf", results), "env": "toy"}
    assert not any(key.endswith("seconds") for key in selection)
    assert selection == {**select("sgd-mf", table), "env": "toy"}  # the same choice with or without timings
    timing = {**selected_timing("sgd-mf", join_timings(results, timings)), "env": "toy"}
    row = table[table["param_num_iter"] == selection["params"]["num_iter"]]
    assert timing["fit_seconds"] == float(row["fit_seconds"].iloc[0])
    assert "fit_seconds" not in selection_table([selection]).columns
    assert timing_table([timing]).columns.tolist() == ["env", "recommender", "fit_seconds", "predict_seconds"]
    with pytest.raises(ValueError, match="row for row"):
        join_timings(results, timings.iloc[::-1])


# ---- online protocol --------------------------------------------------------------------------------
def shown_pairs(env):
    users = np.concatenate([np.repeat(u, s.shape[1]) for u, s in env.log])
    items = np.concatenate([s.ravel() for _, s in env.log])
    return users, items


def test_online_rows_growth_and_no_repeats():
    env = ToyEnv(toy_truth(12, 15), online_users=3, initial_ratings=10)
    table = run_online(env, lambda: Random(seed=1), seed=0, total_ratings=25)
    assert table["step"].tolist() == list(range(5))
    assert table["n_ratings"].tolist() == [13, 16, 19, 22, 25]
    assert (table["n_online"] == 3).all()
    # No item recommended twice to a user, and never an item of the offline dataset.
    offline = env.reset(0)
    table = run_online(env, lambda: TopPop(), seed=0, total_ratings=10 + 3 * 40)
    users, items = shown_pairs(env)
    assert len(table) == 40
    cells = users * env.n_items + items
    assert np.unique(cells).size == cells.size
    assert not np.isin(cells, offline.users * env.n_items + offline.items).any()
    # Not a multiple of the step size: the last step runs in full.
    table = run_online(env, lambda: TopPop(), seed=0, total_ratings=24)
    assert table["n_ratings"].tolist() == [13, 16, 19, 22, 25]
    assert run_online(env, lambda: TopPop(), seed=0, total_ratings=10).empty


def test_online_deterministic_per_seed():
    env = ToyEnv(toy_truth(12, 15), online_users=4, initial_ratings=20)
    a = run_online(env, lambda: TopPop(), seed=3, total_ratings=60)
    b = run_online(env, lambda: TopPop(), seed=3, total_ratings=60)
    c = run_online(env, lambda: TopPop(), seed=4, total_ratings=60)
    drop = list(TIMING_COLUMNS)
    pd.testing.assert_frame_equal(a.drop(columns=drop), b.drop(columns=drop))
    assert not a.drop(columns=drop).equals(c.drop(columns=drop))


def test_online_oracle_noise_free_picks_best_unseen_item():
    truth = toy_truth(8, 10, seed=5)
    env = ToyEnv(truth, noise=0.0, online_users=8, initial_ratings=16)
    offline = env.reset(1)
    table = run_online(env, lambda: Oracle(env=env), seed=1, total_ratings=16 + 8 * 3)
    masked = truth.copy()
    masked[offline.users, offline.items] = -np.inf
    for users, slates in env.log:  # greedy: argmax over items not yet rated/recommended
        assert slates[:, 0].tolist() == masked[users].argmax(axis=1).tolist()
        masked[users, slates[:, 0]] = -np.inf
    assert (table["rmse_observed"] == 0).all() and (table["rmse_expected"] == 0).all()
    # With noise the Oracle's RMSE against observed ratings is not zero; against truth it is.
    noisy = ToyEnv(truth, noise=0.5, online_users=8, initial_ratings=16)
    table = run_online(noisy, lambda: Oracle(env=noisy), seed=1, total_ratings=40)
    assert (table["rmse_observed"] > 0).all() and (table["rmse_expected"] == 0).all()


def test_online_records_pre_step_truth_and_hook():
    truth = toy_truth(10, 12, seed=6)
    env = ToyEnv(truth, noise=0.0, online_users=5, initial_ratings=10, dynamic=True)
    table = run_online(env, lambda: Oracle(env=env), seed=2, total_ratings=30,
                       record_affinity=lambda e: {"mean_truth": float(e._h_truth.mean())})
    for row, (users, slates) in zip(table.itertuples(), env.log):
        assert row.mean_expected == pytest.approx(truth[users, slates[:, 0]].mean())
        assert row.mean_rating == pytest.approx(row.mean_expected)  # noise-free
    # The Oracle's predictions are taken before the dynamics act: exact.
    assert (table["rmse_expected"] == 0).all() and (table["rmse_observed"] == 0).all()
    # Every consumed item lowers the truth by 1: the hook sees the post-step state.
    assert table["mean_truth"].to_numpy() == pytest.approx(truth.mean() - 5 * (table["step"] + 1) / truth.size)
    with pytest.raises(ValueError, match="reserved"):
        run_online(env, TopPop, seed=2, total_ratings=20, record_affinity=lambda e: {"step": 0})


def test_online_slates():
    env = ToyEnv(toy_truth(6, 20, seed=7), online_users=3, initial_ratings=12, slate_size=3)
    offline = env.reset(0)
    rated = set((offline.users * env.n_items + offline.items).tolist())
    # Default "rated": never a pair already in the dataset; shown but unchosen items may return.
    table = run_online(env, lambda: Random(seed=0), seed=0, total_ratings=12 + 3 * 6)
    assert len(table) == 6 and table["n_ratings"].iloc[-1] == 30
    for users, slates in env.log:
        cells = users[:, None] * env.n_items + slates
        assert not np.isin(cells, list(rated)).any()
        chosen = env.truth[users[:, None], slates].argmax(1)
        rated |= set(np.take_along_axis(cells, chosen[:, None], 1)[:, 0].tolist())
    # "recommended": no slate item is ever shown twice to a user.
    table = run_online(env, lambda: Random(seed=0), seed=0, total_ratings=12 + 3 * 6,
                       exclude="recommended")
    assert len(table) == 6
    users, items = shown_pairs(env)
    cells = users * env.n_items + items
    assert np.unique(cells).size == cells.size
    with pytest.raises(ValueError):
        run_online(env, lambda: Random(seed=0), seed=0, total_ratings=20, exclude="nothing")


def test_run_trials():
    env = ToyEnv(toy_truth(10, 12), online_users=2, initial_ratings=10)
    table = run_trials(env, lambda: TopPop(), seeds=[5, 6], total_ratings=16)
    assert list(table.columns[:2]) == ["trial", "seed"]
    assert table["trial"].tolist() == [0, 0, 0, 1, 1, 1]
    assert table["seed"].tolist() == [5, 5, 5, 6, 6, 6]
    single = run_online(env, lambda: TopPop(), seed=6, total_ratings=16)
    drop = list(TIMING_COLUMNS)
    pd.testing.assert_frame_equal(
        table[table["trial"] == 1].drop(columns=["trial", "seed", *drop]).reset_index(drop=True),
        single.drop(columns=drop))


def test_selected_integer_hyperparameters_stay_integers():
    import pandas as pd

    from recdyn.sim.offline import select_best

    table = pd.DataFrame({"param_epochs": [5, 10], "param_lr": [0.1, 0.01], "rmse": [1.0, 0.5], "ndcg": [0.1, 0.2]})
    chosen = select_best(table, "rmse")
    assert chosen == {"epochs": 10, "lr": 0.01} and isinstance(chosen["epochs"], int)
