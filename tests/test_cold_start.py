"""Issue 23: every rating recommender predicts a documented fallback for a never-rated user and a
never-rated item (finite, inside the rating range), and its ``predict`` stays on the rating scale;
the RecLab configuration keeps the thesis code's behaviour where it differs."""

from __future__ import annotations

import numpy as np
import pytest

from recdyn.ratings import Ratings
from recdyn.recommenders import make_recommender
from recdyn.recommenders.defaults import RECLAB_DEFAULTS, named_defaults, with_defaults
from recdyn.recommenders.scale import TrainingProfile

N_USERS, N_ITEMS = 40, 30
COLD_USER, COLD_ITEM = N_USERS - 1, N_ITEMS - 1

# Small, fast settings of each rating recommender (their fallbacks do not depend on them).
FAST = {
    "user_knn": {},
    "item_knn": {},
    "sgd-mf": {"dim": 4, "num_iter": 20},
    "bayes-mf": {"dim": 4, "num_iter": 20},
    "llorma": {"n_anchors": 3, "rank": 3, "epochs": 4, "pre_rank": 3, "pre_iters": 10},
    "autorec": {"hidden_units": 8, "epochs": 3},
    "cfnade": {"hidden_units": 8, "epochs": 2},
}


@pytest.fixture(scope="module")
def data() -> Ratings:
    """Planted rank-2 ratings on 1..5 (rounded), without any rating of COLD_USER or COLD_ITEM."""
    rng = np.random.default_rng(23)
    p, q = rng.normal(size=(N_USERS, 2)), rng.normal(size=(N_ITEMS, 2))
    users, items = np.meshgrid(np.arange(N_USERS - 1), np.arange(N_ITEMS - 1), indexing="ij")
    keep = rng.random(users.shape) < 0.5
    users, items = users[keep], items[keep]
    ratings = np.clip(np.rint(3 + (p[users] * q[items]).sum(axis=1) + rng.normal(0, 0.3, users.size)), 1, 5)
    return Ratings(users.astype(np.int64), items.astype(np.int64), ratings, N_USERS, N_ITEMS)


def expected_fallback(name: str, model, data: Ratings, users: np.ndarray, items: np.ndarray) -> np.ndarray:
    """The fallback each module documents for cold pairs."""
    if name in ("user_knn", "item_knn", "autorec", "cfnade"):  # the global mean (Surprise; NNRec/RecLab)
        return np.full(users.shape, float(np.clip(data.ratings.mean(), 1, 5)))
    if name == "llorma":
        profile = TrainingProfile.of(data.users, data.items, data.ratings, N_USERS, N_ITEMS)
        return np.clip(profile.fallback(users, items), 1, 5)
    if name == "sgd-mf":  # the bias terms: w0 + b_u (cold item) or w0 + b_i (cold user), clipped
        m = model.model
        return np.clip(m.global_bias + m.user_bias[users] + m.item_bias[items], 1, 5)
    if name == "bayes-mf":  # libFM's average over samples of the clipped bias-only prediction
        s = model.samples
        per_sample = np.clip(s.global_bias[:, None] + s.user_bias[:, users] + s.item_bias[:, items], 1, 5)
        return np.clip(per_sample.mean(axis=0), 1, 5)
    raise AssertionError(name)


@pytest.mark.parametrize("name", sorted(FAST))
def test_cold_users_and_items_get_the_documented_fallback(name, data):
    model = make_recommender(name, seed=3, **FAST[name]).fit(data)
    users = np.array([COLD_USER, COLD_USER, 0, 5, 10])
    items = np.array([0, COLD_ITEM, COLD_ITEM, COLD_ITEM, 3])
    pred = model.predict(users, items)
    assert np.all(np.isfinite(pred)) and pred.min() >= 1.0 and pred.max() <= 5.0
    cold = np.array([True, True, True, True, False])
    np.testing.assert_allclose(pred[cold], expected_fallback(name, model, data, users[cold], items[cold]),
                               rtol=0, atol=1e-9)
    # Rankings place a cold item by its fallback score too (score_users agrees with predict there).
    rows = model.score_users(np.array([0, 5]))
    np.testing.assert_allclose(np.clip(rows[:, COLD_ITEM], 1, 5), pred[2:4], rtol=0, atol=1e-9)
    # Predictions of every pair are on the rating scale.
    everything = model.predict(np.repeat(np.arange(N_USERS), N_ITEMS), np.tile(np.arange(N_ITEMS), N_USERS))
    assert everything.min() >= 1.0 and everything.max() <= 5.0


def test_reclab_configuration_keeps_libfm_random_factors_for_cold_items(data):
    """RecLab (``cold_fallback=False``): a cold item keeps its random initial factors (init 1.0), so
    its predictions vary by user; with the fallback they are w0 + b_u."""
    reclab = make_recommender("sgd-mf", seed=3, **{**RECLAB_DEFAULTS["sgd-mf"], **FAST["sgd-mf"]}).fit(data)
    assert np.abs(reclab.model.item_factors[COLD_ITEM]).max() > 0.1
    fallback = make_recommender("sgd-mf", seed=3, **{**RECLAB_DEFAULTS["sgd-mf"], **FAST["sgd-mf"],
                                                     "cold_fallback": True}).fit(data)
    assert np.all(fallback.model.item_factors[COLD_ITEM] == 0) and fallback.model.item_bias[COLD_ITEM] == 0
    warm = np.arange(N_USERS - 1)
    np.testing.assert_array_equal(reclab.predict(warm, warm % (N_ITEMS - 1)),
                                  fallback.predict(warm, warm % (N_ITEMS - 1)))


def test_named_configurations():
    assert named_defaults("library", "llorma") == {}
    assert named_defaults("reclab", "sgd-mf")["init_stdev"] == 1.0
    assert with_defaults("reclab", "item_knn", {"neighborhood_size": 50}) == {
        **RECLAB_DEFAULTS["item_knn"], "neighborhood_size": 50}
    with pytest.raises(ValueError, match="unknown defaults configuration"):
        named_defaults("surprise", "llorma")
    for name, params in RECLAB_DEFAULTS.items():  # every RecLab value is a constructor keyword
        if name != "oracle":  # (the Oracle needs an environment and has no hyperparameters)
            make_recommender(name, **params)


def test_training_profile_fallbacks():
    profile = TrainingProfile.of(np.array([0, 0, 1]), np.array([0, 1, 0]), np.array([1.0, 3.0, 5.0]), 3, 3)
    assert (profile.low, profile.high, profile.global_mean) == (1.0, 5.0, 3.0)
    # cold item 2 for user 0 -> user mean 2; cold user 2 for item 0 -> item mean 3; both -> 3
    np.testing.assert_array_equal(profile.fallback(np.array([0, 2, 2]), np.array([2, 0, 2])), [2.0, 3.0, 3.0])
    rows = profile.apply_to_rows(np.array([0, 2]), np.full((2, 3), 9.0))
    np.testing.assert_array_equal(rows, [[5.0, 5.0, 2.0], [3.0, 3.0, 3.0]])
    with pytest.raises(ValueError, match="rating_range"):
        TrainingProfile.of(np.array([0]), np.array([0]), np.array([1.0]), 1, 1, rating_range=(5, 1))
