"""Tests for recdyn.fit.libfm (needs wpyfm: scripts/install/build_wpyfm.sh)."""

from __future__ import annotations

import logging
import math
import os

import numpy as np
import pandas as pd
import pytest

from recdyn.fit.libfm import FactorModel, fit_libfm, fit_predict_libfm

SIGMA = 0.3
N_USERS, N_ITEMS, RANK = 300, 400, 3
N_TRAIN, N_TEST = 30_000, 6_000

SGD = dict(method="sgd", dim=3, num_iter=100, init_stdev=0.1, lr=0.01, reg=(0.0, 0.02, 0.02))
MCMC = dict(method="mcmc", dim=3, num_iter=100, init_stdev=0.5)


@pytest.fixture(scope="module")
def planted():
    """Rank-3 biased model, Gaussian noise SIGMA, 36k distinct observed entries."""
    rng = np.random.default_rng(12345)
    p = rng.normal(0.0, 0.7, (N_USERS, RANK))
    q = rng.normal(0.0, 0.7, (N_ITEMS, RANK))
    bu = rng.normal(0.0, 0.5, N_USERS)
    bi = rng.normal(0.0, 0.5, N_ITEMS)
    cells = rng.choice(N_USERS * N_ITEMS, N_TRAIN + N_TEST, replace=False)
    u, i = cells // N_ITEMS, cells % N_ITEMS
    r = 3.0 + bu[u] + bi[i] + np.einsum("nk,nk->n", p[u], q[i]) + rng.normal(0, SIGMA, u.size)
    tr, te = slice(0, N_TRAIN), slice(N_TRAIN, None)
    return dict(u=u[tr], i=i[tr], r=r[tr], ut=u[te], it=i[te], rt=r[te])


def _rmse(a, b):
    return float(np.sqrt(np.mean((np.asarray(a) - np.asarray(b)) ** 2)))


def _fit(d, **kw):
    return fit_libfm(d["u"], d["i"], d["r"], N_USERS, N_ITEMS, seed=kw.pop("seed", 7), **kw)


# ------------------------------------------------------------- recovery (1)


def test_sgd_recovers_planted_model(planted):
    d = planted
    baseline = _rmse(d["rt"], d["r"].mean())
    m = _fit(d, **SGD)
    assert m.user_factors.shape == (N_USERS, 3) and m.item_factors.shape == (N_ITEMS, 3)
    assert m.user_bias.shape == (N_USERS,) and m.item_bias.shape == (N_ITEMS,)
    rmse = _rmse(m.predict(d["ut"], d["it"]), d["rt"])
    assert rmse < 1.15 * SIGMA, rmse
    assert rmse < 0.4 * baseline
    assert abs(m.global_bias - d["r"].mean()) < 0.3  # reg_w0 = 0: w0 is the offset


def test_sgd_regularised_global_bias_is_shrunk(planted):
    # libFM's SGD applies reg_w0 at every case, so a uniform reg (RecLab used 0.1 on
    # w0, w and V) shrinks w0 far below the mean; the biases absorb the difference.
    d = planted
    m = _fit(d, **dict(SGD, reg=0.02))
    assert m.global_bias < d["r"].mean() - 1.0
    assert m.user_bias.mean() + m.item_bias.mean() > 1.0
    assert _rmse(m.predict(d["ut"], d["it"]), d["rt"]) < 1.2 * SIGMA


def test_mcmc_recovers_planted_model(planted):
    d = planted
    m, pred = fit_predict_libfm(
        d["u"], d["i"], d["r"], N_USERS, N_ITEMS, seed=7,
        pred_users=d["ut"], pred_items=d["it"], **MCMC,
    )
    # FactorModel = last Gibbs sample; libFM's predictions = average over samples.
    assert _rmse(m.predict(d["ut"], d["it"]), d["rt"]) < 1.2 * SIGMA
    assert _rmse(pred, d["rt"]) < 1.15 * SIGMA
    # the test pairs given to libFM do not change the fitted parameters
    m2 = _fit(d, **MCMC)
    np.testing.assert_array_equal(m.user_factors, m2.user_factors)
    assert m.global_bias == m2.global_bias


# ------------------------------------------------------------ determinism (2)


@pytest.mark.parametrize("kw", [SGD, dict(MCMC, num_iter=20)], ids=["sgd", "mcmc"])
def test_deterministic_for_fixed_seed(planted, kw):
    a = _fit(planted, seed=3, **kw)
    b = _fit(planted, seed=3, **kw)
    c = _fit(planted, seed=4, **kw)
    for name in ("user_bias", "item_bias", "user_factors", "item_factors"):
        np.testing.assert_array_equal(getattr(a, name), getattr(b, name))
    assert a.global_bias == b.global_bias
    assert not np.array_equal(a.user_factors, c.user_factors)


# ------------------------------------------- parameters match libFM's predict (3)


@pytest.mark.parametrize("method", ["sgd", "als"])
def test_factor_model_reproduces_libfm_predictions(planted, method):
    d = planted
    kw = dict(SGD) if method == "sgd" else dict(method="als", dim=3, num_iter=10, init_stdev=0.1)
    m, pred = fit_predict_libfm(
        d["u"], d["i"], d["r"], N_USERS, N_ITEMS, seed=11,
        pred_users=d["ut"], pred_items=d["it"], **kw,
    )
    clip = (d["r"].min(), d["r"].max())
    np.testing.assert_allclose(m.predict(d["ut"], d["it"], clip=clip), pred, rtol=0, atol=1e-9)


def test_predict_broadcasts_and_checks_bounds():
    rng = np.random.default_rng(0)
    m = FactorModel(1.0, rng.normal(size=4), rng.normal(size=5),
                    rng.normal(size=(4, 2)), rng.normal(size=(5, 2)))
    full = m.predict(np.arange(4)[:, None], np.arange(5)[None, :])
    expected = 1.0 + m.user_bias[:, None] + m.item_bias[None, :] + m.user_factors @ m.item_factors.T
    np.testing.assert_allclose(full, expected)
    assert m.predict(2, 3).shape == ()
    assert np.all(m.predict([0, 1], [0, 1], clip=(0.9, 1.1)) <= 1.1)
    with pytest.raises(IndexError):
        m.predict([4], [0])
    with pytest.raises(IndexError):
        m.predict([-1], [0])
    with pytest.raises(ValueError):
        FactorModel(0.0, np.zeros(3), np.zeros(2), np.zeros((3, 2)), np.zeros((2, 3)))


# -------------------------------------------------------------- save/load (4)


def test_save_load_round_trip(tmp_path):
    rng = np.random.default_rng(1)
    m = FactorModel(3.5, rng.normal(size=6), rng.normal(size=7),
                    rng.normal(size=(6, 4)), rng.normal(size=(7, 4)))
    path = tmp_path / "sub" / "model.npz"
    m.save(path)
    m.save(path)  # overwriting works
    assert sorted(os.listdir(path.parent)) == ["model.npz"]  # no temporary left behind
    back = FactorModel.load(path)
    assert back.global_bias == m.global_bias
    for name in ("user_bias", "item_bias", "user_factors", "item_factors"):
        np.testing.assert_array_equal(getattr(back, name), getattr(m, name))
    assert (back.n_users, back.n_items, back.dim) == (6, 7, 4)


# ---------------------------------------------------------- stdout silenced (6)


def test_libfm_output_does_not_reach_stdout(planted, capfd, caplog):
    d = planted
    print("before-fit")
    with caplog.at_level(logging.INFO, logger="recdyn.fit.libfm"):
        _fit(d, **dict(SGD, num_iter=5))
        _fit(d, **dict(MCMC, num_iter=5))
    print("after-fit")
    out, err = capfd.readouterr()
    assert "before-fit" in out and "after-fit" in out
    assert "#Iter" not in out and "learnrate" not in out and "Final" not in out
    assert "#Iter" not in err
    summaries = [r for r in caplog.records if r.name == "recdyn.fit.libfm"]
    assert len(summaries) == 2 and "train RMSE" in summaries[0].getMessage()


# ------------------------------------------------------------ validation


def test_invalid_arguments_raise_in_python(planted):
    d = planted
    with pytest.raises(ValueError):
        _fit(d, **dict(SGD, method="sgda"))
    with pytest.raises(ValueError):
        _fit(d, **dict(SGD, lr=None))
    with pytest.raises(ValueError):
        _fit(d, **dict(SGD, reg=(0.1, 0.1)))
    with pytest.raises(ValueError):
        fit_libfm(d["u"], d["i"], d["r"], N_USERS - 1, N_ITEMS, seed=0, **SGD)
    with pytest.raises(ValueError):
        fit_libfm(d["u"], d["i"], d["r"][:-1], N_USERS, N_ITEMS, seed=0, **SGD)


# ------------------------------------------------------------- build patches


def test_quiet_sgd_learns_the_same_parameters_as_evaluating_sgd(planted, capfd):
    """scripts/install/patch_wpyfm.py drops SGD's print-only RMSE passes unless libFM is verbose;
    forcing them on through ``verbosity`` must give bit-for-bit the same model."""
    from recdyn.fit.libfm import _design, _import_wpyfm

    PyFM, Data = _import_wpyfm()
    assert {"samples", "quiet-sgd"} <= set(PyFM.recdyn_patches())
    d = planted
    x = _design(d["u"][:5000], d["i"][:5000], N_USERS, N_ITEMS)
    params = []
    for verbosity in (0, 1):
        fm = PyFM("sgd", dim=[1, 1, 3], lr=0.01, reg=[0.0, 0.02, 0.02], init_stdev=0.1, num_iter=20,
                  seed=5, verbosity=verbosity)
        fm.train(Data(x, d["r"][:5000], has_xt=False))
        params.append(fm.parameters())
    printed = capfd.readouterr().out
    assert printed.count("#Iter=") == 20  # only the verbose fit evaluated each epoch
    assert params[0][0] == params[1][0]
    np.testing.assert_array_equal(params[0][1], params[1][1])
    np.testing.assert_array_equal(params[0][2], params[1][2])


def _libfm_sgd_replay(w0, w, v, attributes, ratings, *, lr, reg, num_iter):
    """libFM's SGD (fm_learn_sgd_element::learn: fm_model::predict, the clip to the training range,
    then fm_SGD), one case at a time in Python floats, libFM's operation order; one-hot features."""
    reg0, regw, regv = reg
    w, v = [float(x) for x in w], [[float(x) for x in row] for row in v]
    lo, hi = float(min(ratings)), float(max(ratings))
    k = len(v[0])
    for _ in range(num_iter):
        for ids, y in zip(attributes, ratings):
            p = 0.0
            p += w0
            for a in ids:
                p += w[a] * 1.0
            sums = []
            for f in range(k):
                s = s_sqr = 0.0
                for a in ids:
                    d = v[a][f] * 1.0
                    s += d
                    s_sqr += d * d
                sums.append(s)
                p += 0.5 * (s * s - s_sqr)
            mult = -(float(y) - max(lo, min(hi, p)))
            w0 -= lr * (mult + reg0 * w0)
            for a in ids:
                w[a] -= lr * (mult * 1.0 + regw * w[a])
            for f in range(k):
                for a in ids:
                    v[a][f] -= lr * (mult * (sums[f] * 1.0 - v[a][f] * 1.0 * 1.0) + regv * v[a][f])
    return w0, np.array(w), np.array(v)


def test_fast_sgd_is_libfms_sgd_bit_for_bit():
    """The fast-sgd build patch runs libFM's SGD on an attribute-major copy of V: replaying libFM's
    SGD in Python from the same initial parameters must give exactly the same model."""
    from recdyn.fit.libfm import _design, _import_wpyfm

    PyFM, Data = _import_wpyfm()
    assert "fast-sgd" in set(PyFM.recdyn_patches())
    rng = np.random.default_rng(3)
    n_users, n_items, n = 15, 10, 80
    cells = rng.choice(n_users * n_items, n, replace=False)
    u, i = cells // n_items, cells % n_items
    r = rng.integers(1, 6, n).astype(float)
    x = _design(u, i, n_users, n_items)
    hyper = dict(dim=[1, 1, 4], lr=0.05, reg=[0.01, 0.02, 0.03], init_stdev=0.5, seed=9)
    fitted = []
    for num_iter in (0, 3):
        fm = PyFM("sgd", num_iter=num_iter, **hyper)
        fm.train(Data(x, r, has_xt=False))
        fitted.append(fm.parameters())
    (w0_init, w_init, v_init), (w0, w, v) = fitted
    v_init = np.asarray(v_init).reshape(n_users + n_items, 4)
    assert np.ptp(v_init) > 0 and not np.array_equal(v_init, np.asarray(v).reshape(v_init.shape))
    attributes = [list(x.indices[x.indptr[c]:x.indptr[c + 1]]) for c in range(n)]
    replay = _libfm_sgd_replay(w0_init, w_init, v_init, attributes, r, lr=0.05,
                               reg=(0.01, 0.02, 0.03), num_iter=3)
    assert w0 == replay[0]
    np.testing.assert_array_equal(np.asarray(w), replay[1])
    np.testing.assert_array_equal(np.asarray(v).reshape(v_init.shape), replay[2])


def test_fast_eterms_is_libfms_mcmc_bit_for_bit():
    """The fast-eterms build patch computes MCMC's per-case prediction terms case by case instead of
    libFM's passes over the transposed data; switched off (``PyFM.use_fast_eterms(False)``, libFM's
    own code), the same fit must give the same chain and predictions exactly."""
    from recdyn.fit.libfm import _design, _import_wpyfm, _silence_stdout_fd

    PyFM, Data = _import_wpyfm()
    assert "fast-eterms" in set(PyFM.recdyn_patches())
    rng = np.random.default_rng(4)
    n_users, n_items, n = 40, 30, 600
    cells = rng.choice(n_users * n_items, n + 50, replace=False)
    u, i = cells // n_items, cells % n_items
    r = rng.integers(1, 6, n + 50).astype(float)
    x, x_test = _design(u[:n], i[:n], n_users, n_items), _design(u[n:], i[n:], n_users, n_items)
    fits = []
    try:
        for fast in (True, False):
            PyFM.use_fast_eterms(fast)
            fm = PyFM("mcmc", dim=[1, 1, 5], init_stdev=0.3, num_iter=15, seed=2)
            fm.keep_samples(True)
            test = Data(x_test, np.zeros(50), has_xt=True)
            with _silence_stdout_fd():
                fm.train(Data(x, r[:n], has_xt=True), test=test)
            fits.append((fm.samples(), np.asarray(fm.predict(test))))
    finally:
        PyFM.use_fast_eterms(True)
    (samples, preds), (samples_ref, preds_ref) = fits
    assert len(samples) == 15 and np.ptp(preds) > 0
    np.testing.assert_array_equal(preds, preds_ref)
    for mine, ref in zip(samples, samples_ref):
        assert mine[0] == ref[0]
        np.testing.assert_array_equal(mine[1], ref[1])
        np.testing.assert_array_equal(mine[2], ref[2])
