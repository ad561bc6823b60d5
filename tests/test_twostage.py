"""Chapter 4 two-stage bandits: learners, allocation (section 4.8), regret split (section 4.2)."""

import numpy as np
import pytest
import scipy.sparse as sp

from recdyn.twostage.amazon import category_shares, prepare_amazon, reward_histogram, reward_statistics
from recdyn.twostage.policies import LinearLearner, random_argmax, sample_softmax
from recdyn.twostage.problems import AmazonProblem, SyntheticProblem
from recdyn.twostage.systems import (Hyper, allocate_features, allocate_pools, pool_owner, pool_template,
                                     run_system)


def test_sherman_morrison_equals_closed_form_ridge():
    rng = np.random.default_rng(0)
    B, K, k, T = 3, 2, 4, 25
    lam = np.array([0.1, 1.0, 3.0])
    learner = LinearLearner("ucb", B, K, k, lam=lam, alpha=0.5)
    xs = rng.standard_normal((T, B, K, k))
    rs = rng.standard_normal((T, B))
    w = (rng.random((T, B, K)) < 0.7).astype(float)
    for t in range(T):
        learner.update(xs[t], rs[t], w[t])
    for b in range(B):
        for c in range(K):
            X, W = xs[:, b, c], w[:, b, c]
            gram = lam[b] * k * np.eye(k) + (X * W[:, None]).T @ X
            theta = np.linalg.solve(gram, X.T @ (W * rs[:, b]))
            np.testing.assert_allclose(learner.theta[b, c], theta, rtol=1e-8, atol=1e-10)
            np.testing.assert_allclose(learner.sigma[b, c], np.linalg.inv(gram), rtol=1e-8, atol=1e-12)


def test_ucb_scores_use_bonus_and_greedy_breaks_ties_randomly():
    rng = np.random.default_rng(1)
    x = rng.standard_normal((1, 1, 5, 3))
    ucb = LinearLearner("ucb", 1, 1, 3, lam=1.0, alpha=2.0)
    expected = 2.0 * np.sqrt((x[0, 0] ** 2).sum(axis=1) / 3.0)
    np.testing.assert_allclose(ucb.scores(x)[0, 0], expected)
    picks = random_argmax(np.zeros((4000, 5)), np.ones((4000, 5), bool), rng)
    assert np.all(np.bincount(picks, minlength=5) > 650)
    mask = np.array([[True, False, True]])
    assert set(random_argmax(np.zeros((200, 3)), np.repeat(mask, 200, 0), rng)) == {0, 2}


def test_softmax_sampling_matches_probabilities():
    rng = np.random.default_rng(2)
    logits = np.log(np.array([[0.2, 0.5, 0.3, 9.0]]))
    mask = np.array([[True, True, True, False]])
    draws = sample_softmax(np.repeat(logits, 20000, 0), np.repeat(mask, 20000, 0), rng)
    freq = np.bincount(draws, minlength=4) / draws.size
    np.testing.assert_allclose(freq, [0.2, 0.5, 0.3, 0.0], atol=0.015)


@pytest.mark.parametrize("arms,n", [(10, 3), (100, 5), (7, 7), (23, 4)])
def test_pool_allocation_section_4_8(arms, n):
    pos, mask = pool_template(arms, n)
    sizes = mask.sum(axis=1)
    q, rem = divmod(arms, n)
    assert list(sizes) == [q + 1] * rem + [q] * (n - rem)
    pools, pmask = allocate_pools(np.random.default_rng(0), 4, arms, n)
    for b in range(4):
        members = pools[b][pmask[b]]
        assert sorted(members) == list(range(arms))  # a partition: no overlap, all arms
    owner = pool_owner(pools, pmask, arms)
    assert np.all(owner >= 0)
    for b in range(4):
        for j in range(n):
            assert set(np.flatnonzero(owner[b] == j)) == set(pools[b, j][pmask[b, j]])


@pytest.mark.parametrize("d,s,n", [(20, 4, 5), (20, 10, 5), (40, 40, 2), (10, 3, 20), (80, 16, 5)])
def test_feature_allocation_section_4_8(d, s, n):
    feats = allocate_features(np.random.default_rng(3), 6, d, s, n)
    assert feats.shape == (6, n, s)
    s1 = min(s, d // n)
    for b in range(6):
        for j in range(n):
            assert len(set(feats[b, j])) == s  # no repeated feature within a set
        own = feats[b, :, :s1]
        assert len(set(own.ravel())) == n * s1  # the first s' features of the sets do not overlap


def _tiny_problem():
    return SyntheticProblem(n_arms=12, dim=6, noise_std=0.1)


@pytest.mark.parametrize("system", ["U+U", "U+G", "G+G", "PG+PG", "U+PG"])
def test_regret_decomposition_adds_up(system):
    res = run_system(_tiny_problem(), system, n_rounds=60, batch=5, s=3, n_nominators=3, seed=4,
                     hyper={"ucb": Hyper(0.1, 0.5), "greedy": Hyper(0.1), "pg": Hyper(lr=0.5)})
    np.testing.assert_allclose(res.nominator + res.ranker, res.regret, rtol=1e-12, atol=1e-10)
    assert np.all(res.nominator >= -1e-12) and np.all(res.ranker >= -1e-12)
    assert np.all(np.diff(res.regret, axis=0) >= -1e-9)


def test_single_stage_with_all_features_and_one_arm_per_pool_is_oracle():
    # N = |A|: every arm is a candidate, so nominator regret is exactly zero
    res = run_system(_tiny_problem(), "U+U", n_rounds=30, batch=3, s=2, n_nominators=12, seed=5)
    assert np.all(res.nominator == 0)
    single = run_system(_tiny_problem(), "U", n_rounds=30, batch=3, s=2, seed=5)
    assert np.all(single.ranker == 0)


def test_two_stage_beats_single_stage_under_misspecification():
    hy = {"ucb": Hyper(0.01, 0.1), "greedy": Hyper(0.01)}
    one = run_system(SyntheticProblem(50, 20), "U", n_rounds=300, batch=8, s=5, seed=6, hyper=hy)
    two = run_system(SyntheticProblem(50, 20), "U+U", n_rounds=300, batch=8, s=5, n_nominators=5, seed=6, hyper=hy)
    assert two.regret[-1].mean() < 0.7 * one.regret[-1].mean()
    assert one.regret[-1].mean() < 0.9 * one.random[-1].mean()


def _fake_amazon(rng, n_items=400, n_cats=40, dim=12):
    freq = 0.6 * np.arange(1, n_cats + 1) ** -0.8
    labels = sp.csr_matrix((rng.random((n_items, n_cats)) < freq).astype(np.float32))
    feats = rng.normal(3.0, 2.0, (n_items, dim)) + labels.toarray() @ rng.normal(size=(n_cats, dim))
    return feats.astype(np.float32), labels


def test_prepare_amazon_ranks_and_standardises():
    rng = np.random.default_rng(7)
    feats, labels = _fake_amazon(rng)
    data = prepare_amazon(feats, labels, n_features=8, category_ranks=(3, 22))
    assert data.features.shape == (400, 8) and data.features.dtype == np.float32
    assert abs(data.features.mean()) < 1e-5 and abs(data.features.std() - 1) < 1e-4
    counts = np.asarray(labels.sum(axis=0)).ravel()
    order = np.argsort(-counts, kind="stable")
    np.testing.assert_array_equal(data.categories, order[2:22])
    assert data.labels.shape == (400, 20)
    assert np.all(np.diff(np.asarray(data.labels.sum(axis=0)).ravel()) <= 0)
    hist = reward_histogram(data, "frequency", n_arms=50, n_draws=20)
    assert np.isclose(hist["share"].sum(), 1) and np.all(np.diff(hist["share"]) <= 1e-12)
    shares = category_shares(data, "uniform")
    np.testing.assert_allclose(shares["share"], data.frequency / data.frequency.sum())
    stats = reward_statistics(data, "frequency")
    assert stats["positive_rate"] >= stats["pair_rate"]  # frequency-weighted targets favour big categories


def test_amazon_problem_rewards_match_their_means():
    rng = np.random.default_rng(8)
    feats, labels = _fake_amazon(rng)
    data = prepare_amazon(feats, labels, n_features=8, category_ranks=(1, 20))
    problem = AmazonProblem(data, n_arms=10)
    problem.reset(rng, 2)
    assert all(len(set(row)) == 10 for row in problem.items)
    _, f = problem.contexts(rng)
    chosen = np.array([0, 3])
    draws = np.mean([problem.reward(rng, chosen) for _ in range(6000)], axis=0)
    np.testing.assert_allclose(draws, f[[0, 1], chosen], atol=0.03)


def test_fixed_arm_width_cache_matches_direct_computation():
    rng = np.random.default_rng(9)
    x = rng.standard_normal((2, 3, 7, 4))
    cached = LinearLearner("ucb", 2, 3, 4, lam=0.5, alpha=1.5)
    direct = LinearLearner("ucb", 2, 3, 4, lam=0.5, alpha=1.5)
    cached.fix_arms(x)
    for _ in range(15):
        obs, r, w = rng.standard_normal((2, 3, 4)), rng.standard_normal(2), (rng.random((2, 3)) < 0.6).astype(float)
        cached.update(obs, r, w)
        direct.update(obs, r, w)
    np.testing.assert_allclose(cached.scores(x), direct.scores(x.copy()), rtol=1e-9)


def test_figure_4_2_marks_top_and_bottom_shares():
    import matplotlib.pyplot as plt
    import pandas as pd

    from recdyn.plots.ch4_twostage import plot_figure_4_2

    shares = np.sort(np.random.default_rng(0).dirichlet(np.ones(100)))[::-1]
    fig = plot_figure_4_2(pd.DataFrame({"rank": np.arange(1, 101), "share": shares}))
    labels = [text.get_text() for text in fig.axes[0].get_legend().get_texts()]
    assert labels == [f"top 5: {100 * shares[:5].sum():.2f}%", f"bottom 50: {100 * shares[-50:].sum():.2f}%"]
    assert len(fig.axes[0].patches) == 100
    plt.close(fig)
    with pytest.raises(ValueError, match="non-negative"):
        plot_figure_4_2(pd.DataFrame({"rank": [1, 2], "share": [0.5, -0.1]}))


def test_rank_one_downdate_matches_numpy_bit_for_bit():
    """The in-place BLAS rank-one update is the numpy expression it replaces, to the last bit."""
    from recdyn.twostage.policies import rank_one_downdate

    rng = np.random.default_rng(7)
    for shape in [(3, 4, 9, 9), (2, 5, 120, 120)]:  # below and above TORCH_MIN_ENTRIES
        sigma = rng.standard_normal(shape)
        a, b = rng.standard_normal(shape[:-1]), rng.standard_normal(shape[:-1])
        expected = sigma - a[..., :, None] * b[..., None, :]
        rank_one_downdate(sigma, a, b)
        assert np.array_equal(sigma, expected)
    with pytest.raises(ValueError, match="C-contiguous"):
        rank_one_downdate(np.asfortranarray(sigma[0, 0]), a[0, 0], b[0, 0])


def test_nominator_view_index_is_the_two_step_gather():
    """One flat gather per round gives each nominator's view of fresh contexts, padded pools included."""
    from recdyn.twostage.systems import _gather_rows, _nominator_view_index, _take_features

    rng = np.random.default_rng(5)
    batch, n_arms, dim, n_nom, s = 4, 7, 6, 3, 2  # 7 arms over 3 pools: one pool is padded
    x = rng.standard_normal((batch, n_arms, dim))
    pools, _ = allocate_pools(rng, batch, n_arms, n_nom)
    feats = allocate_features(rng, batch, dim, s, n_nom)
    expected = _take_features(_gather_rows(x, pools), feats)
    assert np.array_equal(np.take(x, _nominator_view_index(x.shape, pools, feats)), expected)
