"""The ml-100k environment fit: CV over grid points, baselines on the same folds, selection, refit."""

import numpy as np
import pandas as pd
import pytest

from recdyn.data.synthetic.ml100k import write_ml100k
from recdyn.fit.libfm import fit_predict_libfm
from recdyn.ratings import Ratings, kfold_indices, ratings_from_tables

from recdyn.fit.environment import (
    RATING_RANGE, baselines_cv, cv_points, fit_point, fit_selected, fit_table, rmse, select_point, timing_table,
)


@pytest.fixture(scope="module")
def planted() -> Ratings:
    rng = np.random.default_rng(0)
    n_users, n_items, rank, n = 200, 300, 3, 20_000
    p = rng.normal(0, 0.6, (n_users, rank))
    q = rng.normal(0, 0.6, (n_items, rank))
    cells = rng.choice(n_users * n_items, n, replace=False)
    users, items = cells // n_items, cells % n_items
    user_bias, item_bias = rng.normal(0, 0.4, n_users), rng.normal(0, 0.4, n_items)
    signal = 3.0 + user_bias[users] + item_bias[items] + (p[users] * q[items]).sum(1)
    ratings = np.clip(signal + rng.normal(0, 0.3, n), 1, 5)
    return Ratings(users, items, ratings, n_users, n_items)


def test_rating_arrays_map_ids_in_table_order():
    ratings = pd.DataFrame({"user_id": [5, 3], "item_id": [10, 20], "rating": [4, 2]})
    data = ratings_from_tables(ratings, pd.DataFrame({"user_id": [3, 5]}), pd.DataFrame({"item_id": [20, 10]}))
    assert data.users.tolist() == [1, 0] and data.items.tolist() == [1, 0] and data.n_users == 2


def test_cv_selects_best_and_beats_baselines(planted):
    points = [{"num_iter": 60, "lr": 0.01, "reg": 0.05, "init_stdev": 0.1},
              {"num_iter": 2, "lr": 0.001, "reg": 0.05, "init_stdev": 0.1}]
    cv = pd.concat([cv_points(planted, "sgd", points, latent_dim=3, folds=3, seed=1),
                    cv_points(planted, "mcmc", [{"num_iter": 40, "init_stdev": 0.5}], latent_dim=3, folds=3, seed=1)])
    assert len(cv) == 3 and set(cv["method"]) == {"sgd", "mcmc"}
    baselines = baselines_cv(planted, folds=3, seed=1).set_index("model")["rmse_mean"]
    selection = select_point(cv, "best")
    assert selection["env_rmse_mean"] == cv["env_rmse_mean"].min()
    assert selection["env_rmse_mean"] < 0.6 * baselines["global mean"]
    sgd = cv[cv["method"] == "sgd"]
    np.testing.assert_allclose(sgd["rmse_mean"], sgd["env_rmse_mean"], rtol=1e-12)  # SGD: one number
    assert baselines["user + item biases"] < baselines["global mean"]
    assert select_point(cv, "sgd")["method"] == "sgd"
    table = fit_table(cv, baselines_cv(planted, folds=3, seed=1), selection)
    assert (table["selected"] == "yes").sum() == 1
    assert "fit_seconds" not in table.columns and {"rmse_mean", "env_rmse_mean"} <= set(table.columns)
    assert timing_table(cv[["method", "num_iter", "lr", "reg", "init_stdev", "latent_dim", "fit_seconds"]]
                        )["fit_seconds"].notna().all()
    model = fit_selected(planted, selection, seed=1)
    assert model.user_factors.shape == (planted.n_users, 3)


def test_sgd_global_bias_is_not_shrunk(planted):
    model = fit_point(planted, slice(None), "sgd", {"num_iter": 50, "lr": 0.01, "reg": 0.1, "init_stdev": 0.1}, 3, 0)
    assert abs(model.global_bias - planted.ratings.mean()) < 0.15
    assert abs(model.user_bias.mean()) < 0.15 and abs(model.item_bias.mean()) < 0.15


def test_select_unknown_method_is_explained(planted):
    cv = cv_points(planted, "mcmc", [{"num_iter": 5, "init_stdev": 0.5}], latent_dim=2, folds=2, seed=1)
    with pytest.raises(ValueError, match="fit.ml100k.method='sgd'"):
        select_point(cv, "sgd")


def test_kfold_indices_partition():
    splits = kfold_indices(103, 5, seed=0)
    tests = np.concatenate([test for _, test in splits])
    assert sorted(tests.tolist()) == list(range(103))
    for train, test in splits:
        assert len(np.intersect1d(train, test)) == 0 and len(train) + len(test) == 103
        assert len(test) in (20, 21)
    assert all(np.array_equal(a[1], b[1]) for a, b in zip(splits, kfold_indices(103, 5, seed=0)))
    with pytest.raises(ValueError):
        kfold_indices(3, 5, seed=0)


@pytest.fixture(scope="module")
def standin(tmp_path_factory) -> Ratings:
    """A small synthetic ML-100K (the pipeline's stand-in generator), as rating arrays."""
    files = write_ml100k(tmp_path_factory.mktemp("ml100k"), seed=5, n_users=150, n_items=250, n_ratings=8000)
    raw = pd.read_csv(files["u.data"], sep="\t", names=["user", "item", "rating", "time"])
    _, users = np.unique(raw["user"], return_inverse=True)
    _, items = np.unique(raw["item"], return_inverse=True)
    return Ratings(users, items, raw["rating"].to_numpy(float), int(users.max()) + 1, int(items.max()) + 1)


def test_mcmc_is_scored_as_libfm_predicts_and_as_its_last_sample(standin):
    """``rmse_*``: libFM's posterior-averaged predictions of the test pairs; ``env_rmse_*``: the extracted
    (last-sample) parameters, clipped to [1, 5], as the environment would use them."""
    data, point = standin, {"num_iter": 40, "init_stdev": 0.5}
    cv = cv_points(data, "mcmc", [point], latent_dim=4, folds=2, seed=3).iloc[0]
    averaged, last_sample = [], []
    for train, test in kfold_indices(len(data), 2, seed=3):
        model, predicted = fit_predict_libfm(
            data.users[train], data.items[train], data.ratings[train], data.n_users, data.n_items,
            method="mcmc", dim=4, seed=3, reg=0.1, pred_users=data.users[test], pred_items=data.items[test], **point)
        averaged.append(rmse(predicted, data.ratings[test]))
        last_sample.append(rmse(model.predict(data.users[test], data.items[test], clip=RATING_RANGE),
                                data.ratings[test]))
    assert cv["rmse_mean"] == pytest.approx(np.mean(averaged), rel=1e-12)
    assert cv["rmse_std"] == pytest.approx(np.std(averaged), rel=1e-9, abs=1e-12)
    assert cv["env_rmse_mean"] == pytest.approx(np.mean(last_sample), rel=1e-12)
    assert cv["rmse_mean"] < cv["env_rmse_mean"] - 0.05  # the average beats a single posterior draw


def test_selection_is_by_the_environment_rmse():
    """MCMC's averaged prediction is best, but its environment (one sample) is worse than SGD's: SGD wins."""
    cv = pd.DataFrame([
        {"method": "sgd", "num_iter": 100, "lr": 0.005, "reg": 0.1, "init_stdev": 0.1, "latent_dim": 8,
         "rmse_mean": 0.93, "rmse_std": 0.01, "env_rmse_mean": 0.93, "env_rmse_std": 0.01, "folds": 5},
        {"method": "mcmc", "num_iter": 100, "lr": np.nan, "reg": np.nan, "init_stdev": 0.5, "latent_dim": 8,
         "rmse_mean": 0.90, "rmse_std": 0.01, "env_rmse_mean": 1.08, "env_rmse_std": 0.02, "folds": 5},
        {"method": "mcmc", "num_iter": 100, "lr": np.nan, "reg": np.nan, "init_stdev": 0.1, "latent_dim": 8,
         "rmse_mean": 0.91, "rmse_std": 0.01, "env_rmse_mean": 1.05, "env_rmse_std": 0.02, "folds": 5},
    ])
    best = select_point(cv, "best")
    assert best["method"] == "sgd" and best["env_rmse_mean"] == 0.93
    assert select_point(cv, "mcmc")["init_stdev"] == 0.1  # the better last sample, not the better average
    baselines = pd.DataFrame([{"model": "global mean", "rmse_mean": 1.12, "rmse_std": 0.01, "folds": 5}])
    table = fit_table(cv, baselines, best)
    assert table["model"].tolist() == ["global mean", "libFM SGD", "libFM MCMC", "libFM MCMC"]
    assert table["selected"].tolist() == ["", "yes", "", ""]
    assert table.loc[0, "env_rmse_mean"] == 1.12  # a baseline's parameters are its predictions
