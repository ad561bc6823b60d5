"""LLORMA's compiled local-training epoch against a direct numpy statement of the same updates."""

from __future__ import annotations

import numpy as np
import pytest

from recdyn.recommenders.llorma_sgd import sgd_epoch


def numpy_epoch(p, q, users, items, ratings, weights, batch, lr, decay, scale, min_scale, rank):
    """Reference: the module docstring's update, batch by batch, with numpy gathers and np.add.at."""
    n, n_anchor = weights.shape
    sse = 0.0
    for start in range(0, n, batch):
        u, i = users[start:start + batch], items[start:start + batch]
        w, r = weights[start:start + batch], ratings[start:start + batch]
        pu = p[u].reshape(-1, n_anchor, rank)
        qi = q[i].reshape(-1, n_anchor, rank)
        local = (pu * qi).sum(-1) * (scale * scale)
        err = (w * local).sum(1) - r
        sse += float(err @ err)
        g = (2.0 * err[:, None] * w)[:, :, None]
        scale *= decay
        np.add.at(p, u, (-lr / decay) * (g * qi).reshape(len(u), -1))
        np.add.at(q, i, (-lr / decay) * (g * pu).reshape(len(u), -1))
        if scale < min_scale:
            p *= scale
            q *= scale
            scale = 1.0
    return sse, scale


def problem(dtype, n=250, n_users=7, n_items=9, n_anchor=3, rank=4, seed=0):
    rng = np.random.default_rng(seed)
    users = rng.integers(0, n_users, n)  # few rows: every batch repeats users and items
    items = rng.integers(0, n_items, n)
    ratings = rng.integers(1, 6, n).astype(dtype)
    weights = rng.random((n, n_anchor))
    weights = (weights / weights.sum(1, keepdims=True)).astype(dtype)
    p = (rng.random((n_users, n_anchor * rank)) * 0.8).astype(dtype)
    q = (rng.random((n_items, n_anchor * rank)) * 0.8).astype(dtype)
    return p, q, users, items, ratings, weights, rank


@pytest.mark.parametrize("min_scale", [1e-3, 0.999])  # 0.999: the renormalisation runs every few batches
def test_epoch_equals_numpy_updates_float64(min_scale):
    p, q, users, items, ratings, weights, rank = problem(np.float64)
    ref_p, ref_q = p.copy(), q.copy()
    args = (users, items, ratings, weights, 40, 0.01, 1.0 - 2.0 * 0.01 * 0.05)
    sse, scale = sgd_epoch(p, q, *args, 1.0, min_scale, rank)
    ref_sse, ref_scale = numpy_epoch(ref_p, ref_q, *args, 1.0, min_scale, rank)
    assert scale == pytest.approx(ref_scale, rel=1e-14)
    assert sse == pytest.approx(ref_sse, rel=1e-12)
    np.testing.assert_allclose(p, ref_p, rtol=0, atol=1e-12)
    np.testing.assert_allclose(q, ref_q, rtol=0, atol=1e-12)
    assert not np.allclose(p, problem(np.float64)[0])  # the epoch moved the factors


def test_float32_epoch_close_to_float64():
    p64, q64, users, items, ratings, weights, rank = problem(np.float64)
    p32, q32 = p64.astype(np.float32), q64.astype(np.float32)
    args = (users, items, 40, 0.01, 1.0 - 2.0 * 0.01 * 0.05, 1.0, 1e-3, rank)
    sgd_epoch(p64, q64, users, items, ratings, weights, *args[2:])
    sgd_epoch(p32, q32, users, items, ratings.astype(np.float32), weights.astype(np.float32), *args[2:])
    assert p32.dtype == np.float32
    np.testing.assert_allclose(p32, p64, rtol=0, atol=1e-5)
    np.testing.assert_allclose(q32, q64, rtol=0, atol=1e-5)


def test_last_partial_batch_and_batch_larger_than_data():
    p, q, users, items, ratings, weights, rank = problem(np.float64, n=23)
    for batch in (5, 100):  # 23 = 4 x 5 + 3; one batch of all 23
        a_p, a_q, b_p, b_q = p.copy(), q.copy(), p.copy(), q.copy()
        sgd_epoch(a_p, a_q, users, items, ratings, weights, min(batch, 23), 0.02, 0.999, 1.0, 1e-3, rank)
        numpy_epoch(b_p, b_q, users, items, ratings, weights, batch, 0.02, 0.999, 1.0, 1e-3, rank)
        np.testing.assert_allclose(a_p, b_p, rtol=0, atol=1e-12)
        np.testing.assert_allclose(a_q, b_q, rtol=0, atol=1e-12)


def numpy_pretrain(p, q, users, items, ratings, lr, reg, iters):
    """Reference: the numpy pre-training recdyn ran before (sparse residual products)."""
    import scipy.sparse as sp

    n_users, n_items = p.shape[0], q.shape[0]
    indptr = np.concatenate([[0], np.cumsum(np.bincount(users, minlength=n_users))])
    resid = sp.csr_array((np.zeros(users.size), items, indptr), shape=(n_users, n_items))
    acc_p, acc_q = np.zeros_like(p), np.zeros_like(q)
    with np.errstate(over="ignore", invalid="ignore"):
        for _ in range(iters):
            resid.data[:] = np.einsum("nk,nk->n", p[users], q[items]) - ratings
            acc_p *= 0.9
            acc_p += 2.0 * (resid @ q) + 2.0 * reg * p
            p -= lr * acc_p
            resid.data[:] = np.einsum("nk,nk->n", p[users], q[items]) - ratings
            acc_q *= 0.9
            acc_q += 2.0 * (resid.T @ p) + 2.0 * reg * q
            q -= lr * acc_q
            if not (np.isfinite(acc_p).all() and np.isfinite(acc_q).all()):
                break


def sorted_ratings(n_users=30, n_items=40, n=500, seed=1):
    rng = np.random.default_rng(seed)
    cells = np.sort(rng.choice(n_users * n_items, n, replace=False))  # sorted by user, then item
    return cells // n_items, cells % n_items, rng.integers(1, 6, n).astype(np.float64)


@pytest.mark.parametrize("lr, converges", [(3e-3, True), (0.5, False)])
def test_pretrain_equals_numpy_sparse_version(lr, converges):
    from recdyn.recommenders.llorma_sgd import pretrain

    users, items, ratings = sorted_ratings()
    rng = np.random.default_rng(2)
    p0, q0 = rng.random((30, 5)), rng.random((40, 5))
    p, q, ref_p, ref_q = p0.copy(), q0.copy(), p0.copy(), q0.copy()
    pretrain(p, q, users, items, ratings, lr, 0.01, 40)
    numpy_pretrain(ref_p, ref_q, users, items, ratings, lr, 0.01, 40)
    finite = np.isfinite(p).all() and np.isfinite(q).all()
    assert finite == converges == (np.isfinite(ref_p).all() and np.isfinite(ref_q).all())
    if converges:
        fit = np.einsum("nk,nk->n", p[users], q[items])
        assert np.sqrt(np.mean((fit - ratings) ** 2)) < 0.5 * ratings.std()  # it trained
        np.testing.assert_allclose(p, ref_p, rtol=1e-10, atol=1e-12)
        np.testing.assert_allclose(q, ref_q, rtol=1e-10, atol=1e-12)
