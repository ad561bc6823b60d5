"""ItemKNN / UserKNN (recdyn.recommenders.knn) and EASE (recdyn.recommenders.ease):
hand-computed neighbourhood averages, a naive reference, fallbacks, the closed form, and
held-out comparisons with the item-mean baseline on a planted low-rank problem."""

from __future__ import annotations

import importlib
import importlib.util
import math
from pathlib import Path

import numpy as np
import pytest

from recdyn.metrics import ndcg_at_k, rmse
from recdyn.ratings import Ratings, kfold_indices
from recdyn.recommenders import knn as knn_module
from recdyn.recommenders.baselines import TopPop
from recdyn.recommenders.ease import EASE, ease_weights
from recdyn.recommenders import knn
from recdyn.recommenders.defaults import RECLAB_DEFAULTS


# The hand-computed cases below follow RecLab's semantics (raw cosine, 250 neighbours, no
# clipping): the thesis' configuration. The library defaults are tested at the end.
def UserKNN(**params):  # noqa: N802 - stands in for the class
    return knn.UserKNN(**{**RECLAB_DEFAULTS["user_knn"], **params})


def ItemKNN(**params):  # noqa: N802
    return knn.ItemKNN(**{**RECLAB_DEFAULTS["item_knn"], **params})


UserKNN.predicts_ratings = ItemKNN.predicts_ratings = True
ROOT = Path(__file__).resolve().parents[1]


def ratings(triples, n_users, n_items) -> Ratings:
    u, i, r = (np.array(x) for x in zip(*triples))
    return Ratings(u.astype(np.int64), i.astype(np.int64), r.astype(float), n_users, n_items)


# ---- hand-computed ----------------------------------------------------------------------------
# u0: i0=4, i1=2           (mean 3)
# u1: i0=5, i1=1, i2=4     (mean 10/3)
# u2: i0=1, i1=5, i2=2     (mean 8/3)
TINY = ratings([(0, 0, 4), (0, 1, 2), (1, 0, 5), (1, 1, 1), (1, 2, 4), (2, 0, 1), (2, 1, 5), (2, 2, 2)], 3, 3)


def test_user_knn_hand_computed():
    # Raw cosine over full vectors (RecLab): |u0|^2 = 20, |u1|^2 = 42, |u2|^2 = 30.
    s01, s02 = 22 / math.sqrt(20 * 42), 14 / math.sqrt(20 * 30)
    dev1, dev2 = 4 - 10 / 3, 2 - 8 / 3  # neighbours' centred ratings of i2
    k1 = UserKNN(neighborhood_size=1).fit(TINY)
    assert k1.predict(np.array([0]), np.array([2]))[0] == pytest.approx(3 + dev1)  # u1 only
    k2 = UserKNN(neighborhood_size=2).fit(TINY)
    expected = 3 + (s01 * dev1 + s02 * dev2) / (s01 + s02)
    assert k2.predict(np.array([0]), np.array([2]))[0] == pytest.approx(expected)
    # Shrinkage (RecLab): <x, y> / (|x| |y| + shrinkage).
    t01, t02 = 22 / (math.sqrt(20 * 42) + 10), 14 / (math.sqrt(20 * 30) + 10)
    shrunk = UserKNN(neighborhood_size=2, shrinkage=10).fit(TINY)
    expected = 3 + (t01 * dev1 + t02 * dev2) / (t01 + t02)
    assert shrunk.predict(np.array([0]), np.array([2]))[0] == pytest.approx(expected)
    assert shrunk.score_users(np.array([0]))[0, 2] == pytest.approx(expected)
    assert shrunk.similarity_matrix[0, 1] == pytest.approx(t01)
    assert np.all(np.diag(shrunk.similarity_matrix) == 0)


def test_item_knn_hand_computed():
    # Items as vectors over users: i0 = (4, 5, 1), i1 = (2, 1, 5), i2 = (0, 4, 2); item means
    # 10/3, 8/3, 3. Predict (u0, i2) from the items u0 rated (i0, i1).
    s20, s21 = (20 + 2) / math.sqrt(20 * 42), (4 + 10) / math.sqrt(20 * 30)
    dev0, dev1 = 4 - 10 / 3, 2 - 8 / 3  # u0's centred ratings of i0, i1
    k2 = ItemKNN(neighborhood_size=2).fit(TINY)
    expected = 3 + (s20 * dev0 + s21 * dev1) / (s20 + s21)
    assert k2.predict(np.array([0]), np.array([2]))[0] == pytest.approx(expected)
    assert k2.score_users(np.array([0]))[0, 2] == pytest.approx(expected)
    k1 = ItemKNN(neighborhood_size=1).fit(TINY)
    assert k1.predict(np.array([0]), np.array([2]))[0] == pytest.approx(3 + dev0)  # i0 only
    # Pearson: centred item vectors over the users who rated them (missing = 0).
    c = {0: np.array([4, 5, 1]) - 10 / 3, 1: np.array([2, 1, 5]) - 8 / 3, 2: np.array([0, 4 - 3, 2 - 3])}
    p = {j: c[2] @ c[j] / (np.linalg.norm(c[2]) * np.linalg.norm(c[j])) for j in (0, 1)}
    assert p[0] > 0 > p[1]  # the negatively correlated item i1 is ignored (Surprise: sim > 0 only)
    pearson = ItemKNN(neighborhood_size=2, similarity="pearson").fit(TINY)
    assert pearson.predict(np.array([0]), np.array([2]))[0] == pytest.approx(3 + dev0)


# ---- a naive reference (loops; Surprise's KNNWithMeans.estimate with RecLab's similarity) ------
def reference(data: Ratings, *, user_based, k, shrinkage=0.0, similarity="cosine", min_k=1,
              pool="raters") -> np.ndarray:
    dense = np.full((data.n_users, data.n_items), np.nan)
    dense[data.users, data.items] = data.ratings
    x = dense if user_based else dense.T  # rows: targets
    n, n_other = x.shape
    global_mean = float(np.mean(data.ratings))
    seen = ~np.isnan(x)
    mu = np.array([x[t][seen[t]].mean() if seen[t].any() else global_mean for t in range(n)])
    feats = np.where(seen, x - mu[:, None] if similarity == "pearson" else x, 0.0)
    sim = np.zeros((n, n))
    for a in range(n):
        for b in range(n):
            den = np.linalg.norm(feats[a]) * np.linalg.norm(feats[b]) + shrinkage
            sim[a, b] = 0.0 if a == b or den == 0 else max(0.0, feats[a] @ feats[b] / den)
    pred = np.empty((n, n_other))
    for t in range(n):
        for o in range(n_other):
            if not seen[t].any() or not seen[:, o].any():
                pred[t, o] = global_mean
                continue
            if pool == "raters":
                cands = sorted((v for v in range(n) if seen[v, o]), key=lambda v: -sim[t, v])[:k]
            else:
                cands = [v for v in sorted(range(n), key=lambda v: -sim[t, v])[:k] if seen[v, o]]
            used = [v for v in cands if sim[t, v] > 0]
            if len(used) < max(min_k, 1):
                pred[t, o] = mu[t]
            else:
                w = np.array([sim[t, v] for v in used])
                pred[t, o] = mu[t] + w @ np.array([x[v, o] - mu[v] for v in used]) / w.sum()
    return pred if user_based else pred.T


def random_ratings(seed, n_users=14, n_items=11, density=0.55) -> Ratings:
    rng = np.random.default_rng(seed)
    mask = rng.random((n_users, n_items)) < density
    mask[-1] = False  # a user without ratings
    mask[:, -1] = False  # an item without ratings
    users, items = np.nonzero(mask)
    return Ratings(users, items, rng.uniform(1, 5, users.size), n_users, n_items)


@pytest.mark.parametrize("cls", [UserKNN, ItemKNN])
@pytest.mark.parametrize("params", [
    dict(neighborhood_size=1),
    dict(neighborhood_size=3),
    dict(neighborhood_size=3, shrinkage=5.0),
    dict(neighborhood_size=4, similarity="pearson"),
    dict(neighborhood_size=4, min_k=3, similarity="pearson"),
    dict(neighborhood_size=100),
    dict(neighborhood_size=3, neighbor_pool="global"),
    dict(neighborhood_size=5, min_k=2, neighbor_pool="global", similarity="pearson"),
])
def test_matches_naive_reference(cls, params):
    data = random_ratings(1)
    model = cls(**params).fit(data)
    expected = reference(data, user_based=cls is UserKNN, k=params["neighborhood_size"],
                         shrinkage=params.get("shrinkage", 0.0),
                         similarity=params.get("similarity", "cosine"),
                         min_k=params.get("min_k", 1), pool=params.get("neighbor_pool", "raters"))
    users = np.arange(data.n_users)
    np.testing.assert_allclose(model.score_users(users), expected, rtol=1e-10, atol=1e-10)
    uu, ii = np.meshgrid(users, np.arange(data.n_items), indexing="ij")
    np.testing.assert_allclose(model.predict(uu.ravel(), ii.ravel()), expected.ravel(),
                               rtol=1e-10, atol=1e-10)


@pytest.mark.parametrize("cls", [UserKNN, ItemKNN])
def test_chunked_top_k_and_ties(cls, monkeypatch):
    """Tiny gather chunks (many chunks, one cell each) and exactly tied similarities."""
    monkeypatch.setattr(knn_module, "_GATHER_CELLS", 8)
    rng = np.random.default_rng(5)
    dense = rng.integers(1, 6, size=(16, 12)).astype(float)
    dense[3] = dense[2]  # identical rows: exactly tied similarities
    dense[:, 5] = dense[:, 4]
    mask = rng.random(dense.shape) < 0.7
    mask[3], mask[:, 5] = mask[2], mask[:, 4]
    users, items = np.nonzero(mask)
    data = Ratings(users, items, dense[users, items], *dense.shape)
    model = cls(neighborhood_size=2).fit(data)
    expected = reference(data, user_based=cls is UserKNN, k=2)
    np.testing.assert_allclose(model.score_users(np.arange(16)), expected, rtol=1e-9, atol=1e-9)
    uu, ii = np.nonzero(np.ones(dense.shape))
    np.testing.assert_allclose(model.predict(uu, ii), expected.ravel(), rtol=1e-9, atol=1e-9)


def _bench_knn():
    """benchmarks/bench_knn.py, which keeps the numpy formulation the compiled kernel replaced."""
    spec = importlib.util.spec_from_file_location("bench_knn", ROOT / "benchmarks" / "bench_knn.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("k", [1, 3, 7, 19])
def test_compiled_top_k_weights_match_the_numpy_formulation_bit_for_bit(k):
    from recdyn.recommenders.knn_top_k import gather_keys, keys_of, top_k_weights
    rng = np.random.default_rng(k)
    n_targets, m = 40, 20
    sim = rng.random((n_targets, n_targets + 1))
    sim[rng.random(sim.shape) < 0.3] = 0.0  # zero similarities (distinct negative keys)
    sim[:, 5] = sim[:, 6]  # exact ties
    sim[:, 7] = np.nextafter(sim[:, 8], 2.0)  # ties at float32 resolution only
    sim[3, :] = 0.25  # a row of one value: more than k tie at a positive tau
    sim[:, -1] = 0.0  # the padding column
    idx = rng.integers(0, n_targets + 1, size=(9, m))
    idx[2] = n_targets  # a cell of padding only (tau <= 0)
    expected, expected_tau = _bench_knn().numpy_top_k_weights(np.take(sim, idx, axis=1), k)
    weights, keys = gather_keys(np.ascontiguousarray(sim[:, :-1].T), idx)  # S^T, no padding row
    np.testing.assert_array_equal(top_k_weights(weights, keys, k), expected_tau)
    assert weights.tobytes() == expected.tobytes()
    flat = np.take(sim, idx, axis=1).reshape(-1, m).copy()
    np.testing.assert_array_equal(top_k_weights(flat, keys_of(flat), k), expected_tau.ravel())
    assert flat.tobytes() == expected.reshape(-1, m).tobytes()
    assert ((weights > 0).sum(axis=-1) <= k).all()


def test_ties_take_the_lower_index():
    # u1 and u2 have exactly the same similarity to u0 (dot 3, norm^2 30 each) but different
    # ratings of item 2: with k = 1 the lower index (u1) is the neighbour.
    data = ratings([(0, 0, 1), (0, 1, 1),
                    (1, 0, 1), (1, 1, 2), (1, 2, 3), (1, 3, 4),
                    (2, 0, 2), (2, 1, 1), (2, 2, 4), (2, 3, 3)], 3, 4)
    model = UserKNN(neighborhood_size=1).fit(data)
    assert model.similarity_matrix[0, 1] == model.similarity_matrix[0, 2] > 0
    assert model.predict(np.array([0]), np.array([2]))[0] == pytest.approx(1 + (3 - 2.5))
    assert model.score_users(np.array([0]))[0, 2] == pytest.approx(1 + (3 - 2.5))
    both = UserKNN(neighborhood_size=2).fit(data)
    assert both.predict(np.array([0]), np.array([2]))[0] == pytest.approx(1 + (0.5 + 1.5) / 2)


@pytest.mark.parametrize("params", [dict(neighborhood_size=3),
                                    dict(neighborhood_size=2, min_k=2, similarity="pearson"),
                                    dict(neighborhood_size=4, neighbor_pool="global", shrinkage=1.0)])
def test_item_knn_is_user_knn_on_the_transpose(params):
    data = random_ratings(3, n_users=25, n_items=18)
    transposed = Ratings(data.items, data.users, data.ratings, data.n_items, data.n_users)
    item = ItemKNN(**params).fit(data).score_users(np.arange(data.n_users))
    user = UserKNN(**params).fit(transposed).score_users(np.arange(data.n_items))
    np.testing.assert_allclose(item, user.T, rtol=1e-12, atol=1e-12)


# ---- fallbacks ------------------------------------------------------------------------------------
def test_fallbacks():
    # u0, u1 share item 0; u2 rated only item 3, which nobody else rated (no common item:
    # similarity 0 with everyone); u3 and item 4 have no ratings.
    data = ratings([(0, 0, 5), (0, 1, 3), (1, 0, 4), (1, 2, 2), (2, 3, 1)], 4, 5)
    global_mean = 3.0
    for cls in (UserKNN, ItemKNN):
        model = cls().fit(data)
        scores = model.score_users(np.arange(4))
        assert np.all(scores[3] == global_mean)  # unseen user
        assert np.all(scores[:, 4] == global_mean)  # unseen item
        np.testing.assert_allclose(model.predict(np.array([3, 0]), np.array([0, 4])), [global_mean] * 2)
    # UserKNN: u2 has no neighbour with positive similarity -> its own mean (1), not a zero-filled one.
    user = UserKNN().fit(data)
    assert user.predict(np.array([2]), np.array([0]))[0] == pytest.approx(1.0)
    # ... and item 3 was rated by u2 only, who is nobody's neighbour -> the target user's mean.
    assert user.predict(np.array([0]), np.array([3]))[0] == pytest.approx(4.0)
    # ItemKNN: (u2, item 0): u2's only item (3) has no common user with item 0 -> item 0's mean.
    item = ItemKNN().fit(data)
    assert item.predict(np.array([2]), np.array([0]))[0] == pytest.approx(4.5)  # item 0's mean
    # min_k larger than any neighbourhood -> the target mean everywhere it is defined.
    strict = UserKNN(min_k=5).fit(data)
    np.testing.assert_allclose(strict.score_users(np.array([0, 1]))[:, :4], [[4.0] * 4, [3.0] * 4])


def test_repeated_pairs_keep_the_last_rating():
    data = ratings([(0, 0, 1), (0, 1, 2), (1, 0, 5), (0, 0, 5), (1, 1, 4)], 2, 2)
    last = ratings([(0, 1, 2), (1, 0, 5), (0, 0, 5), (1, 1, 4)], 2, 2)
    for cls in (UserKNN, ItemKNN, EASE):
        np.testing.assert_array_equal(cls().fit(data).score_users(np.arange(2)),
                                      cls().fit(last).score_users(np.arange(2)))


def test_validation_and_api():
    for bad in (dict(neighborhood_size=0), dict(shrinkage=-1), dict(similarity="msd"),
                dict(neighbor_pool="nearest"), dict(min_k=-1)):
        with pytest.raises(ValueError):
            UserKNN(**bad)
    with pytest.raises(ValueError):
        EASE(lam=0)
    with pytest.raises(RuntimeError):
        ItemKNN().score_users(np.array([0]))
    assert UserKNN.predicts_ratings and ItemKNN.predicts_ratings and not EASE.predicts_ratings
    assert knn.UserKNN().hyperparameters == dict(neighborhood_size=40, shrinkage=0.0, similarity="pearson",
                                                 min_k=1, neighbor_pool="raters", centering="baseline", clip=True)
    assert UserKNN().hyperparameters == dict(neighborhood_size=250, shrinkage=0.0, similarity="cosine",
                                             min_k=1, neighbor_pool="raters", centering="mean", clip=False)
    assert EASE().hyperparameters == dict(lam=5000.0, binarize=False)
    for target in ("recdyn.recommenders.knn:UserKNN", "recdyn.recommenders.knn:ItemKNN",
                   "recdyn.recommenders.ease:EASE"):
        module, _, attr = target.partition(":")
        assert issubclass(getattr(importlib.import_module(module), attr), knn_module.Recommender)


# ---- EASE -----------------------------------------------------------------------------------------
@pytest.mark.parametrize("binarize", [False, True])
def test_ease_closed_form(binarize):
    data = random_ratings(2, n_users=30, n_items=12)
    lam = 7.5
    model = EASE(lam=lam, binarize=binarize).fit(data)
    x = np.zeros((data.n_users, data.n_items))
    x[data.users, data.items] = 1.0 if binarize else data.ratings
    p = np.linalg.inv(x.T @ x + lam * np.eye(data.n_items))
    b = np.eye(data.n_items) - p @ np.diag(1 / np.diag(p))
    np.testing.assert_allclose(np.diag(b), 0, atol=1e-12)
    np.testing.assert_allclose(model.weights, b, rtol=1e-9, atol=1e-12)
    assert np.all(np.diag(model.weights) == 0)
    users = np.arange(data.n_users)
    np.testing.assert_allclose(model.score_users(users), x @ b, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(model.predict(np.array([0, 5]), np.array([3, 1])), (x @ b)[[0, 5], [3, 1]])
    # The minimiser of ||X - XB||^2 + lam ||B||^2 with diag(B) = 0 (Steck): each column's
    # off-diagonal part solves its own ridge regression.
    j = 4
    others = np.delete(np.arange(data.n_items), j)
    col = np.linalg.solve(x[:, others].T @ x[:, others] + lam * np.eye(others.size), x[:, others].T @ x[:, j])
    np.testing.assert_allclose(model.weights[others, j], col, rtol=1e-8, atol=1e-12)
    np.testing.assert_allclose(ease_weights(x.T @ x, lam), b, rtol=1e-9, atol=1e-12)


# ---- held-out comparisons with the item-mean baseline --------------------------------------------
def planted(seed, n_users=200, n_items=100, rank=3, density=0.5, noise=0.3) -> Ratings:
    rng = np.random.default_rng(seed)
    truth = 3 + rng.normal(size=(n_users, rank)) @ rng.normal(size=(rank, n_items)) / np.sqrt(rank)
    users, items = np.nonzero(rng.random((n_users, n_items)) < density)
    observed = np.clip(truth[users, items] + noise * rng.normal(size=users.size), 1, 5)
    return Ratings(users, items, observed, n_users, n_items)


@pytest.fixture(scope="module")
def split():
    data = planted(0)
    train_idx, test_idx = kfold_indices(len(data), 5, seed=0)[0]
    return data.subset(train_idx), data.subset(test_idx)


def _heldout(model, split):
    train, test = split
    pred = model.fit(train).predict(test.users, test.items)
    return rmse(pred, test.ratings), ndcg_at_k(test.users, test.items, test.ratings, pred, 20)


def test_knn_beats_item_means_in_rmse(split):
    base_rmse, _ = _heldout(TopPop(), split)
    for cls in (UserKNN, ItemKNN):
        assert _heldout(cls(), split)[0] < base_rmse  # the RecLab setting (k=250 > n: all raters)
        assert _heldout(cls(neighborhood_size=30), split)[0] < base_rmse - 0.02
        assert _heldout(cls(similarity="pearson"), split)[0] < base_rmse - 0.2


def test_ease_beats_item_means_in_ndcg(split):
    _, base_ndcg = _heldout(TopPop(), split)
    assert _heldout(EASE(), split)[1] > base_ndcg + 0.01
    assert _heldout(EASE(lam=500.0), split)[1] > base_ndcg + 0.01


def test_deterministic(split):
    train, _ = split
    users = np.arange(0, train.n_users, 3)
    for make in (lambda: UserKNN(neighborhood_size=20), lambda: ItemKNN(neighborhood_size=20),
                 lambda: UserKNN(neighbor_pool="global", neighborhood_size=20), lambda: EASE()):
        a, b = make().fit(train), make().fit(train)
        np.testing.assert_array_equal(a.score_users(users), b.score_users(users))
        np.testing.assert_array_equal(a.score_users(users), a.score_users(users))
        top_a = a.recommend(users, k=5)
        np.testing.assert_array_equal(top_a, b.recommend(users, k=5))


def test_predict_agrees_with_score_users_on_heavy_cells(split):
    """k far below the rater counts (every cell is cut to its top k) on both paths."""
    train, _ = split
    users = np.arange(0, train.n_users, 7)
    for cls in (UserKNN, ItemKNN):
        model = cls(neighborhood_size=7, min_k=3).fit(train)
        dense = model.score_users(users)
        uu, ii = np.meshgrid(users, np.arange(train.n_items), indexing="ij")
        np.testing.assert_allclose(model.predict(uu.ravel(), ii.ravel()).reshape(dense.shape), dense,
                                   rtol=1e-12, atol=1e-12)


def test_predictions_are_clipped_to_the_training_range_and_rankings_are_not():
    # u1's neighbour u0 rates item 2 far above its mean: the unclipped prediction exceeds 5.
    data = ratings([(0, 0, 1), (0, 1, 1), (0, 2, 5), (1, 0, 4), (1, 1, 4), (2, 2, 2)], 3, 3)
    for cls in (knn.UserKNN, knn.ItemKNN):
        clipped = cls(neighborhood_size=5, similarity="cosine").fit(data)
        raw = cls(neighborhood_size=5, similarity="cosine", clip=False).fit(data)
        users, items = np.repeat(np.arange(3), 3), np.tile(np.arange(3), 3)
        unclipped = raw.predict(users, items)
        np.testing.assert_array_equal(clipped.predict(users, items), np.clip(unclipped, 1, 5))
        np.testing.assert_array_equal(clipped.score_users(np.arange(3)), raw.score_users(np.arange(3)))
    assert (knn.UserKNN(neighborhood_size=5, similarity="cosine", clip=False).fit(data)
            .predict(np.array([1]), np.array([2]))[0] > 5)


def test_cold_pairs_get_the_global_mean_inside_the_range():
    data = ratings([(0, 0, 5), (0, 1, 3), (1, 0, 4), (1, 2, 2)], 3, 4)  # user 2 and item 3 unrated
    for cls in (knn.UserKNN, knn.ItemKNN):
        model = cls().fit(data)
        pred = model.predict(np.array([2, 0, 2]), np.array([0, 3, 3]))
        np.testing.assert_array_equal(pred, [3.5, 3.5, 3.5])


def test_baseline_centring_matches_a_naive_knnbaseline():
    """centering="baseline": b_ui + sum_v s(u, v) (r_vi - b_vi) / sum_v s(u, v) over the k most similar
    raters, with Surprise's ALS baselines and the Pearson similarity of baseline-centred ratings."""
    rng = np.random.default_rng(5)
    n_users, n_items = 12, 9
    mask = rng.random((n_users, n_items)) < 0.6
    u, i = np.nonzero(mask)
    r = rng.integers(1, 6, u.size).astype(float)
    data = Ratings(u, i, r, n_users, n_items)
    mu = r.mean()
    b_u, b_i = np.zeros(n_users), np.zeros(n_items)
    for _ in range(10):  # Surprise's baseline ALS, item biases first
        for j in range(n_items):
            sel = i == j
            b_i[j] = (r[sel] - mu - b_u[u[sel]]).sum() / (10.0 + sel.sum())
        for v in range(n_users):
            sel = u == v
            b_u[v] = (r[sel] - mu - b_i[i[sel]]).sum() / (15.0 + sel.sum())
    dev = np.zeros((n_users, n_items))
    dev[u, i] = r - mu - b_u[u] - b_i[i]
    sim = dev @ dev.T / np.outer(np.linalg.norm(dev, axis=1), np.linalg.norm(dev, axis=1))
    np.fill_diagonal(sim, 0)
    sim = np.maximum(sim, 0)
    k = 4
    model = knn.UserKNN(neighborhood_size=k, clip=False).fit(data)
    assert model.hyperparameters["centering"] == "baseline"
    got = model.score_users(np.arange(n_users))
    for v in range(n_users):
        for j in range(n_items):
            raters = np.flatnonzero(mask[:, j] & (np.arange(n_users) != v))
            top = raters[np.argsort(-sim[v, raters], kind="stable")][:k]
            w = sim[v, top]
            base = mu + b_u[v] + b_i[j]
            expected = base + (w @ dev[top, j]) / w.sum() if w.sum() > 0 else base
            assert got[v, j] == pytest.approx(expected, abs=1e-9)
