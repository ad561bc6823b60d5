"""Neural recommenders (recdyn.recommenders.autorec, recdyn.recommenders.cfnade) on a planted problem."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from recdyn.ratings import Ratings
from recdyn.recommenders.autorec import AutoRec, SparsePattern, dedupe_last, sddmm, spmm
from recdyn.recommenders.baselines import TopPop
from recdyn.recommenders.cfnade import CFNADE, _ordinal_cost, expected_rating, rating_levels

N_USERS, N_ITEMS, RANK = 120, 150, 3

# Small, fast settings (the thesis' sizes are far too slow for unit tests); a fixed number of
# epochs, no early stopping (tests/test_early_stopping.py covers it).
AUTOREC = dict(hidden_units=32, reg=1.0, epochs=40, lr=1e-2, batch_size=32, val_fraction=0.0,
               num_threads=1)
CFNADE_HP = dict(hidden_units=32, epochs=25, lr=1e-2, batch_size=16, weight_decay=1e-3,
                 val_fraction=0.0, num_threads=1)


def planted(seed: int = 0, density: float = 0.4):
    """Low-rank integer ratings 1..5 (rank 3 plus item/user biases and noise), 80/20 split."""
    rng = np.random.default_rng(seed)
    u = rng.normal(size=(N_USERS, RANK))
    v = rng.normal(size=(N_ITEMS, RANK))
    truth = 3.0 + 0.6 * (u @ v.T) + rng.normal(0, 0.5, N_ITEMS)[None, :]
    observed = rng.random((N_USERS, N_ITEMS)) < density
    users, items = np.nonzero(observed)
    ratings = np.clip(np.rint(truth[users, items] + rng.normal(0, 0.3, users.size)), 1, 5)
    test = rng.random(users.size) < 0.2
    train = Ratings(users[~test], items[~test], ratings[~test], N_USERS, N_ITEMS)
    held = Ratings(users[test], items[test], ratings[test], N_USERS, N_ITEMS)
    return train, held


@pytest.fixture(scope="module")
def data():
    return planted()


@pytest.fixture(scope="module")
def fitted(data):
    train, _ = data
    return {"autorec": AutoRec(**AUTOREC).fit(train), "cfnade": CFNADE(**CFNADE_HP).fit(train)}


def rmse(rec, held: Ratings) -> float:
    return float(np.sqrt(np.mean((rec.predict(held.users, held.items) - held.ratings) ** 2)))


# ---- sparse helpers ----------------------------------------------------------------------------
def test_sparse_products_match_dense_with_gradients():
    rng = np.random.default_rng(1)
    dense = (rng.random((7, 9)) < 0.3) * rng.normal(size=(7, 9))
    rows, cols = np.nonzero(dense)
    pattern = SparsePattern(rows, cols, dense.shape, torch.device("cpu"))
    values = torch.tensor(dense[rows, cols], dtype=torch.float32)
    x = torch.randn(9, 4, requires_grad=True)
    a, b = torch.randn(7, 4, requires_grad=True), torch.randn(9, 4, requires_grad=True)
    ((spmm(pattern, values, x) ** 2).sum() + (sddmm(pattern, a, b) ** 3).sum()).backward()
    got = (x.grad.clone(), a.grad.clone(), b.grad.clone())
    for t in (x, a, b):
        t.grad = None
    dense_t = torch.tensor(dense, dtype=torch.float32)
    mask = dense_t != 0
    (((dense_t @ x) ** 2).sum() + (((a @ b.T) ** 3) * mask).sum()).backward()
    for g, ref in zip(got, (x.grad, a.grad, b.grad)):
        torch.testing.assert_close(g, ref, rtol=1e-4, atol=1e-4)


def test_dedupe_keeps_last_rating():
    users, items, ratings = dedupe_last(np.array([1, 0, 1]), np.array([2, 1, 2]),
                                        np.array([4.0, 3.0, 1.0]), n_items=3)
    assert users.tolist() == [0, 1] and items.tolist() == [1, 2] and ratings.tolist() == [3.0, 1.0]


def test_rating_levels_and_expectation():
    assert rating_levels(np.array([0.2, 1.4, 2.5, 3.6, 4.5, 5.7])).tolist() == [0, 0, 1, 3, 3, 4]
    # All mass on level 5 (very large cumulative scores): expectation 5.
    assert float(expected_rating(torch.tensor([[0.0, 0.0, 0.0, 0.0, 50.0]]))) == pytest.approx(5.0)
    assert float(expected_rating(torch.zeros(1, 5))) == pytest.approx(3.0)


def test_ordinal_cost_matches_the_probability_formula():
    rng = np.random.default_rng(2)
    logits = rng.normal(size=(6, 5)) * 3
    target = np.array([0, 1, 2, 3, 4, 2])
    p = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    expected = []
    # -sum_{k<=t} log(p_k / sum_{l<=k} p_l) - sum_{k>=t} log(p_k / sum_{l>=k} p_l)
    for row, t in zip(p, target):
        up = -sum(np.log(row[k] / row[:k + 1].sum()) for k in range(t + 1))
        down = -sum(np.log(row[k] / row[k:].sum()) for k in range(t, 5))
        expected.append(up + down)
    got = _ordinal_cost(torch.log(torch.tensor(p)), torch.tensor(target))
    np.testing.assert_allclose(got.numpy(), expected, rtol=1e-10)


# ---- learning ----------------------------------------------------------------------------------
@pytest.mark.parametrize("name", ["autorec", "cfnade"])
def test_training_loss_decreases(fitted, name):
    rec = fitted[name]
    losses = np.asarray(rec.loss_history_)
    assert losses.size == rec.hyperparameters["epochs"]
    assert np.all(np.isfinite(losses))
    assert losses[-3:].mean() < 0.8 * losses[:3].mean()


@pytest.mark.parametrize("name", ["autorec", "cfnade"])
def test_beats_item_means_on_held_out(data, fitted, name):
    train, held = data
    baseline = rmse(TopPop().fit(train), held)
    assert rmse(fitted[name], held) < 0.95 * baseline


def test_user_based_cfnade_learns(data):
    train, held = data
    rec = CFNADE(**{**CFNADE_HP, "orientation": "user"}).fit(train)
    assert rec.loss_history_[-1] < rec.loss_history_[0]
    assert rmse(rec, held) < rmse(TopPop().fit(train), held)


# ---- API contracts -----------------------------------------------------------------------------
@pytest.mark.parametrize("name", ["autorec", "cfnade"])
def test_predict_and_score_users_agree(fitted, name):
    rec = fitted[name]
    users = np.array([5, 0, 77, 5])
    dense = rec.score_users(users)
    assert dense.shape == (4, N_ITEMS)
    pairs = rec.predict(np.repeat(users, N_ITEMS), np.tile(np.arange(N_ITEMS), users.size))
    np.testing.assert_allclose(dense.ravel(), pairs, rtol=0, atol=1e-5)
    assert dense.min() >= 1.0 and dense.max() <= 5.0
    assert rec.predict(np.array([], dtype=np.int64), np.array([], dtype=np.int64)).shape == (0,)


@pytest.mark.parametrize("cls, hp", [(AutoRec, AUTOREC), (CFNADE, CFNADE_HP)])
def test_same_seed_same_predictions_and_refit_from_scratch(data, cls, hp):
    train, held = data
    short = {**hp, "epochs": 3}
    first = cls(**short, seed=7).fit(train)
    a = first.predict(held.users, held.items)
    b = cls(**short, seed=7).fit(train).predict(held.users, held.items)
    np.testing.assert_array_equal(a, b)
    assert first.fit(train).predict(held.users, held.items).tolist() == a.tolist()  # no carry-over
    c = cls(**short, seed=8).fit(train).predict(held.users, held.items)
    assert not np.array_equal(a, c)


@pytest.mark.parametrize("cls, hp", [(AutoRec, AUTOREC), (CFNADE, CFNADE_HP)])
def test_cold_users_and_items_get_the_global_mean(cls, hp):
    train, _ = planted(seed=3)
    keep = (train.users != 4) & (train.items != 9)
    data = train.subset(keep)
    rec = cls(**{**hp, "epochs": 2}).fit(data)
    mean = float(np.mean(data.ratings))
    scores = rec.score_users(np.array([4, 5]))
    np.testing.assert_allclose(scores[0], mean)
    np.testing.assert_allclose(scores[:, 9], mean)
    assert not np.allclose(scores[1], mean)
    np.testing.assert_allclose(rec.predict(np.array([4, 5]), np.array([0, 9])), mean)


@pytest.mark.parametrize("cls, hp", [(AutoRec, AUTOREC), (CFNADE, CFNADE_HP)])
def test_repeated_pairs_last_rating_counts(data, cls, hp):
    train, held = data
    short = {**hp, "epochs": 2}
    dup = Ratings(np.concatenate([train.users[:50], train.users]),
                  np.concatenate([train.items[:50], train.items]),
                  np.concatenate([np.full(50, 1.0), train.ratings]), N_USERS, N_ITEMS)
    np.testing.assert_array_equal(cls(**short).fit(dup).predict(held.users, held.items),
                                  cls(**short).fit(train).predict(held.users, held.items))


def test_cfnade_accepts_non_integer_ratings(data):
    train, held = data
    jitter = np.random.default_rng(0).normal(0, 0.2, len(train))
    noisy = Ratings(train.users, train.items, np.clip(train.ratings + jitter, 0.6, 5.3),
                    N_USERS, N_ITEMS)
    pred = CFNADE(**{**CFNADE_HP, "epochs": 2}).fit(noisy).predict(held.users, held.items)
    assert np.all(np.isfinite(pred)) and pred.min() >= 1 and pred.max() <= 5


def test_thread_count_is_restored(data):
    train, _ = data
    before = torch.get_num_threads()
    AutoRec(**{**AUTOREC, "epochs": 1}).fit(train).score_users(np.arange(3))
    assert torch.get_num_threads() == before


def test_hyperparameters_and_validation():
    rec = CFNADE(hidden_units=8, epochs=1)
    assert rec.hyperparameters["orientation"] == "item"
    assert "device" not in rec.hyperparameters and "num_threads" not in rec.hyperparameters
    assert AutoRec(hidden_units=8).hyperparameters["hidden_units"] == 8
    with pytest.raises(ValueError):
        CFNADE(orientation="diagonal")
    with pytest.raises(ValueError):
        CFNADE(ordinal_weight=1.5)
    with pytest.raises(ValueError):
        AutoRec(dropout=1.0)
    with pytest.raises(RuntimeError):
        AutoRec().score_users(np.arange(2))
    with pytest.raises(ValueError):
        AutoRec().fit(Ratings(np.array([], dtype=np.int64), np.array([], dtype=np.int64),
                              np.array([]), 3, 3))


def test_autorec_dropout_is_seeded(data):
    train, held = data
    hp = {**AUTOREC, "epochs": 3, "dropout": 0.2}
    a = AutoRec(**hp, seed=1).fit(train).predict(held.users, held.items)
    np.testing.assert_array_equal(a, AutoRec(**hp, seed=1).fit(train).predict(held.users, held.items))
    assert not np.array_equal(a, AutoRec(**{**hp, "dropout": 0.0}, seed=1).fit(train)
                              .predict(held.users, held.items))
