"""Early stopping (recdyn.recommenders.early_stopping) in AutoRec, CF-NADE and LLORMA, LLORMA's
cold-pair fallback and clipping, and the thesis' (RecLab) values still building today's models."""

from __future__ import annotations

import numpy as np
import pytest

from recdyn.ratings import Ratings
from recdyn.recommenders import make_recommender
from recdyn.recommenders.autorec import AutoRec
from recdyn.recommenders.cfnade import CFNADE
from recdyn.recommenders.defaults import RECLAB_DEFAULTS
from recdyn.recommenders.early_stopping import (VALIDATION_STREAM, EarlyStopping, run_epochs,
                                                validation_mask)
from recdyn.recommenders.llorma import LLORMA
from recdyn.recommenders.scale import TrainingProfile


def tiny(seed: int = 0, n_users: int = 30, n_items: int = 40, n: int = 600,
         noise: float = 0.5) -> Ratings:
    """Integer ratings 1..5 of a rank-2 model plus noise on ``n`` random cells."""
    rng = np.random.default_rng(seed)
    u, v = rng.normal(size=(n_users, 2)), rng.normal(size=(n_items, 2))
    cells = rng.choice(n_users * n_items, n, replace=False)
    users, items = cells // n_items, cells % n_items
    r = np.clip(np.rint(3.4 + np.einsum("nk,nk->n", u[users], v[items]) + rng.normal(0, noise, n)),
                1, 5)
    return Ratings(users, items, r, n_users, n_items)


# ---- the helper ----------------------------------------------------------------------------
def test_validation_mask_is_seeded_and_keeps_every_user_and_item():
    data = tiny()
    users, items = np.asarray(data.users), np.asarray(data.items)
    mask = validation_mask(users, items, 0.2, seed=7)
    np.testing.assert_array_equal(mask, validation_mask(users, items, 0.2, seed=7))
    assert not np.array_equal(mask, validation_mask(users, items, 0.2, seed=8))
    assert mask.sum() == round(0.2 * users.size)
    # Holding out makes no user or item cold.
    assert set(users[~mask]) == set(users) and set(items[~mask]) == set(items)
    assert not validation_mask(users, items, 0.0, seed=7).any()
    # One rating per user cannot be held out without making the user cold.
    assert not validation_mask(np.arange(5), np.zeros(5, dtype=np.int64), 0.5, seed=0).any()
    assert VALIDATION_STREAM != 0x4E414445  # not CF-NADE's ordering stream


def test_early_stopping_rule_keeps_the_best_state():
    stopper: EarlyStopping[int] = EarlyStopping(patience=2, min_delta=0.01)
    curve = [1.0, 0.9, 0.895, 0.85, 0.86, 0.845]  # 0.895 and 0.845 improve by < min_delta
    stops = [stopper.update(v, lambda e=epoch: e) for epoch, v in enumerate(curve, start=1)]
    assert stops == [False, False, False, False, False, True]
    # The kept state is the lowest RMSE (epoch 6), even though it did not reset the patience.
    assert (stopper.best_epoch, stopper.best_state, stopper.best_rmse) == (6, 6, 0.845)


@pytest.mark.parametrize("cls", [AutoRec, CFNADE, LLORMA])
def test_constructors_check_the_early_stopping_arguments(cls):
    for bad in (dict(val_fraction=1.0), dict(val_fraction=-0.1), dict(patience=0)):
        with pytest.raises(ValueError):
            cls(**bad)
    hp = cls().hyperparameters
    assert hp["val_fraction"] > 0 and hp["refit"] and hp["epochs"] == 100


def test_run_epochs_stops_restores_and_publishes():
    class Model:
        pass

    curve = iter([3.0, 2.0, 1.0, 1.5, 2.5, 3.5, 4.5])
    state = {"w": 0}

    def train_epoch() -> None:
        state["w"] += 1

    model = Model()
    run_epochs(model, 10, train_epoch, lambda: next(curve), lambda: state["w"],
               lambda s: state.update(w=s), patience=3)
    assert (model.best_epoch_, model.stopped_epoch_, state["w"]) == (3, 6, 3)
    assert model.val_rmse_ == [3.0, 2.0, 1.0, 1.5, 2.5, 3.5]
    run_epochs(model, 4, train_epoch, None, lambda: None, lambda s: None, patience=1)
    assert (model.best_epoch_, model.stopped_epoch_, model.val_rmse_) == (4, 4, [])


# ---- the three models ----------------------------------------------------------------------
def planted(n: int = 3000, n_users: int = 100, n_items: int = 150, seed: int = 0) -> Ratings:
    """Integer ratings of a rank-3 model with user and item biases plus N(0, 0.5^2) noise."""
    rng = np.random.default_rng(seed)
    p, q = rng.normal(0, 0.6, (n_users, 3)), rng.normal(0, 0.6, (n_items, 3))
    bu, bi = rng.normal(0, 0.3, n_users), rng.normal(0, 0.5, n_items)
    cells = rng.choice(n_users * n_items, n, replace=False)
    u, i = cells // n_items, cells % n_items
    r = 3.5 + bu[u] + bi[i] + np.einsum("nk,nk->n", p[u], q[i]) + rng.normal(0, 0.5, n)
    return Ratings(u, i, np.clip(np.rint(r), 1, 5), n_users, n_items)


# Settings (and data) where each model improves for a few epochs, then overfits.
OVERFIT = {
    "autorec": (lambda: tiny(noise=1.0),
                dict(hidden_units=64, reg=0.0, lr=1e-2, batch_size=8, num_threads=1)),
    "cfnade": (planted, dict(hidden_units=64, lr=1e-3, batch_size=8, weight_decay=0.0,
                             num_threads=1)),
    "llorma": (planted, dict(n_anchors=4, rank=10, lr=0.02, reg=0.0, batch_size=100, pre_rank=3,
                             pre_reg=10.0, pre_iters=50)),
}


@pytest.mark.parametrize("name", ["autorec", "cfnade", "llorma"])
def test_stops_when_validation_rises_and_keeps_the_best_epoch(name):
    make_data, model_hp = OVERFIT[name]
    data, epochs = make_data(), 60
    hp = dict(model_hp, val_fraction=0.25, patience=3, refit=False, seed=1)
    rec = make_recommender(name, epochs=epochs, **hp).fit(data)
    history = np.asarray(rec.val_rmse_)
    assert rec.stopped_epoch_ < epochs and history.size == rec.stopped_epoch_
    assert 1 < rec.best_epoch_ == int(np.argmin(history)) + 1 < rec.stopped_epoch_
    assert history[0] > history.min() and np.all(history[rec.best_epoch_:] > history.min())
    # The kept parameters are the best epoch's: a run capped at that epoch (same seed, same split,
    # same draws up to it) ends with the same model.
    capped = make_recommender(name, epochs=rec.best_epoch_, **hp).fit(data)
    assert capped.stopped_epoch_ == capped.best_epoch_ == rec.best_epoch_
    np.testing.assert_array_equal(capped.val_rmse_, history[:rec.best_epoch_])
    users = np.arange(data.n_users)
    np.testing.assert_array_equal(rec.score_users(users), capped.score_users(users))


@pytest.mark.parametrize("name", ["autorec", "llorma"])
def test_refit_trains_on_all_ratings_for_the_best_epoch_count(name):
    make_data, model_hp = OVERFIT[name]
    data = make_data()
    hp = dict(model_hp, patience=3, seed=1)
    rec = make_recommender(name, epochs=60, val_fraction=0.25, refit=True, **hp).fit(data)
    stopped = make_recommender(name, epochs=60, val_fraction=0.25, refit=False, **hp).fit(data)
    assert (rec.best_epoch_, rec.stopped_epoch_) == (stopped.best_epoch_, stopped.stopped_epoch_)
    assert rec.val_rmse_ == stopped.val_rmse_
    full = make_recommender(name, epochs=rec.best_epoch_, val_fraction=0.0, **hp).fit(data)
    users = np.arange(data.n_users)
    np.testing.assert_array_equal(rec.score_users(users), full.score_users(users))


@pytest.mark.parametrize("cls", [AutoRec, CFNADE])
def test_validation_split_does_not_shift_the_initialisation(cls):
    data = tiny()
    hp = dict(hidden_units=8, epochs=0, num_threads=1, seed=3)
    plain, held = cls(**hp, val_fraction=0.0).fit(data), cls(**hp, val_fraction=0.3).fit(data)
    if cls is AutoRec:
        np.testing.assert_array_equal(plain._enc_w, held._enc_w)
    else:
        np.testing.assert_array_equal(plain._out, held._out)


# Predictions of the pairs below by the code before early stopping (commit 3cda2fa) with the
# thesis' values (RECLAB_DEFAULTS), seed 4, one thread, on ``tiny()``.
PAIRS = (np.array([0, 3, 7, 12, 20, 29, 5, 17]), np.array([1, 5, 39, 8, 22, 0, 30, 13]))
BEFORE = {
    "autorec": [3.370483636856079, 3.405508518218994, 3.0808420181274414, 3.330719232559204,
                2.7463529109954834, 3.236367702484131, 3.0118072032928467, 3.272966146469116],
    "cfnade": [3.374591112136841, 3.6046102046966553, 3.042809009552002, 3.3349549770355225,
               2.439120054244995, 3.121934175491333, 3.174934148788452, 3.0717310905456543],
    "llorma": [2.9953107075428926, 3.971863252336195, 4.241053791479514, 3.0162060693819472,
               2.2011788411283812, 4.381070584780949, 2.7998798067586144, 4.064357052560796],
}
THESIS = {
    "autorec": dict(hidden_units=500, reg=100.0, epochs=20, lr=1e-3, batch_size=256, dropout=0.0),
    "cfnade": dict(hidden_units=500, epochs=10, lr=1e-3, batch_size=64, weight_decay=0.02,
                   ordinal_weight=0.01),
    "llorma": dict(n_anchors=10, rank=20, kernel="rbf", bandwidth=0.8, lr=0.02, reg=1e-4, epochs=50,
                   batch_size=1000, pre_rank=10, pre_lr=3e-4, pre_reg=0.01, pre_iters=70,
                   clip=False, cold_fallback=False),
}


@pytest.mark.parametrize("name", ["autorec", "cfnade", "llorma"])
def test_reclab_defaults_and_val_fraction_zero_train_as_before(name):
    data = tiny()
    threads = {} if name == "llorma" else {"num_threads": 1}  # LLORMA's fit is single-threaded
    old = make_recommender(name, **THESIS[name], val_fraction=0.0, seed=4, **threads).fit(data)
    reclab = make_recommender(name, **RECLAB_DEFAULTS[name], seed=4, **threads).fit(data)
    users = np.arange(data.n_users)
    np.testing.assert_array_equal(reclab.score_users(users), old.score_users(users))
    np.testing.assert_array_equal(reclab.predict(*PAIRS), old.predict(*PAIRS))
    # Reference values recorded before this change (bit-identical on the machine that recorded
    # them; the tolerance only absorbs other CPUs' float32 kernels).
    np.testing.assert_allclose(old.predict(*PAIRS), BEFORE[name], rtol=0, atol=1e-4)
    epochs = THESIS[name]["epochs"]
    assert old.stopped_epoch_ == old.best_epoch_ == epochs and old.val_rmse_ == []


# ---- LLORMA: cold pairs and clipping -------------------------------------------------------
LLORMA_SMALL = dict(n_anchors=4, rank=3, epochs=20, lr=0.01, reg=1e-3, batch_size=100, pre_rank=3,
                    pre_reg=1.0, pre_iters=30, seed=0)


@pytest.fixture(scope="module")
def cold_llorma():
    """LLORMA fitted without any rating of user 3 or item 5."""
    data = tiny(n=800)
    keep = (np.asarray(data.users) != 3) & (np.asarray(data.items) != 5)
    train = data.subset(keep)
    return train, LLORMA(**LLORMA_SMALL).fit(train)


def test_llorma_cold_pairs_get_the_mean_fallback(cold_llorma):
    train, rec = cold_llorma
    users, items = np.array([3, 3, 0, 7]), np.array([5, 0, 5, 2])
    pred = rec.predict(users, items)
    assert np.all(np.isfinite(pred)) and pred.min() >= 1 and pred.max() <= 5
    profile = TrainingProfile.of(train.users, train.items, train.ratings, train.n_users,
                                 train.n_items)
    tr_u, tr_i, tr_r = (np.asarray(a) for a in (train.users, train.items, train.ratings))
    assert pred[0] == pytest.approx(tr_r.mean())               # both cold: the global mean
    assert pred[1] == pytest.approx(tr_r[tr_i == 0].mean())    # cold user: the item's mean
    assert pred[2] == pytest.approx(tr_r[tr_u == 0].mean())    # cold item: the user's mean
    np.testing.assert_allclose(pred[:3], profile.fallback(users[:3], items[:3]), rtol=0, atol=1e-12)
    assert not profile.cold(users[3:], items[3:]).any()
    # score_users applies the same fallbacks.
    dense = rec.score_users(np.array([3, 0]))
    np.testing.assert_allclose(dense[0], profile.fallback(np.full(train.n_items, 3),
                                                          np.arange(train.n_items)))
    assert dense[1, 5] == pytest.approx(pred[2])
    # Without the fallback (the thesis' code) the cold pairs get whatever the factors say.
    old = LLORMA(**LLORMA_SMALL, cold_fallback=False).fit(train)
    assert not np.allclose(old.predict(users[:3], items[:3]), pred[:3])


def test_llorma_predictions_are_clipped_and_scores_are_not():
    data = tiny(n=800, noise=0.2)
    hp = dict(LLORMA_SMALL, lr=0.03, reg=0.0, epochs=40, val_fraction=0.0)
    raw = LLORMA(**hp, clip=False).fit(data)
    users = np.arange(data.n_users)
    scores = raw.score_users(users)
    assert scores.max() > 5 or scores.min() < 1  # the unclipped model leaves the scale
    rec = LLORMA(**hp).fit(data)
    pu, pi = np.repeat(users, data.n_items), np.tile(np.arange(data.n_items), data.n_users)
    pred = rec.predict(pu, pi)
    assert pred.min() >= 1.0 and pred.max() <= 5.0
    np.testing.assert_allclose(pred, np.clip(scores.ravel(), 1.0, 5.0), rtol=0, atol=1e-9)
    np.testing.assert_array_equal(rec.score_users(users), scores)  # ranking scores unclipped
