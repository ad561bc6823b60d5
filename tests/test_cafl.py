"""CAFL (thesis chapter 3, sections 3.3-3.4): the estimator, the weighted ALS, the policies and
the section 3.4 experiment."""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest

from recdyn.cafl import experiment as cafl_experiment
from recdyn.cafl import wals as cafl_wals
from recdyn.cafl.experiment import (LEARNERS, RECORD_COLUMNS, mean_pairwise_jaccard, run_cafl,
                                    sample_test_pairs, top_k_dense_sets, top_k_sets)
from recdyn.cafl.policy import EpsilonGreedy, Softmax, UniformPolicy, draw_from, make_policy
from recdyn.cafl.wals import fit_wals, gram_matrices, solve_rows, wals_objective
from recdyn.cafl.weights import (cafl_constants, cafl_constants_general, cafl_weights, corollary1_weights,
                                 theorem2_estimate, theorem2_weights)
from recdyn.envs import make_env


# ---- the estimator -------------------------------------------------------------------------
def _single_pool_run(rng: np.random.Generator, n: int, t: int, *, uniform: bool = False):
    """One pair per step from a pool of n, never twice, with probabilities that depend on the
    past (a feedback loop): returns (probs (t, n), recs (t, n), chosen, their probabilities)."""
    ratings = rng.normal(3.0, 1.0, size=n)
    seen = np.zeros(n, dtype=bool)
    probs = np.zeros((t, n))
    recs = np.zeros((t, n), dtype=bool)
    chosen, chosen_p = [], []
    for s in range(t):
        score = np.full(n, ratings[seen].mean() if seen.any() else 0.0) + 0.5 * np.arange(n) / n
        score[::2] += ratings[seen][::2].sum() if seen.any() else 0.0
        q = np.where(seen, 0.0, 1.0 if uniform else np.exp(score - score.max()))
        q /= q.sum()
        j = rng.choice(n, p=q)
        probs[s], recs[s, j] = q, True
        chosen.append(j)
        chosen_p.append(q[j])
        seen[j] = True
    return probs, recs, np.array(chosen), np.array(chosen_p)


def test_constants_sum_to_t_and_match_thesis():
    n, t = 50, 12
    c = cafl_constants(t, n)
    s = np.arange(1, t + 1)
    assert np.allclose(c, n * (n - t) / ((n - s) * (n - s + 1)))
    assert c.sum() == pytest.approx(t)
    assert cafl_constants_general([20, 17, 17, 11, 9]).sum() == pytest.approx(4)


def test_corollary1_equals_bruteforce_theorem2():
    rng = np.random.default_rng(0)
    n, t = 7, 5
    probs, recs, chosen, chosen_p = _single_pool_run(rng, n, t)
    c = cafl_constants(t, n)
    brute = theorem2_weights(probs, recs, c)[np.arange(t), chosen]
    steps = np.arange(1, t + 1)
    assert np.allclose(corollary1_weights(chosen_p, steps, t, n), brute)
    assert np.allclose(cafl_weights(chosen_p, steps, n - np.arange(t + 1), normalize=False), brute)
    assert np.allclose(corollary1_weights(chosen_p, steps, t, n, normalize=True), brute / n)
    # The weights are the coefficients of the literal double sum of Theorem 2, in a (t, U, I) shape.
    loglik = rng.normal(size=(t, n))
    assert theorem2_estimate(probs.reshape(t, 1, n), recs.reshape(t, 1, n), loglik.reshape(t, 1, n), c) == \
        pytest.approx(np.sum(theorem2_weights(probs, recs, c) * loglik))


def test_theorem2_unbiased_by_exact_enumeration():
    """E[L_CAFL(c)] = t * sum of all pairs' log-likelihoods, over every trajectory of a policy that
    depends on the ratings observed so far, for the thesis' c and for another c with sum t."""
    n, t = 5, 3
    loss = np.array([0.3, -1.2, 2.0, 0.7, -0.4])  # deterministic per-pair log-likelihoods
    rating = np.array([1.0, 4.0, 2.0, 5.0, 3.0])
    for c in (cafl_constants(t, n), np.array([0.5, 2.0, 0.5])):
        expected = 0.0
        total_p = 0.0
        for seq in itertools.permutations(range(n), t):
            probs = np.zeros((t, n))
            recs = np.zeros((t, n), dtype=bool)
            seen = np.zeros(n, dtype=bool)
            p_seq = 1.0
            for s, j in enumerate(seq):
                score = np.where(np.arange(n) % 2 == 0, rating[seen].sum(), -rating[seen].sum())
                q = np.where(seen, 0.0, np.exp(0.3 * score))
                q /= q.sum()
                probs[s], recs[s, j] = q, True
                p_seq *= q[j]
                seen[j] = True
            expected += p_seq * theorem2_estimate(probs, recs, np.broadcast_to(loss, (t, n)), c)
            total_p += p_seq
        assert total_p == pytest.approx(1.0)
        assert expected == pytest.approx(t * loss.sum())


def test_general_weights_equal_bruteforce_theorem2_with_several_users_per_step():
    rng = np.random.default_rng(1)
    n_users, n_items, t, online = 4, 5, 6, 2
    seen = np.zeros((n_users, n_items), dtype=bool)
    probs = np.zeros((t, n_users, n_items))
    recs = np.zeros((t, n_users, n_items), dtype=bool)
    obs = []
    remaining = [n_users * n_items]
    for s in range(t):
        scores = rng.normal(size=(n_users, n_items))
        q = Softmax(0.5).probabilities(scores, ~seen)
        probs[s] = online / n_users * q  # marginal: user online (uniform) x policy
        users = np.sort(rng.choice(n_users, online, replace=False))
        items = draw_from(q[users], rng)
        recs[s, users, items] = True
        obs += [(s, u, i) for u, i in zip(users, items)]
        seen[users, items] = True
        remaining.append(remaining[-1] - online)
    c = cafl_constants_general(remaining)
    assert c.sum() == pytest.approx(t)
    brute = theorem2_weights(probs, recs, c)
    s_idx, u_idx, i_idx = np.array(obs).T
    mine = cafl_weights(probs[s_idx, u_idx, i_idx], s_idx + 1, remaining, normalize=False)
    assert np.allclose(mine, brute[s_idx, u_idx, i_idx])
    assert np.count_nonzero(brute) == len(obs)


def test_uniform_policy_gives_constant_weights():
    rng = np.random.default_rng(2)
    n, t = 9, 6
    _, _, _, p = _single_pool_run(rng, n, t, uniform=True)
    steps = np.arange(1, t + 1)
    assert np.allclose(p, 1.0 / (n - steps + 1))
    assert np.allclose(corollary1_weights(p, steps, t, n), n)
    assert np.allclose(cafl_weights(p, steps, n - np.arange(t + 1)), 1.0)
    # several pairs per step (uneven): inclusion probability k_s / N_s gives weight 1 too
    remaining = np.array([30, 27, 27, 22, 20])
    k = -np.diff(remaining)
    steps = np.repeat(np.arange(1, 5), k)
    p = (k / remaining[:-1])[steps - 1]
    assert np.allclose(cafl_weights(p, steps, remaining), 1.0)
    # a policy that is uniform per user, with users online uniformly, as in run_cafl
    q = UniformPolicy().probabilities(np.zeros((3, 8)), np.ones((3, 8), dtype=bool))
    assert np.allclose(q, 1 / 8)


def test_cafl_weighted_risk_is_unbiased_for_the_uniform_risk():
    """Monte Carlo over a feedback loop (2 of 4 users online a step, softmax over a model refitted
    on the ratings seen so far): the CAFL-weighted mean loss matches the uniform-sampling risk
    (mean loss over all pairs); the unweighted mean loss does not."""
    rng = np.random.default_rng(3)
    reps, n_users, n_items, online, t, sigma, theta = 20000, 4, 6, 2, 4, 0.5, 1.0
    mu = np.array([[1.0, 1.5, 2.0, 3.0, 4.5, 5.0]]) + np.array([[0.0], [0.3], [-0.2], [0.1]])
    target = np.mean((mu - theta) ** 2) + sigma ** 2  # E[(R - theta)^2] averaged over all pairs
    seen = np.zeros((reps, n_users, n_items), dtype=bool)
    sums = np.zeros((reps, n_items))
    counts = np.zeros((reps, n_items))
    losses, probs, steps = [], [], []
    rows = np.arange(reps)[:, None]
    for s in range(t):
        # model: the item's mean observed rating (prior 3): the feedback loop favours high items
        score = (sums + 3.0) / (counts + 1.0)
        users = np.argsort(rng.random((reps, n_users)), axis=1)[:, :online]
        eligible = ~seen[rows, users]  # (reps, online, items)
        z = np.where(eligible, np.broadcast_to(score[:, None, :], eligible.shape) / 0.3, -np.inf)
        q = np.exp(z - z.max(axis=2, keepdims=True))
        q /= q.sum(axis=2, keepdims=True)
        items = draw_from(q.reshape(-1, n_items), rng).reshape(reps, online)
        r = mu[users, items] + sigma * rng.standard_normal((reps, online))
        seen[rows, users, items] = True
        np.add.at(sums, (np.repeat(np.arange(reps), online), items.ravel()), r.ravel())
        np.add.at(counts, (np.repeat(np.arange(reps), online), items.ravel()), 1.0)
        losses.append((r - theta) ** 2)
        probs.append(online / n_users * np.take_along_axis(q, items[:, :, None], axis=2)[:, :, 0])
        steps.append(np.full((reps, online), s + 1))
    loss = np.concatenate(losses, axis=1)
    weights = cafl_weights(np.concatenate(probs, axis=1).ravel(), np.concatenate(steps, axis=1).ravel(),
                           n_users * n_items - online * np.arange(t + 1)).reshape(loss.shape)
    cafl_risk = (weights * loss).mean(axis=1)
    naive_risk = loss.mean(axis=1)
    tol = 4 * cafl_risk.std() / np.sqrt(reps)
    assert abs(cafl_risk.mean() - target) < tol
    assert abs(naive_risk.mean() - target) > 10 * tol  # the unweighted risk is biased


# ---- weighted ALS ----------------------------------------------------------------------------
def _reference_half_step(rows, cols, values, weights, other, n_rows, reg, reg_by_weight=False):
    out = np.zeros((n_rows, other.shape[1]))
    for r in range(n_rows):
        m = rows == r
        if not m.any():
            continue
        y, w = other[cols[m]], weights[m]
        lam = reg * w.sum() if reg_by_weight and w.sum() > 0 else reg
        out[r] = np.linalg.solve((y.T * w) @ y + lam * np.eye(other.shape[1]), (y.T * w) @ values[m])
    return out


@pytest.mark.parametrize("backend", ["numpy", "torch"])
def test_batched_wals_half_step_equals_per_row_solve(monkeypatch, backend):
    monkeypatch.setattr(cafl_wals, "_GRAM_CHUNK_ELEMENTS", 600)  # force several chunks per bucket
    rng = np.random.default_rng(4)
    n_rows, n_cols, k = 40, 30, 6
    # skewed counts: a few rows with many observations (several buckets), some rows empty
    rows = np.concatenate([rng.integers(0, 35, 300), np.full(25, 3), np.full(29, 7)])
    cols = rng.integers(0, n_cols, rows.size)
    values = rng.normal(3, 1, rows.size)
    weights = rng.exponential(1.0, rows.size) * (rng.random(rows.size) > 0.1)  # some zero weights
    other = rng.normal(size=(n_cols, k))
    for reg_by_weight in (False, True):
        got = solve_rows(rows, cols, values, weights, other, n_rows, 0.3, reg_by_weight=reg_by_weight,
                         backend=backend)
        ref = _reference_half_step(rows, cols, values, weights, other, n_rows, 0.3, reg_by_weight)
        assert np.allclose(got, ref, atol=1e-10)
    gram = gram_matrices(rows, cols, weights, other, n_rows, backend=backend)
    r = 7
    m = rows == r
    assert np.allclose(gram[r], (other[cols[m]].T * weights[m]) @ other[cols[m]])
    assert np.all(gram[35:] == 0)


def test_wals_decreases_objective_and_is_deterministic():
    rng = np.random.default_rng(5)
    n_users, n_items, n = 25, 20, 200
    flat = rng.choice(n_users * n_items, n, replace=False)
    u, i = flat // n_items, flat % n_items
    r = rng.normal(3, 1, n)
    w = rng.exponential(1.0, n)
    objs = []
    for iters in range(1, 6):
        m = fit_wals(u, i, r, w, n_users=n_users, n_items=n_items, latent_dim=4, reg=0.1, n_iters=iters, seed=3)
        objs.append(wals_objective(m, u, i, r, w, reg=0.1))
    assert all(b <= a + 1e-9 for a, b in zip(objs, objs[1:]))
    again = fit_wals(u, i, r, w, n_users=n_users, n_items=n_items, latent_dim=4, reg=0.1, n_iters=5, seed=3)
    assert np.array_equal(again.user_factors, m.user_factors) and np.array_equal(again.item_factors, m.item_factors)
    warm = fit_wals(u, i, r, w, n_users=n_users, n_items=n_items, latent_dim=4, reg=0.1, n_iters=1, init=m)
    assert wals_objective(warm, u, i, r, w, reg=0.1) <= objs[-1] + 1e-9
    centred = fit_wals(u, i, r, n_users=n_users, n_items=n_items, latent_dim=4, reg=0.1, n_iters=3, center=True)
    assert centred.offset == pytest.approx(r.mean())
    empty = fit_wals(u[:0], i[:0], r[:0], n_users=n_users, n_items=n_items, latent_dim=4)
    assert np.all(empty.scores() == 0)
    # rows without observations: kept at their random initial draw (the CAFL authors' ALS), or 0
    keep = (u != 0) & (i >= 2)  # user 0 and items 0, 1 have no data
    seen = np.isin(np.arange(n_items), i[keep])
    assert not seen[:2].any()
    rnd = fit_wals(u[keep], i[keep], r[keep], n_users=n_users, n_items=n_items, latent_dim=4, reg=0.1, n_iters=3,
                   seed=5, unobserved="random")
    init = np.random.default_rng(5)
    p0 = init.standard_normal((n_users, 4)) * 0.1
    q0 = init.standard_normal((n_items, 4)) * 0.1
    assert np.allclose(rnd.user_factors[0], p0[0]) and np.allclose(rnd.item_factors[~seen], q0[~seen])
    assert np.unique(rnd.scores(np.array([1]))[0, ~seen]).size == np.count_nonzero(~seen)  # no ties
    zero = fit_wals(u[keep], i[keep], r[keep], n_users=n_users, n_items=n_items, latent_dim=4, reg=0.1,
                    n_iters=3, seed=5)
    assert np.all(zero.user_factors[0] == 0) and np.all(zero.item_factors[~seen] == 0)
    with pytest.raises(ValueError):
        fit_wals(u, i, r, n_users=n_users, n_items=n_items, unobserved="mean")
    with pytest.raises(ValueError):
        fit_wals(u, i, r, -w, n_users=n_users, n_items=n_items)


# ---- policies --------------------------------------------------------------------------------
def test_policy_probabilities_and_sampling():
    rng = np.random.default_rng(6)
    scores = np.array([[1.0, 3.0, 3.0, 0.0, 2.0], [0.0, 0.0, 0.0, 0.0, 0.0]])
    eligible = np.array([[True, True, True, True, False], [True, False, True, True, True]])
    q = EpsilonGreedy(0.2).probabilities(scores, eligible)
    assert np.allclose(q[0], [0.05, 0.45, 0.45, 0.05, 0.0])  # ties share the greedy mass
    assert np.allclose(q[1], [0.25, 0.0, 0.25, 0.25, 0.25])  # all tied: uniform
    s = Softmax(0.5).probabilities(scores, eligible)
    assert np.allclose(s.sum(axis=1), 1) and np.all(s[~eligible] == 0)
    assert s[0, 1] / s[0, 0] == pytest.approx(np.exp(4.0))
    items, p = make_policy("softmax", temperature=0.5).sample(np.repeat(scores[:1], 20000, 0),
                                                           np.repeat(eligible[:1], 20000, 0), rng)
    assert np.allclose(p[:, 0], s[0, items[:, 0]])
    assert np.allclose(np.bincount(items[:, 0], minlength=5) / 20000, s[0], atol=0.01)
    # slates: distinct eligible items; inclusion probabilities exact (uniform) or estimated
    slates, incl = UniformPolicy().sample(scores, eligible, rng, size=3)
    assert np.allclose(incl, [[3 / 4] * 3, [3 / 4] * 3])
    assert all(len(set(row)) == 3 and eligible[j, row].all() for j, row in enumerate(slates))
    slates, incl = EpsilonGreedy(0.2).sample(scores, eligible, rng, size=2, n_mc=4000)
    sims = EpsilonGreedy(0.2)._slates(np.repeat(scores, 4000, 0), np.repeat(eligible, 4000, 0), rng, 2)
    freq = np.array([[(sims.reshape(2, 4000, 2)[j] == item).any(axis=1).mean() for item in row]
                     for j, row in enumerate(slates)])
    assert np.allclose(incl, freq, atol=0.03)  # Monte Carlo inclusion probabilities
    with pytest.raises(ValueError):
        EpsilonGreedy(0.1).sample(scores, np.zeros_like(eligible), rng)


# ---- the experiment ----------------------------------------------------------------------------
def test_jaccard_and_test_pairs():
    rng = np.random.default_rng(7)
    sets = (rng.random((12, 15)) < 0.3)
    brute = [len(set(np.flatnonzero(a)) & set(np.flatnonzero(b))) / len(set(np.flatnonzero(a)) | set(np.flatnonzero(b)))
             for a, b in itertools.combinations(sets, 2) if (a | b).any()]
    import scipy.sparse as sp
    assert mean_pairwise_jaccard(sp.csr_array(sets.astype(float))) == pytest.approx(np.mean(brute))
    users = np.array([0, 0, 0, 1, 1, 2])
    items = np.array([0, 1, 2, 0, 1, 2])
    top = top_k_sets(users, items, np.array([5.0, 5.0, 1.0, 2.0, 3.0, 0.0]), np.array([0.9, 0.1, 0, 0, 0, 0]),
                     2, 3, 3).toarray()
    assert np.array_equal(top, [[1, 1, 0], [1, 1, 0], [0, 0, 1]])
    top1 = top_k_sets(users, items, np.array([5.0, 5.0, 1.0, 2.0, 3.0, 0.0]), np.array([0.9, 0.1, 0, 0, 0, 0]),
                      1, 3, 3).toarray()
    assert top1[0].tolist() == [0, 1, 0]  # tie broken by the lower key
    # dense version: integer scores with many ties, some ineligible cells, a row with < k eligible
    scores = rng.integers(0, 3, size=(6, 9)).astype(float)
    eligible = rng.random((6, 9)) < 0.8
    eligible[5, 2:] = False
    key = rng.random((6, 9))
    dense = top_k_dense_sets(scores, eligible, key, 4).toarray().astype(bool)
    for row in range(6):
        cand = np.flatnonzero(eligible[row])
        best = cand[np.lexsort((key[row, cand], -scores[row, cand]))][:4]
        assert set(np.flatnonzero(dense[row])) == set(best.tolist())
    excl = np.array([0, 3, 4, 11])
    u, i = sample_test_pairs(3, 4, 8, np.random.default_rng(0), exclude=excl)
    flat = u * 4 + i
    assert len(set(flat)) == 8 and not set(flat) & set(excl.tolist())


def _small_env():
    return make_env("beta-rank", n_users=30, n_items=40, online_users=2, initial_ratings=60, slate_size=1)


def test_run_cafl_records_all_learners():
    frames, logs = [], {}
    for learner in LEARNERS:
        frame, log = run_cafl(_small_env(), learner=learner, seed=11, steps=3, ratings_per_step=8, test_size=300,
                              wals_params=dict(latent_dim=3, n_iters=3), return_log=True)
        frames.append(frame)
        logs[learner] = log
    df = pd.concat(frames, ignore_index=True)
    assert list(df.columns) == list(RECORD_COLUMNS)
    assert len(df) == 3 * 4
    for learner, part in df.groupby("learner"):
        assert part["step"].tolist() == [0, 1, 2, 3]
        assert part["n_ratings"].tolist() == [0, 8, 16, 24]
        assert part[["rmse", "ndcg", "jaccard", "jaccard_oracle"]].iloc[1:].notna().all().all()
        assert ((part["ndcg"].iloc[1:] > 0) & (part["ndcg"].iloc[1:] <= 1)).all()
    # learners of one seed share the test set, hence the oracle's Jaccard and the step-0 model
    assert df.groupby("step")["jaccard_oracle"].nunique().eq(1).all()
    assert df[df.step == 0][["rmse", "ndcg", "jaccard"]].nunique().eq(1).all()
    assert (df[df.learner != "cafl"]["weight_mean"].iloc[1:].dropna() == 1).all()
    cafl_w = df[(df.learner == "cafl") & (df.step > 0)]["weight_max"]
    assert (cafl_w > 1).all()
    # never a test pair, never the same pair twice, probabilities logged
    streams = cafl_experiment._streams(11)
    env = _small_env()
    offline = env.reset(11)
    tu, ti = sample_test_pairs(30, 40, 300, streams["test"], exclude=offline.users * 40 + offline.items)
    test = set((tu * 40 + ti).tolist()) | set((offline.users * 40 + offline.items).tolist())
    for learner, log in logs.items():
        flat = (log.user * 40 + log.item).to_numpy()
        assert len(set(flat)) == len(flat) and not set(flat.tolist()) & test
        assert ((log.q > 0) & (log.q <= 1)).all() and np.allclose(log.prob, log.q * 2 / 30)
    assert ((logs["uniform"].q >= 1 / 40) & (logs["uniform"].q < 0.1)).all()  # 1 / (eligible items)


def test_run_cafl_is_deterministic_and_handles_slates():
    kwargs = dict(learner="cafl", seed=5, steps=2, ratings_per_step=4, test_size=200,
                  wals_params=dict(latent_dim=3, n_iters=2))
    a = run_cafl(_small_env(), **kwargs).drop(columns="fit_seconds")
    b = run_cafl(_small_env(), **kwargs).drop(columns="fit_seconds")
    pd.testing.assert_frame_equal(a, b)
    env = make_env("beta-rank", n_users=30, n_items=40, online_users=2, initial_ratings=0, slate_size=3)
    frame, log = run_cafl(env, policy="softmax", policy_params={"temperature": 0.5}, n_mc=50,
                          return_log=True, **{**kwargs, "learner": "cafl"})
    assert len(frame) == 3 and len(log) == 8 and (log.q > 0).all()
    eligible_sets = run_cafl(_small_env(), jaccard_items="eligible", **kwargs)
    assert eligible_sets["jaccard"].notna().all() and not np.allclose(eligible_sets["jaccard"], a["jaccard"])
    with pytest.raises(ValueError):
        run_cafl(_small_env(), learner="cafl", seed=0, steps=1, ratings_per_step=3, test_size=10)
    # a uniformly random policy: (nearly) constant CAFL weights (exactly 1 for a pool-uniform
    # policy; here users are uniform and items uniform per user, whose pools differ a little)
    uni = run_cafl(_small_env(), policy="uniform", **kwargs)
    assert np.allclose(uni["weight_mean"].iloc[1:], 1.0, atol=0.1)
    assert (uni["weight_max"].iloc[1:] < 1.35).all()


def test_rank_clip_ties_share_the_greedy_mass():
    """rank_clip=(0, 1) (the CAFL authors' clipped predictions): on 1-5 ratings most scores tie at
    1, so the greedy mass is split among the tied items and the logged q reflects it."""
    kwargs = dict(seed=7, steps=3, ratings_per_step=8, test_size=300, wals_params=dict(latent_dim=3, n_iters=3),
                  return_log=True)
    clipped, log = run_cafl(_small_env(), learner="feedback", rank_clip=(0.0, 1.0), **kwargs)
    raw, raw_log = run_cafl(_small_env(), learner="feedback", **kwargs)
    # with raw scores a greedy pick has q ~ 0.9; with clipped ties the greedy share is split
    assert log.q.mean() < 0.6 < raw_log.q.mean()
    assert (log.q > 0).all() and (log.q <= 1).all()
    assert np.allclose(clipped.loc[0, ["rmse", "ndcg"]], raw.loc[0, ["rmse", "ndcg"]])  # metrics unclipped
    with pytest.raises(ValueError):
        run_cafl(_small_env(), learner="feedback", rank_clip=(1.0, 0.0), **kwargs)
