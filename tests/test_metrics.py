"""RMSE and nDCG@k (recdyn.metrics): hand-computed cases, cutoff, ties, user filtering."""

from __future__ import annotations

import numpy as np
import pytest

from recdyn.metrics import ndcg_at_k, ndcg_per_user, rmse


def test_rmse_hand_computed():
    assert rmse([1.0, 2.0, 3.0], [1.0, 4.0, 3.0]) == pytest.approx(np.sqrt(4.0 / 3.0))
    assert rmse([2.5], [2.5]) == 0.0
    assert np.isnan(rmse([], []))
    with pytest.raises(ValueError):
        rmse([1.0, 2.0], [1.0])


# User 0: held-out items 10, 11, 12 with ratings 5, 3, 1 and scores 0.1, 0.9, 0.5:
# predicted order 11 (r=3), 12 (r=1), 10 (r=5); ideal order 5, 3, 1.
DCG0 = 3 / np.log2(2) + 1 / np.log2(3) + 5 / np.log2(4)
IDCG0 = 5 / np.log2(2) + 3 / np.log2(3) + 1 / np.log2(4)
USERS = np.array([0, 0, 0, 1])
ITEMS = np.array([10, 11, 12, 7])
TRUE = np.array([5.0, 3.0, 1.0, 4.0])
SCORES = np.array([0.1, 0.9, 0.5, 2.0])


def test_ndcg_hand_computed():
    assert DCG0 / IDCG0 == pytest.approx(0.8293, abs=1e-4)
    # User 1 has a single held-out item (nDCG 1); default min_items=1 counts it.
    assert ndcg_at_k(USERS, ITEMS, TRUE, SCORES, k=20) == pytest.approx((DCG0 / IDCG0 + 1.0) / 2)
    assert ndcg_at_k(USERS, ITEMS, TRUE, SCORES, k=20, min_items=2) == pytest.approx(DCG0 / IDCG0)
    ids, per_user, counts = ndcg_per_user(USERS, ITEMS, TRUE, SCORES, k=20)
    assert ids.tolist() == [0, 1] and counts.tolist() == [3, 1]
    assert per_user == pytest.approx([DCG0 / IDCG0, 1.0])


def test_ndcg_cutoff():
    # k=1: only the top-ranked item counts: 3 / 5; k=2: 3 + 1/log2(3) over 5 + 3/log2(3).
    assert ndcg_at_k(USERS[:3], ITEMS[:3], TRUE[:3], SCORES[:3], k=1) == pytest.approx(3 / 5)
    assert ndcg_at_k(USERS[:3], ITEMS[:3], TRUE[:3], SCORES[:3], k=2) == pytest.approx(
        (3 + 1 / np.log2(3)) / (5 + 3 / np.log2(3)))


def test_ndcg_exp_gain():
    g = lambda r: 2.0 ** r - 1  # noqa: E731
    dcg = g(3) + g(1) / np.log2(3) + g(5) / 2
    idcg = g(5) + g(3) / np.log2(3) + g(1) / 2
    assert ndcg_at_k(USERS[:3], ITEMS[:3], TRUE[:3], SCORES[:3], gain="exp") == pytest.approx(dcg / idcg)


def test_ndcg_ties_broken_by_item_index_and_order_free():
    # Equal scores: item 1 ranks before item 3.
    assert ndcg_at_k([0, 0], [3, 1], [2.0, 4.0], [0.5, 0.5]) == pytest.approx(1.0)
    expected = (2 + 4 / np.log2(3)) / (4 + 2 / np.log2(3))
    assert ndcg_at_k([0, 0], [3, 1], [4.0, 2.0], [0.5, 0.5]) == pytest.approx(expected)
    # The order of the input rows does not matter.
    perm = np.array([3, 1, 0, 2])
    assert ndcg_at_k(USERS[perm], ITEMS[perm], TRUE[perm], SCORES[perm]) == pytest.approx(
        ndcg_at_k(USERS, ITEMS, TRUE, SCORES))


def test_ndcg_perfect_and_edge_cases():
    rng = np.random.default_rng(0)
    users = rng.integers(0, 20, 300)
    items = rng.permutation(300)
    true = rng.integers(1, 6, 300).astype(float)
    assert ndcg_at_k(users, items, true, true) == pytest.approx(1.0)
    assert ndcg_at_k(users, items, true, -true) < 1.0
    assert np.isnan(ndcg_at_k(USERS, ITEMS, TRUE, SCORES, min_items=5))
    with pytest.raises(ValueError):
        ndcg_at_k(USERS, ITEMS, TRUE, SCORES, k=0)
    with pytest.raises(ValueError):
        ndcg_at_k(USERS, ITEMS, TRUE, np.array([np.nan, 1, 2, 3]))
