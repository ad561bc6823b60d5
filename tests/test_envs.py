"""Property tests of the simulated environments (thesis section 2.3): the equations, the
documented RecLab readings, determinism, state round trips and input validation."""

from __future__ import annotations

import sys
import types

import numpy as np
import pytest

from recdyn.envs import ENV_NAMES, make_env
from recdyn.envs.base import within_user_rounds
from recdyn.envs.latent import LatentEnv
from recdyn.envs.slate import BetaRankEnv, LatentScoreEnv, beta_mean_sd
from recdyn.envs.topics import TopicsEnv
from recdyn.fit.libfm import FactorModel


# ---- offline sampling: the real module if present, else a uniform stand-in (tests only) ------
def _uniform_pairs(env, n, scheme, rng):
    flat = np.sort(rng.choice(env.n_users * env.n_items, size=n, replace=False))
    return flat // env.n_items, flat % env.n_items


@pytest.fixture(autouse=True)
def _sampling(monkeypatch):
    try:
        import recdyn.sim.sampling  # noqa: F401
    except ImportError:
        module = types.ModuleType("recdyn.sim.sampling")
        module.sample_pairs = _uniform_pairs
        monkeypatch.setitem(sys.modules, "recdyn.sim.sampling", module)


# ---- helpers ---------------------------------------------------------------------------------
def tiny_model(n_users=30, n_items=40, dim=4, seed=0) -> FactorModel:
    rng = np.random.default_rng(seed)
    return FactorModel(global_bias=3.2, user_bias=rng.normal(0, 0.5, n_users),
                       item_bias=rng.normal(0, 0.5, n_items), user_factors=rng.normal(0, 0.6, (n_users, dim)),
                       item_factors=rng.normal(0, 0.6, (n_items, dim)))


SMALL = {
    "topics-static": dict(n_topics=5, n_users=60, n_items=80, online_users=12, initial_ratings=900),
    "topics-dynamic": dict(n_topics=5, n_users=60, n_items=80, online_users=12, initial_ratings=900),
    "latent-static": dict(latent_dim=8, n_users=50, n_items=70, online_users=10, initial_ratings=800),
    "latent-dynamic": dict(latent_dim=8, n_users=50, n_items=70, online_users=10, initial_ratings=800),
    "ml-100k": dict(model=tiny_model(), online_users=6, initial_ratings=300),
    "latent-score": dict(n_users=30, n_items=50, online_users=6, initial_ratings=200, slate_size=5),
    "beta-rank": dict(n_users=30, n_items=50, online_users=6, initial_ratings=200, slate_size=5),
}


def small_env(name, **overrides):
    return make_env(name, **{**SMALL[name], **overrides})


def recommendations(env, rng):
    n = env.n_online
    if env.slate_size == 1:
        return rng.integers(env.n_items, size=n)
    return np.argsort(rng.random((n, env.n_items)), axis=1)[:, :env.slate_size]


def run(env, steps, seed=1):
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(steps):
        users = env.online_users().copy()
        result = env.step(recommendations(env, rng))
        out.append((users, result.items, result.ratings))
    return out


def assert_trials_equal(a, b):
    assert len(a) == len(b)
    for (u1, i1, r1), (u2, i2, r2) in zip(a, b):
        np.testing.assert_array_equal(u1, u2)
        np.testing.assert_array_equal(i1, i2)
        np.testing.assert_array_equal(r1, r2)


# ---- registry --------------------------------------------------------------------------------
def test_registry_names_and_defaults():
    assert set(ENV_NAMES) == {"topics-static", "topics-dynamic", "latent-static", "latent-dynamic",
                              "ml-100k", "latent-score", "beta-rank"}
    td = make_env("topics-dynamic")
    assert (td.n_topics, td.n_users, td.n_items, td.n_online, td.initial_ratings) == (19, 1000, 1700, 200, 100_000)
    dynamics = (td.topic_change, td.memory_length, td.boredom_threshold, td.boredom_penalty, td.noise)
    assert dynamics == (0.1, 5, 2, 1.0, 0.5)
    assert (td.boredom_rule, td.affinity_rule, td.offline_dynamics) == ("more-than", "reclab", "after")
    ts = make_env("topics-static")
    assert (ts.topic_change, ts.memory_length, ts.boredom_penalty) == (0.0, 0, 0.0)
    ls = make_env("latent-static")
    sizes = (ls.latent_dim, ls.n_users, ls.n_items, ls.n_online, ls.initial_ratings, ls.offset, ls.bias_sd)
    assert sizes == (100, 943, 1682, 188, 100_000, 3.0, 0.5)
    assert ls.factor_sd == pytest.approx((0.5 / 100) ** 0.25)
    ld = make_env("latent-dynamic")
    assert (ld.affinity_change, ld.memory_length, ld.boredom_threshold, ld.boredom_penalty) == (0.2, 5, 0.0, 2.0)
    for name in ("latent-score", "beta-rank"):
        env = make_env(name)
        assert (env.n_users, env.n_items, env.n_online, env.initial_ratings, env.slate_size) == (100, 170, 20, 1000, 10)
    with pytest.raises(ValueError, match="unknown environment"):
        make_env("topics")
    with pytest.raises(ValueError, match="model"):
        make_env("ml-100k")
    with pytest.raises(TypeError, match="topics-static"):
        make_env("topics-static", no_such_parameter=1)


@pytest.mark.parametrize("name", ["topics-static", "topics-dynamic", "latent-static", "latent-dynamic"])
def test_default_sizes_reset_and_step(name):
    env = make_env(name)
    data = env.reset(0)
    assert len(data) == env.initial_ratings
    assert len(np.unique(data.users * env.n_items + data.items)) == len(data)
    result = env.step(np.random.default_rng(0).integers(env.n_items, size=env.n_online))
    assert result.ratings.shape == (env.n_online,)
    assert env.true_ratings().shape == (env.n_users, env.n_items)


# ---- ranges ----------------------------------------------------------------------------------
@pytest.mark.parametrize("name", ENV_NAMES)
def test_ratings_within_range(name):
    env = small_env(name)
    data = env.reset(3)
    low, high = env.rating_range
    assert (low, high) == (1.0, 5.0)
    assert data.ratings.min() >= low and data.ratings.max() <= high
    for _, _, ratings in run(env, 15):
        assert ratings.min() >= low and ratings.max() <= high
    truth = env.true_ratings()
    assert truth.shape == (env.n_users, env.n_items)
    assert truth.min() >= low and truth.max() <= high


def test_extreme_noise_still_clipped():
    env = small_env("topics-dynamic", noise=50.0)
    data = env.reset(0)
    assert data.ratings.min() == 1.0 and data.ratings.max() == 5.0
    assert ((data.ratings == 1.0) | (data.ratings == 5.0)).mean() > 0.9
    env = small_env("latent-dynamic", noise=50.0)
    env.reset(0)
    for _, _, ratings in run(env, 5):
        assert ratings.min() >= 1.0 and ratings.max() <= 5.0


# ---- determinism and state -------------------------------------------------------------------
@pytest.mark.parametrize("name", ENV_NAMES)
def test_same_seed_same_trial(name):
    a, b = small_env(name), small_env(name)
    da, db = a.reset(11), b.reset(11)
    for field in ("users", "items", "ratings"):
        np.testing.assert_array_equal(getattr(da, field), getattr(db, field))
    assert_trials_equal(run(a, 8), run(b, 8))
    np.testing.assert_array_equal(a.true_ratings(), b.true_ratings())
    c = small_env(name)
    dc = c.reset(12)
    assert not np.array_equal(da.ratings, dc.ratings) or not np.array_equal(da.users, dc.users)


@pytest.mark.parametrize("name", ENV_NAMES)
def test_state_dict_round_trip(name):
    env = small_env(name)
    env.reset(5)
    run(env, 4, seed=2)
    saved = env.state_dict()
    truth = env.true_ratings()
    first = run(env, 6, seed=3)
    env.load_state_dict(saved)
    np.testing.assert_array_equal(env.true_ratings(), truth)
    assert_trials_equal(first, run(env, 6, seed=3))
    fresh = small_env(name)  # never reset: everything comes from the state dict
    fresh.load_state_dict(saved)
    assert fresh.timestep == 4
    assert_trials_equal(first, run(fresh, 6, seed=3))
    other = small_env("topics-static") if name != "topics-static" else small_env("latent-static")
    with pytest.raises(ValueError, match="cannot be loaded"):
        other.load_state_dict(saved)


def test_state_dict_is_a_copy():
    env = small_env("topics-dynamic")
    env.reset(0)
    saved = env.state_dict()
    pref = saved["state"]["_h_pref"].copy()
    run(env, 5)
    np.testing.assert_array_equal(saved["state"]["_h_pref"], pref)


def test_true_ratings_returns_new_array_and_keeps_state():
    env = small_env("topics-dynamic")
    env.reset(0)
    run(env, 3)
    t1 = env.true_ratings()
    t1[:] = 0.0
    np.testing.assert_array_equal(env.true_ratings(), env.true_ratings())
    assert env.true_ratings().min() >= 1.0


def test_true_ratings_matches_pairwise_expected():
    for name in ENV_NAMES:
        env = small_env(name)
        env.reset(4)
        run(env, 12)
        users = np.repeat(np.arange(env.n_users), env.n_items)
        items = np.tile(np.arange(env.n_items), env.n_users)
        np.testing.assert_allclose(env.true_ratings(), env._expected(users, items).reshape(env.n_users, env.n_items),
                                   rtol=0, atol=1e-12, err_msg=name)


@pytest.mark.parametrize("name", ENV_NAMES)
def test_true_ratings_at_are_cells_of_true_ratings(name):
    """The online protocol and the Oracle's predictions read only the recommended cells; they must
    be the dense matrix's cells (any shape, repeated pairs, boredom history included)."""
    env = small_env(name)
    env.reset(6)
    run(env, 9)
    rng = np.random.default_rng(1)
    users, items = rng.integers(0, env.n_users, (7, 3)), rng.integers(0, env.n_items, (7, 3))
    at = env.true_ratings_at(users, items)
    assert at.shape == (7, 3)
    np.testing.assert_allclose(at, env.true_ratings()[users, items], rtol=0, atol=1e-12)
    assert env.true_ratings_at(np.empty((0, 2), dtype=np.int64), np.empty((0, 2), dtype=np.int64)).shape == (0, 2)
    with pytest.raises(ValueError, match="pairs out of range"):
        env.true_ratings_at([0], [env.n_items])
    with pytest.raises(ValueError, match="differ in shape"):
        env.true_ratings_at([0, 1], [0])


@pytest.mark.parametrize("name", ENV_NAMES)
def test_true_ratings_rows_are_the_rows_of_true_ratings(name):
    """The online protocol and the Oracle read only the online users' rows; they must be
    the rows of the dense matrix (repeated and unsorted users included), boredom history too."""
    env = small_env(name)
    env.reset(5)
    run(env, 9)
    users = np.random.default_rng(0).integers(0, env.n_users, 2 * env.n_users)
    np.testing.assert_allclose(env.true_ratings_rows(users), env.true_ratings()[users], rtol=0, atol=1e-12)
    assert env.true_ratings_rows(np.empty(0, dtype=np.int64)).shape == (0, env.n_items)
    with pytest.raises(ValueError, match="users out of range"):
        env.true_ratings_rows([env.n_users])


# ---- validation ------------------------------------------------------------------------------
def test_step_rejects_bad_input():
    env = small_env("topics-dynamic")
    env.reset(0)
    n = env.n_online
    with pytest.raises(ValueError, match=r"expected recommendations of shape \(12,\)"):
        env.step(np.zeros(n + 1, dtype=int))
    with pytest.raises(ValueError, match="shape"):
        env.step(np.zeros((n, 2), dtype=int))
    with pytest.raises(ValueError, match="item ids must be in"):
        env.step(np.full(n, env.n_items))
    with pytest.raises(ValueError, match="item ids must be in"):
        env.step(np.full(n, -1))
    with pytest.raises(ValueError, match="integer item ids"):
        env.step(np.full(n, 1.5))
    with pytest.raises(ValueError, match="only used by slate"):
        env.step(np.zeros(n, dtype=int), scores=np.zeros(n))
    assert env.timestep == 0  # nothing happened
    env.step(np.zeros(n))  # integral floats are accepted
    slate = small_env("latent-score")
    slate.reset(0)
    with pytest.raises(ValueError, match=r"slate of 5 items"):
        slate.step(np.zeros(slate.n_online, dtype=int))
    with pytest.raises(ValueError, match="scores must have the shape"):
        slate.step(np.zeros((slate.n_online, 5), dtype=int), scores=np.zeros(slate.n_online))
    with pytest.raises(RuntimeError, match="reset"):
        small_env("beta-rank").online_users()
    with pytest.raises(ValueError, match="online_users"):
        make_env("topics-static", n_users=10, online_users=11)
    with pytest.raises(ValueError, match="boredom_rule"):
        make_env("topics-dynamic", boredom_rule="sometimes")


# ---- within-user rounds ----------------------------------------------------------------------
def test_within_user_rounds():
    rng = np.random.default_rng(0)
    users = rng.integers(20, size=500)
    order = rng.permutation(users.size)
    rounds = within_user_rounds(users, order)
    seen = np.concatenate(rounds)
    assert np.array_equal(np.sort(seen), np.arange(users.size))
    position = np.empty(users.size, dtype=int)
    position[order] = np.arange(users.size)
    last = {}
    for idx in rounds:
        assert len(np.unique(users[idx])) == idx.size  # each user at most once per round
        for j in idx:
            u = users[j]
            assert position[j] > last.get(u, -1)  # a user's pairs come in `order`
            last[u] = position[j]


# ---- topics ----------------------------------------------------------------------------------
def hand_built_topics(**params):
    env = TopicsEnv(n_topics=4, n_users=3, n_items=8, online_users=3, initial_ratings=0, noise=0.0,
                    memory_length=5, boredom_threshold=2, boredom_penalty=1.0, **params)
    env.reset(0)
    env._h_pref[:] = 3.0
    env._h_topic[:] = np.arange(8) % 4  # item i has topic i % 4
    return env


@pytest.mark.parametrize("rule, penalised_counts", [("more-than", {3, 4, 5}), ("at-least", {2, 3, 4, 5})])
def test_boredom_penalty_exactly_at_threshold(rule, penalised_counts):
    env = hand_built_topics(boredom_rule=rule)
    for count in range(6):
        env._h_hist[:] = -1
        env._h_hist[0, :count] = 0  # user 0 saw topic 0 `count` times in the memory
        env._h_hist[0, count:] = 1  # (the rest of the memory: topic 1)
        expected = 3.0 - (1.0 if count in penalised_counts else 0.0)
        truth = env.true_ratings()
        assert truth[0, 0] == expected and truth[0, 4] == expected  # both topic-0 items
        assert truth[1, 0] == 3.0 and truth[2, 0] == 3.0  # other users unaffected
        other_count = 5 - count
        assert truth[0, 1] == 3.0 - (1.0 if other_count in penalised_counts else 0.0)
        np.testing.assert_array_equal(env._rate(np.array([0]), np.array([0]), np.random.default_rng(0)), [expected])


def test_boredom_memory_is_the_users_last_consumptions():
    env = hand_built_topics()
    env._h_topic[:] = 0  # every item has topic 0
    env._h_hist[:] = -1
    ratings = []
    for _ in range(7):
        ratings.append(env.step(np.zeros(3, dtype=int)).ratings[0])
    # The current item does not count: penalised from the 4th consumption (3 earlier > 2).
    assert ratings[:3] == [3.0, 3.0, 3.0]
    assert ratings[3:] == [2.0, 2.0, 2.0, 2.0]
    # Ring buffer: after 7 consumptions the memory holds exactly the last 5.
    assert (env._h_hist == 0).all()
    env._h_topic[:] = 1
    for _ in range(3):
        env.step(np.zeros(3, dtype=int))
    assert sorted(env._h_hist[0]) == [0, 0, 1, 1, 1]
    assert env.true_ratings()[0, 0] == 2.0  # topic 1 seen 3 times > 2: still bored
    env.step(np.zeros(3, dtype=int))
    env.step(np.zeros(3, dtype=int))  # memory now all topic 1
    env._h_topic[0] = 0
    assert env.true_ratings()[0, 0] == 3.0  # topic 0 forgotten


def test_affinity_update_reclab_rule():
    env = hand_built_topics(topic_change=0.3)
    env._h_hist[:] = -1
    env._h_pref[:] = np.array([[2.0, 4.9, 0.7, 5.2]])
    before = env.preferences
    result = env.step(np.array([1, 1, 3]))  # users 0, 1 consume topic 1; user 2 topic 3
    after = env.preferences
    np.testing.assert_array_equal(result.ratings, [4.9, 4.9, 5.0])  # rated before the update
    a, d = 0.3, 0.3 / 3
    for u in (0, 1):
        np.testing.assert_allclose(after[u], before[u] + np.array([-d, a, -d, -d]), rtol=0, atol=1e-15)
    np.testing.assert_array_equal(after[2], before[2])  # pi(u, k_i) = 5.2 > 5: RecLab skips
    assert after[0, 1] == pytest.approx(5.2)  # no clipping at 5 ...
    env.step(np.array([2, 2, 2]))
    assert env.preferences[0, 2] == pytest.approx(0.7 - d + a)
    np.testing.assert_allclose(env.preferences.sum(axis=1)[:2], before.sum(axis=1)[:2], atol=1e-12)


def test_affinity_update_clip_rule_keeps_range():
    env = hand_built_topics(topic_change=0.3, affinity_rule="clip")
    low, high = env.preference_range
    env._h_pref[:] = np.array([[1.05, 4.8, 3.0, 2.0]])
    a, d = 0.3, 0.1
    before = env.preferences
    env.step(np.array([1, 2, 2]))
    after = env.preferences
    np.testing.assert_allclose(after[0], [low, high, 3.0 - d, 2.0 - d])  # clipped at both bounds
    np.testing.assert_allclose(after[1], [low, 4.8 - d, 3.0 + a, 2.0 - d])
    rng = np.random.default_rng(0)
    env._h_pref[:] = rng.uniform(0.5, 5.5, size=env._h_pref.shape)
    for _ in range(50):
        prev = env.preferences
        items = rng.integers(8, size=3)
        env.step(items)
        now = env.preferences
        assert now.min() >= low and now.max() <= high
        topics = env.item_topics[items]
        for u in range(3):
            up = np.clip(prev[u, topics[u]] + a, low, high)
            assert now[u, topics[u]] == pytest.approx(up)
            others = np.arange(4) != topics[u]
            np.testing.assert_allclose(now[u, others], np.clip(prev[u, others] - d, low, high))
            inside = others & (prev[u] - d >= low) & (prev[u] - d <= high)  # away from the bounds: exactly -a/(K-1)
            np.testing.assert_allclose(now[u, inside] - prev[u, inside], -d)


def reference_step(pref, hist, topic, users, items, a, thr, penalty, m):
    """Loop-per-user reference of one RecLab Topics step with zero noise."""
    K = pref.shape[1]
    ratings = []
    for u, i in zip(users, items):
        k = topic[i]
        mean = pref[u, k] - (penalty if list(hist[u]).count(k) > thr else 0.0)
        ratings.append(float(np.clip(mean, 1, 5)))
        if pref[u, k] <= 5:
            pref[u, k] += a
            for kk in range(K):
                if kk != k:
                    pref[u, kk] -= a / (K - 1)
        hist[u].append(k)
        if len(hist[u]) > m:
            hist[u].pop(0)
    return ratings


@pytest.mark.parametrize("offline", ["after", "sequential", "none"])
def test_topics_dynamic_matches_loop_reference(offline):
    env = small_env("topics-dynamic", noise=0.0, offline_dynamics=offline)
    orders = []
    original = env._offline_order
    env._offline_order = lambda n: orders.append(original(n)) or orders[-1]
    data = env.reset(9)
    pref = env.initial_preferences
    topic = env.item_topics
    ref_ratings = np.clip(pref[data.users, topic[data.items]], 1, 5)
    if offline != "none":
        hist_unused = {u: [] for u in range(env.n_users)}
        seq = reference_step(pref, hist_unused, topic, data.users[orders[0]], data.items[orders[0]], 0.1, 2, 1.0, 0)
        if offline == "sequential":
            ref_ratings = np.empty(len(data))
            ref_ratings[orders[0]] = seq
    np.testing.assert_allclose(data.ratings, ref_ratings, rtol=0, atol=1e-12)
    np.testing.assert_allclose(env.preferences, pref, rtol=0, atol=1e-12)
    hist = {u: [] for u in range(env.n_users)}
    rng = np.random.default_rng(0)
    for _ in range(40):
        users = env.online_users()
        items = rng.integers(env.n_items, size=users.size)
        items = np.where(rng.random(users.size) < 0.7, np.flatnonzero(topic == 0)[0], items)  # provoke boredom
        expected = reference_step(pref, hist, topic, users, items, 0.1, 2, 1.0, 5)
        np.testing.assert_allclose(env.step(items).ratings, expected, rtol=0, atol=1e-12)
    np.testing.assert_allclose(env.preferences, pref, rtol=0, atol=1e-12)


def test_topics_static_and_dynamic_share_state_and_offline_data():
    kw = dict(n_users=200, n_items=300, online_users=40, initial_ratings=6000)
    static, dynamic = make_env("topics-static", **kw), make_env("topics-dynamic", **kw)
    ds, dd = static.reset(21), dynamic.reset(21)
    np.testing.assert_array_equal(static.initial_preferences, dynamic.initial_preferences)
    np.testing.assert_array_equal(static.item_topics, dynamic.item_topics)
    for field in ("users", "items", "ratings"):
        np.testing.assert_array_equal(getattr(ds, field), getattr(dd, field))
    np.testing.assert_array_equal(static.online_users(), dynamic.online_users())
    # topics-static never moves; topics-dynamic's offline consumptions moved its preferences
    np.testing.assert_array_equal(static.preferences, static.initial_preferences)
    assert not np.array_equal(dynamic.preferences, dynamic.initial_preferences)
    # with the offline dynamics switched off the state is identical too
    quiet = make_env("topics-dynamic", offline_dynamics="none", **kw)
    quiet.reset(21)
    np.testing.assert_array_equal(quiet.preferences, static.preferences)
    np.testing.assert_array_equal(quiet.true_ratings(), static.true_ratings())


def test_offline_history_stays_empty():
    env = small_env("topics-dynamic", offline_dynamics="sequential")
    env.reset(0)
    assert (env.history == -1).all()  # offline consumptions never enter the boredom memory
    users = env.online_users().copy()
    env.step(np.zeros(env.n_online, dtype=int))
    assert (env.history >= 0).sum() == env.n_online
    assert (env.history[users] == env.item_topics[0]).sum() == env.n_online


# ---- latent ----------------------------------------------------------------------------------
def test_latent_parameter_scales():
    env = make_env("latent-static", initial_ratings=10)
    env.reset(0)
    assert env.user_bias.std() == pytest.approx(0.5, rel=0.1)
    assert env.item_bias.var() == pytest.approx(0.25, rel=0.15)
    assert env.user_factors.var() == pytest.approx(np.sqrt(0.5 / 100), rel=0.05)
    assert env.item_factors.var() == pytest.approx(np.sqrt(0.5 / 100), rel=0.05)
    interaction = np.einsum("nk,nk->n", env.user_factors[:900], env.item_factors[:900])
    assert interaction.var() == pytest.approx(0.5, rel=0.2)


def plant_latent(env, rng):
    env._h_offset = 3.0
    env._h_user_bias = rng.normal(0, 0.5, env.n_users)
    env._h_item_bias = rng.normal(0, 0.5, env.n_items)
    env._h_user_factors = rng.normal(0, 1.0, (env.n_users, env.latent_dim))
    env._h_item_factors = rng.normal(0, 1.0, (env.n_items, env.latent_dim))
    env._h_item_unit = env._h_item_factors / np.linalg.norm(env._h_item_factors, axis=1, keepdims=True)


def test_latent_planted_parameters_reproduce_expected_ratings():
    env = small_env("latent-static", noise=0.0)
    env.reset(0)
    plant_latent(env, np.random.default_rng(1))
    want = np.clip(3.0 + env._h_user_bias[:, None] + env._h_item_bias[None, :]
                   + env._h_user_factors @ env._h_item_factors.T, 1, 5)
    assert (want == 1).any() and (want == 5).any() and ((want > 1) & (want < 5)).any()
    np.testing.assert_allclose(env.true_ratings(), want, rtol=0, atol=1e-12)
    users = env.online_users()
    items = np.arange(users.size)
    np.testing.assert_allclose(env.step(items).ratings, want[users, items], rtol=0, atol=1e-12)


def test_latent_dynamic_boredom_and_affinity():
    env = small_env("latent-dynamic", noise=0.0, boredom_threshold=0.1)
    env.reset(0)
    plant_latent(env, np.random.default_rng(2))
    unit = env._h_item_unit
    rng = np.random.default_rng(3)
    hist = {u: [] for u in range(env.n_users)}
    for _ in range(25):
        users = env.online_users()
        items = rng.integers(5, size=users.size)  # few items: similar history, boredom
        p_before = env.user_factors
        expected = []
        for u, i in zip(users, items):
            pen = sum(max(0.0, unit[i] @ unit[j] - 0.1) for j in hist[u]) * 2.0 / 5
            mean = 3.0 + env._h_user_bias[u] + env._h_item_bias[i] + p_before[u] @ env._h_item_factors[i] - pen
            expected.append(np.clip(mean, 1, 5))
            hist[u] = (hist[u] + [i])[-5:]
        np.testing.assert_allclose(env.step(items).ratings, expected, rtol=0, atol=1e-10)
        np.testing.assert_allclose(env.user_factors[users], 0.8 * p_before[users] + 0.2 * env._h_item_factors[items],
                                   rtol=0, atol=1e-12)
    # dense boredom matches the pairwise formula
    users = np.repeat(np.arange(env.n_users), env.n_items)
    items = np.tile(np.arange(env.n_items), env.n_users)
    np.testing.assert_allclose(env.true_ratings().ravel(), env._expected(users, items), rtol=0, atol=1e-10)


def test_latent_offline_dynamics_modes():
    kw = dict(SMALL["latent-dynamic"], noise=0.0)
    static = make_env("latent-static", **kw)
    after = make_env("latent-dynamic", offline_dynamics="after", **kw)
    seq = make_env("latent-dynamic", offline_dynamics="sequential", **kw)
    ds, da, dq = static.reset(1), after.reset(1), seq.reset(1)
    np.testing.assert_array_equal(ds.ratings, da.ratings)  # same offline data as latent-static
    assert not np.array_equal(da.ratings, dq.ratings)  # RecLab's sequential ratings see the drift
    np.testing.assert_allclose(after.user_factors, seq.user_factors, rtol=0, atol=1e-12)  # same final factors
    assert not np.allclose(after.user_factors, static.user_factors)


# ---- ml-100k ---------------------------------------------------------------------------------
def test_ml100k_reproduces_factor_model(tmp_path):
    model = tiny_model()
    env = make_env("ml-100k", model=model, online_users=5, initial_ratings=100, noise=0.0)
    assert (env.n_users, env.n_items, env.latent_dim) == (model.n_users, model.n_items, model.dim)
    data = env.reset(0)
    users = np.repeat(np.arange(model.n_users), model.n_items)
    items = np.tile(np.arange(model.n_items), model.n_users)
    want = model.predict(users, items, clip=(1.0, 5.0)).reshape(model.n_users, model.n_items)
    np.testing.assert_allclose(env.true_ratings(), want, rtol=0, atol=1e-12)
    np.testing.assert_allclose(data.ratings, want[data.users, data.items], rtol=0, atol=1e-12)
    path = tmp_path / "fm.npz"
    model.save(path)
    from_path = make_env("ml-100k", model=str(path), online_users=5, initial_ratings=100)
    from_path.reset(0)
    np.testing.assert_allclose(from_path.true_ratings(), want, rtol=0, atol=1e-12)
    assert make_env("ml-100k", model=model, initial_ratings=10).n_online == int(0.2 * model.n_users)
    with pytest.raises(ValueError, match="from the model"):
        make_env("ml-100k", model=model, n_users=10)


# ---- slates ----------------------------------------------------------------------------------
def test_latent_score_choice_rule():
    env = small_env("latent-score", sigma=0.0)
    env.reset(0)
    rng = np.random.default_rng(0)
    for _ in range(10):
        users = env.online_users()
        slates = recommendations(env, rng)
        private = np.einsum("nk,nsk->ns", env._h_X[users], env._h_Y[slates])
        scores = rng.normal(3, 1, size=slates.shape)
        want = slates[np.arange(users.size), np.argmax(scores + private, axis=1)]
        truth = env.true_ratings()
        result = env.step(slates, scores=scores)
        np.testing.assert_array_equal(result.items, want)
        np.testing.assert_allclose(result.ratings, truth[users, want], rtol=0, atol=1e-12)  # sigma 0
    users = env.online_users()
    slates = recommendations(env, rng)
    private = np.einsum("nk,nsk->ns", env._h_X[users], env._h_Y[slates])
    no_scores = env.step(slates)  # without scores: private information only
    np.testing.assert_array_equal(no_scores.items, slates[np.arange(users.size), np.argmax(private, axis=1)])
    # Ties go to the better-ranked item; a dominant score wins.
    users = env.online_users()
    slates = recommendations(env, rng)
    scores = np.zeros(slates.shape)
    scores[:, 3] = 1e6
    np.testing.assert_array_equal(env.step(slates, scores=scores).items, slates[:, 3])


def test_latent_score_expected_ratings_formula():
    env = small_env("latent-score")
    env.reset(2)
    want = np.clip(3 + env._h_item_bias[None, :] + env._h_user_bias[:, None] + env._h_U @ env._h_V.T
                   + env._h_X @ env._h_Y.T, 1, 5)
    np.testing.assert_allclose(env.true_ratings(), want, rtol=0, atol=1e-12)


def test_beta_rank_choice_deterministic_with_tiny_variance():
    env = BetaRankEnv(n_users=1, n_items=100, online_users=1, initial_ratings=0, slate_size=100,
                      rating_scale="unit", dimension=10)
    env.reset(0)
    truth = env.true_ratings()[0]
    order = np.argsort(-truth)  # best first
    # Swap the 2nd best and the 2nd worst: the user picks the item ranked 2nd by its value ...
    slate = order.copy()
    slate[1], slate[-2] = slate[-2], slate[1]
    attention = np.arange(1, 101) ** -0.8
    want = slate[np.argmax(attention * 0.98 * truth[slate])]
    result = env.step(slate[None, :])
    assert result.items[0] == want
    assert result.ratings[0] == pytest.approx(truth[want], abs=1e-4)
    # ... and never an item it already rated: the next best instead.
    utility = attention * truth[slate]
    utility[slate == want] = -np.inf
    want2 = slate[np.argmax(utility)]
    assert env.step(slate[None, :]).items[0] == want2
    assert env.rated[0, [want, want2]].all()


def test_beta_rank_falls_back_when_all_rated():
    env = BetaRankEnv(n_users=2, n_items=3, online_users=2, initial_ratings=6, slate_size=3)
    env.reset(0)
    assert env.rated.all()
    result = env.step(np.array([[0, 1, 2], [2, 1, 0]]))
    assert result.items.shape == (2,) and np.isin(result.items, [0, 1, 2]).all()


def test_beta_rank_choice_frequencies_match_model():
    scipy_stats = pytest.importorskip("scipy.stats")
    n = 20000
    env = BetaRankEnv(n_users=n, n_items=2, online_users=n, initial_ratings=0, slate_size=2, dimension=2,
                      known_sd=0.05, value_sd=1e-7, rating_scale="unit")
    env.reset(0)
    env._h_P[:] = [1.0, 0.0]
    env._h_Q[:] = [[0.3, 0.7], [0.5, 0.5]]  # values 0.3 (ranked first) and 0.5 (ranked second)
    freq = (env.step(np.tile([0, 1], (n, 1))).items == 1).mean()
    # Model: pick item 1 iff 2^-0.8 * eta_1 * 0.5 > 1 * eta_0 * 0.3, eta ~ Beta(mean 0.98, sd 0.05)
    m, var = 0.98, 0.05 ** 2
    alpha = ((1 - m) / var - 1 / m) * m ** 2 + 1e-6
    beta = alpha * (1 / m - 1)
    c = 0.3 / (2 ** -0.8 * 0.5)
    integrate = pytest.importorskip("scipy.integrate")
    # P(c * eta_0 < eta_1) = int_0^{1/c} f(x) P(eta_1 > c x) dx (c > 1 keeps the Beta's pole at 1 outside)
    prob, _ = integrate.quad(lambda x: scipy_stats.beta.pdf(x, alpha, beta) * scipy_stats.beta.sf(c * x, alpha, beta),
                             0.0, 1.0 / c, limit=200)
    assert 0.05 < prob < 0.95
    assert freq == pytest.approx(prob, abs=4 * np.sqrt(prob * (1 - prob) / n))


def test_beta_mean_sd_moments_and_rating_scales():
    rng = np.random.default_rng(0)
    draws = beta_mean_sd(np.full(200000, 0.3), 0.1, rng)
    assert draws.mean() == pytest.approx(0.3, abs=2e-3)
    assert draws.std() == pytest.approx(0.1, abs=2e-3)
    assert np.isfinite(beta_mean_sd(np.array([0.0, 1e-15, 0.5, 1.0]), 1e-5, rng)).all()  # RecLab's failure cases
    env = small_env("beta-rank")
    env.reset(0)
    pq = env._h_P @ env._h_Q.T
    np.testing.assert_array_equal(env.true_ratings(), np.clip(np.round(20 * pq + 1), 1, 5))
    unit = small_env("beta-rank", rating_scale="unit")
    data = unit.reset(0)
    assert unit.rating_range == (0.0, 1.0)
    np.testing.assert_allclose(unit.true_ratings(), pq, rtol=0, atol=1e-12)
    np.testing.assert_allclose(data.ratings, pq[data.users, data.items], atol=1e-4)
    assert unit.rated[data.users, data.items].all() and unit.rated.sum() == len(data)


def test_slate_env_rejects_unknown_scale():
    with pytest.raises(ValueError, match="rating_scale"):
        BetaRankEnv(rating_scale="stars")
    assert isinstance(make_env("latent-score"), LatentScoreEnv)
    assert isinstance(make_env("latent-static"), LatentEnv)
