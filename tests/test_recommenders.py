"""Recommender API (recdyn.recommenders): top-k with exclusion and tie-breaking, baselines, registry."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp

from recdyn.envs.base import Environment
from recdyn.ratings import Ratings
from recdyn.recommenders import (available_recommenders, make_recommender, recommender_class,
                                 register_recommender)
from recdyn.recommenders.base import Recommender, top_k
from recdyn.recommenders.baselines import Oracle, Random, TopPop


class ToyEnv(Environment):
    """Fixed true-rating matrix; observed rating = truth + N(0, noise^2), clipped to [1, 5]."""

    name = "toy"

    def __init__(self, truth: np.ndarray, *, noise: float = 0.0, online_users: int = 2,
                 initial_ratings: int = 4) -> None:
        super().__init__(n_users=truth.shape[0], n_items=truth.shape[1], online_users=online_users,
                         initial_ratings=initial_ratings)
        self.truth, self.noise = np.asarray(truth, dtype=float), noise

    def _init_state(self, rng):
        self._h_truth = self.truth.copy()

    def _expected(self, users, items):
        return self._h_truth[users, items]

    def _rate(self, users, items, rng):
        noisy = self._h_truth[users, items] + self.noise * rng.standard_normal(len(users))
        return np.clip(noisy, 1, 5)


class Fixed(Recommender):
    """Scores from a fixed matrix, through predict only (exercises the default score_users)."""

    name = "fixed"

    def __init__(self, matrix, seed=0):
        super().__init__(seed=seed)
        self.matrix = np.asarray(matrix, dtype=float)

    def predict(self, users, items):
        return self.matrix[np.asarray(users), np.asarray(items)]


def ratings(users, items, values, n_users, n_items):
    return Ratings(np.asarray(users), np.asarray(items), np.asarray(values, dtype=float), n_users, n_items)


# ---- top-k and recommend ------------------------------------------------------------------------
def test_top_k_order_and_ties():
    scores = np.array([[1.0, 3.0, 3.0, 2.0],
                       [5.0, 1.0, 1.0, 1.0],
                       [0.0, 0.0, 0.0, 0.0]])
    assert top_k(scores.copy(), 2).tolist() == [[1, 2], [0, 1], [0, 1]]
    assert top_k(scores.copy(), 4).tolist() == [[1, 2, 3, 0], [0, 1, 2, 3], [0, 1, 2, 3]]
    assert top_k(scores.copy(), 1).tolist() == [[1], [0], [0]]


def test_top_k_excludes_and_handles_infinite_scores():
    scores = np.array([[-np.inf, 3.0, -np.inf, 2.0]])
    excluded = np.array([[False, True, False, True]])
    # Eligible items 0 and 2 both score -inf: still recommended (ties: lower index first),
    # never an excluded item.
    assert top_k(scores.copy(), 2, excluded).tolist() == [[0, 2]]
    with pytest.raises(ValueError, match="eligible"):
        top_k(scores.copy(), 3, excluded)
    with pytest.raises(ValueError):
        top_k(np.array([[np.nan, 1.0]]), 1)


def test_recommend_with_sparse_and_dense_exclude():
    matrix = np.array([[1.0, 4.0, 4.0, 2.0, 0.5],
                       [3.0, 3.0, 1.0, 5.0, 3.0],
                       [2.0, 2.0, 2.0, 2.0, 2.0]])
    rec = Fixed(matrix).fit(ratings([0], [0], [3.0], 3, 5))
    assert rec.score_users(np.array([2, 0])).tolist() == [matrix[2].tolist(), matrix[0].tolist()]
    assert rec.recommend(np.array([0, 1, 2]), k=2).tolist() == [[1, 2], [3, 0], [0, 1]]
    dense = np.zeros((3, 5), dtype=bool)
    dense[0, 1] = dense[1, [3, 0]] = dense[2, 0] = True
    for exclude in (dense, sp.csr_matrix(dense), sp.csr_array(dense)):
        assert rec.recommend(np.array([0, 1, 2]), k=2, exclude=exclude).tolist() == [[2, 3], [1, 4], [1, 2]]
    # Rows follow the order of the users argument.
    assert rec.recommend(np.array([2, 0]), k=1, exclude=dense).tolist() == [[1], [2]]


def test_compiled_one_item_path_is_top_k():
    """recommend(k=1) with a dense boolean mask (the online protocol's call) reads the mask in
    place through a compiled kernel: the same items as top_k on every case top_k handles."""
    rng = np.random.default_rng(3)
    matrix = rng.integers(0, 4, size=(30, 12)).astype(float)  # many exact ties
    matrix[rng.random(matrix.shape) < 0.1] = -np.inf
    matrix[rng.random(matrix.shape) < 0.05] = np.inf
    matrix[4] = -np.inf  # a row of -inf only: its first eligible item
    matrix[5, :3] = np.finfo(np.float64).min  # the lowest finite value ties with -inf
    rec = Fixed(matrix).fit(ratings([0], [0], [3.0], 30, 12))
    mask = rng.random((30, 12)) < 0.3
    mask[7, :11] = True  # one eligible item left
    users = rng.permutation(30)
    expected = top_k(matrix[users].copy(), 1, mask[users])
    np.testing.assert_array_equal(rec.recommend(users, k=1, exclude=mask), expected)
    np.testing.assert_array_equal(rec.recommend(users, k=1), top_k(matrix[users].copy(), 1))
    full = mask.copy()
    full[7] = True
    with pytest.raises(ValueError, match="fewer than k=1 eligible"):
        rec.recommend(users, k=1, exclude=full)
    nan = Fixed(np.where(np.eye(30, 12) > 0, np.nan, matrix)).fit(ratings([0], [0], [3.0], 30, 12))
    with pytest.raises(ValueError, match="NaN"):
        nan.recommend(users, k=1, exclude=mask)
    from recdyn.recommenders.top_one import best_eligible
    with pytest.raises(IndexError, match="mask rows"):  # the kernel never reads outside the mask
        best_eligible(matrix[:2], mask, np.array([0, 30]))
    with pytest.raises(IndexError):  # a user without a mask row: numpy's error, no read out of bounds
        Fixed(np.ones((40, 12))).fit(ratings([0], [0], [3.0], 40, 12)).recommend(np.array([35]), exclude=mask)


def test_default_predict_and_score_users_agree():
    class Dense(Recommender):
        def score_users(self, users):
            return np.outer(np.asarray(users) + 1.0, np.arange(self.n_items) + 1.0)

    rec = Dense().fit(ratings([0], [0], [3.0], 4, 6))
    users, items = np.array([3, 0, 3, 2]), np.array([5, 1, 0, 4])
    assert rec.predict(users, items).tolist() == [24.0, 2.0, 4.0, 15.0]

    class Neither(Recommender):
        pass

    with pytest.raises(NotImplementedError):
        Neither().fit(ratings([0], [0], [3.0], 2, 2)).predict(np.array([0]), np.array([1]))
    with pytest.raises(RuntimeError):
        Fixed(np.ones((2, 2))).recommend(np.array([0]))


# ---- baselines ------------------------------------------------------------------------------------
def test_toppop_unseen_items_get_global_mean_of_observed_ratings():
    # Item 0: ratings 4, 5; item 1: rating 2; item 2: never rated. 2 users x 3 items.
    data = ratings([0, 1, 0], [0, 0, 1], [4.0, 5.0, 2.0], 2, 3)
    rec = TopPop().fit(data)
    global_mean = 11.0 / 3.0
    assert rec.predict(np.array([0, 1, 1]), np.array([0, 1, 2])) == pytest.approx([4.5, 2.0, global_mean])
    # A mean that counts missing cells as zeros would give 11 / 6 for the unseen item.
    assert rec.item_scores[2] != pytest.approx(11.0 / 6.0)
    assert rec.recommend(np.array([0, 1]), k=3).tolist() == [[0, 2, 1], [0, 2, 1]]
    assert rec.score_users(np.array([1])).shape == (1, 3)
    with pytest.raises(ValueError):
        TopPop().fit(ratings([], [], [], 2, 3))


def test_random_is_uniform_on_rating_range_and_seeded():
    data = ratings([0], [0], [3.0], 50, 200)
    a, b = Random(seed=1).fit(data), Random(seed=2).fit(data)
    dense = a.score_users(np.arange(50))
    assert dense.shape == (50, 200)
    assert dense.min() >= 1.0 and dense.max() < 5.0
    assert dense.mean() == pytest.approx(3.0, abs=0.05)
    assert np.histogram(dense, bins=4, range=(1, 5))[0] / dense.size == pytest.approx([0.25] * 4, abs=0.01)
    users, items = np.array([3, 49, 0]), np.array([7, 199, 0])
    assert a.predict(users, items).tolist() == dense[users, items].tolist()
    assert np.array_equal(Random(seed=1).fit(data).score_users(np.arange(50)), dense)
    assert not np.array_equal(b.score_users(np.arange(50)), dense)
    # Refit (from scratch, same seed) gives the same predictions: a fit depends on seed and data only.
    assert np.array_equal(a.fit(data).score_users(np.arange(50)), dense)


def test_random_score_table_is_the_hash_and_follows_the_shape(monkeypatch):
    """The kept score table gives the scores hashed cell by cell, before and after a refit to
    another shape; above RANDOM_TABLE_CELLS the rows are hashed on demand (same numbers)."""
    import recdyn.recommenders.baselines as baselines

    rec = Random(seed=4).fit(ratings([0], [0], [3.0], 30, 40))
    users = np.array([29, 0, 7, 7])
    kept = rec.score_users(users)
    hashed = rec.predict(np.repeat(users, 40), np.tile(np.arange(40), users.size)).reshape(users.size, 40)
    assert np.array_equal(kept, hashed)
    rec.fit(ratings([0], [0], [3.0], 31, 45))
    assert rec.score_users(np.array([30])).shape == (1, 45)
    monkeypatch.setattr(baselines, "RANDOM_TABLE_CELLS", 0)
    assert np.array_equal(Random(seed=4).fit(ratings([0], [0], [3.0], 30, 40)).score_users(users), kept)


def test_oracle_picks_argmax_of_true_ratings():
    rng = np.random.default_rng(3)
    truth = rng.uniform(1, 5, (6, 9))
    env = ToyEnv(truth, noise=0.0)
    data = env.reset(0)
    rec = Oracle(env=env).fit(data)
    users = np.arange(6)
    assert rec.recommend(users, k=1)[:, 0].tolist() == truth.argmax(axis=1).tolist()
    assert rec.recommend(users, k=3).tolist() == np.argsort(-truth, axis=1)[:, :3].tolist()
    assert rec.predict(np.array([2, 5]), np.array([1, 8])).tolist() == [truth[2, 1], truth[5, 8]]
    # Greedy with exclusion: the best item not yet excluded.
    exclude = np.zeros((6, 9), dtype=bool)
    exclude[users, truth.argmax(axis=1)] = True
    second = np.argsort(-truth, axis=1)[:, 1]
    assert rec.recommend(users, k=1, exclude=exclude)[:, 0].tolist() == second.tolist()


# ---- registry -------------------------------------------------------------------------------------
def test_registry(monkeypatch):
    import recdyn.recommenders as registry

    monkeypatch.setattr(registry, "REGISTRY", dict(registry.REGISTRY))  # keep the global clean
    assert {"random", "oracle", "toppop"} <= set(available_recommenders())
    assert isinstance(make_recommender("toppop", seed=3), TopPop)
    assert make_recommender("random", seed=5, low=0.0, high=1.0).hyperparameters == {"low": 0.0, "high": 1.0}
    env = ToyEnv(np.full((3, 4), 3.0))
    assert make_recommender("oracle", env=env).env is env
    assert recommender_class("toppop") is TopPop
    with pytest.raises(KeyError, match="unknown recommender"):
        make_recommender("no-such-recommender")
    register_recommender("test-fixed", Fixed)
    assert isinstance(make_recommender("test-fixed", matrix=np.ones((2, 2))), Fixed)
    with pytest.raises(ValueError):
        register_recommender("test-fixed", TopPop)
