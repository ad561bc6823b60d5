"""The ml-100k environment fit: CV over grid points, baselines on the same folds, selection, refit."""

import numpy as np
import pandas as pd
import pytest

from recdyn.ratings import Ratings, kfold_indices, ratings_from_tables

from recdyn.fit.environment import (
    baselines_cv, cv_points, fit_point, fit_selected, fit_table, select_point,
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
    assert selection["rmse_mean"] == cv["rmse_mean"].min()
    assert selection["rmse_mean"] < 0.6 * baselines["global mean"]
    assert baselines["user + item biases"] < baselines["global mean"]
    assert select_point(cv, "sgd")["method"] == "sgd"
    table = fit_table(cv, baselines_cv(planted, folds=3, seed=1), selection)
    assert (table["selected"] == "yes").sum() == 1
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
