"""Hardmax exposure games and the section 5.6 solvers (LP, Lemma 9 partition test, hitting-set search)."""

from __future__ import annotations

import numpy as np
import pytest

from recdyn.exposure import hardmax as hm

LEMMA8 = hm.circle_points([90, 210, 330])


def test_hardmax_utilities_split_ties_and_sum_to_one():
    c = np.eye(2)
    s = np.array([[[1.0, 0.0], [1.0, 0.0]], [[1.0, 0.0], [0.0, 1.0]], [[0.6, 0.8], [0.8, 0.6]]])
    u = hm.hardmax_utilities(s, c)
    np.testing.assert_allclose(u, [[0.5, 0.5], [0.5, 0.5], [0.5, 0.5]])
    rng = np.random.default_rng(0)
    s = hm.unit(rng.normal(size=(50, 4, 3)))
    np.testing.assert_allclose(hm.hardmax_utilities(s, hm.unit(rng.normal(size=(7, 3)))).sum(-1), 1.0)


def test_pairwise_utility_is_constant_sum():
    g = hm.sphere_grid(2, 36)
    U = hm.payoff_matrix(g, LEMMA8)
    np.testing.assert_allclose(U + U.T, 1.0)


@pytest.mark.parametrize("d,k,nonneg", [(2, 12, False), (3, 7, False), (4, 3, True)])
def test_sphere_grid_is_on_the_sphere(d, k, nonneg):
    g = hm.sphere_grid(d, k, nonnegative=nonneg)
    assert g.shape == (k ** (d - 1), d)
    np.testing.assert_allclose(np.linalg.norm(g, axis=1), 1.0)
    if nonneg:
        assert (g >= -1e-12).all()


def test_sphere_grid_refuses_beyond_bound():
    with pytest.raises(ValueError, match="max_strategies"):
        hm.sphere_grid(4, 30, max_strategies=1000)


def test_lp_finds_lemma8_equilibrium():
    grid = hm.sphere_grid(2, 360)
    sol = hm.solve_discretized_game(hm.payoff_matrix(grid, LEMMA8))
    assert sol.value == pytest.approx(0.5, abs=1e-9)
    assert sol.exploitability <= 1e-9
    support = grid[sol.x > 0]
    np.testing.assert_allclose(np.sort(np.round(np.rad2deg(np.arctan2(support[:, 1], support[:, 0])) % 360)),
                               [90, 210, 330])
    np.testing.assert_allclose(sol.x[sol.x > 0], 1 / 3, atol=1e-6)


def test_lp_value_half_for_random_game():
    rng = np.random.default_rng(1)
    c = hm.unit(rng.normal(size=(5, 2)))
    sol = hm.solve_discretized_game(hm.payoff_matrix(hm.sphere_grid(2, 90), c), spread=False)
    assert sol.value == pytest.approx(0.5, abs=1e-7)


def test_lemma9_accepts_lemma8_and_rejects_perturbation():
    ok = hm.lemma9_test(LEMMA8, np.full(3, 1 / 3), LEMMA8)
    assert ok.is_equilibrium and ok.best_reply_value == pytest.approx(0.5)
    bad = hm.lemma9_test(hm.circle_points([95, 215, 335]), np.full(3, 1 / 3), LEMMA8)
    assert not bad.is_equilibrium
    assert bad.best_reply_value == pytest.approx(5 / 9)
    # every witness really dominates: the opponent gets more than 1/2 there
    support = hm.circle_points([95, 215, 335])
    values = 1 - hm.pairwise_utility(support, bad.witnesses, LEMMA8).T @ np.full(3, 1 / 3)
    np.testing.assert_allclose(values, bad.witness_values)
    assert (values > 0.5).all()


def test_lemma9_weight_bound():
    """On the consumers, (a, b, c) is an equilibrium iff every weight is at most 1/2 (our derivation)."""
    assert hm.lemma9_test(LEMMA8, np.array([0.5, 0.5, 0.0]), LEMMA8).is_equilibrium
    res = hm.lemma9_test(LEMMA8, np.array([0.6, 0.4, 0.0]), LEMMA8)
    assert not res.is_equilibrium and res.best_reply_value == pytest.approx((2 * 0.6 + 0.4) / 3)


def test_lemma9_agrees_with_dense_grid_in_3d():
    e = np.eye(3)
    res = hm.lemma9_test(e, np.full(3, 1 / 3), e)
    grid = hm.sphere_grid(3, 60)
    grid_best = (1 - hm.pairwise_utility(e, grid, e).T @ np.full(3, 1 / 3)).max()
    assert not res.is_equilibrium
    assert res.best_reply_value >= grid_best - 1e-12
    assert res.best_reply_value == pytest.approx(2 / 3)


def test_lemma9_refuses_too_many_cells():
    with pytest.raises(ValueError, match="max_cells"):
        hm.lemma9_test(LEMMA8, np.full(3, 1 / 3), LEMMA8, max_cells=10)


def test_hitting_set_search_finds_certified_equilibrium():
    res = hm.hitting_set_search(LEMMA8, 3, hm.sphere_grid(2, 12))
    assert res.found and len(res.support) <= 3
    assert hm.lemma9_test(res.support, res.probs, LEMMA8).is_equilibrium


def test_hitting_set_search_reports_failure_with_one_point():
    res = hm.hitting_set_search(LEMMA8, 1, hm.sphere_grid(2, 12), max_iter=5)
    assert not res.found


def test_best_response_cycle_never_settles():
    grid = hm.sphere_grid(2, 360)
    dyn = hm.best_response_dynamics(grid, hm.circle_points([90, 90]), LEMMA8, steps=6)
    assert (dyn["after"] > dyn["before"] + 0.1).all()
    assert hm.max_deviation_gain(grid, LEMMA8).min() == pytest.approx(2 / 3)
