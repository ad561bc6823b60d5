"""Mixture-of-Experts pool allocation (thesis section 4.4, Figure 4.5): dataset, model,
likelihood, training and evaluation."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
import torch

from recdyn.moe.data import offline_dataset, sample_per_arm, split_users
from recdyn.moe.evaluate import evaluate_topk, summarize_over_seeds, topk_metrics
from recdyn.moe.model import SMALL_EMBEDDING, TwoTowerMoE, numpy_log_likelihood, random_feature_subsets, random_pools
from recdyn.moe.train import TrainSettings, build_model, derive_seed, fit_configurations, train_model


@pytest.fixture(autouse=True)
def _one_thread():
    """Small tensors: one torch thread is fastest and keeps the shared machine free."""
    old = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(old)


def _labels(n_users: int, n_items: int, rng: np.random.Generator, rate: float = 0.1) -> sp.csr_matrix:
    return sp.csr_matrix((rng.random((n_users, n_items)) < rate).astype(np.float32))


# ---- allocations (section 4.8) ---------------------------------------------------------------
@pytest.mark.parametrize("n_items,n_experts", [(100, 10), (100, 7), (13, 5), (5, 5)])
def test_random_pools_floor_sizes_and_remainder_to_first(n_items, n_experts):
    pools = random_pools(n_items, n_experts, np.random.default_rng(0))
    sizes = np.bincount(pools, minlength=n_experts)
    base, extra = divmod(n_items, n_experts)
    assert sizes.tolist() == [base + 1] * extra + [base] * (n_experts - extra)
    assert not np.array_equal(pools, random_pools(n_items, n_experts, np.random.default_rng(1)))


def test_random_feature_subsets_disjoint_when_possible_then_topped_up():
    rng = np.random.default_rng(0)
    disjoint = random_feature_subsets(400, 25, 10, rng)
    assert disjoint.shape == (10, 25) and np.unique(disjoint).size == 250
    big = random_feature_subsets(400, 100, 10, rng)  # s' = 40 disjoint + 60 extra each
    assert big.shape == (10, 100)
    assert all(np.unique(row).size == 100 for row in big)  # no repeats within an expert
    firsts = [set(row) for row in big]
    # each expert owns 40 features no other expert got in the disjoint phase: union >= 400
    assert len(set().union(*firsts)) == 400
    with pytest.raises(ValueError, match="s=401"):
        random_feature_subsets(400, 401, 10, rng)


# ---- dataset ---------------------------------------------------------------------------------
def test_offline_dataset_c_examples_per_arm_and_independent_test_set():
    rng = np.random.default_rng(0)
    n_users, n_items = 300, 8
    features = rng.normal(size=(n_users, 6)).astype(np.float32)
    labels = _labels(n_users, n_items, rng)
    pool, test = split_users(n_users, 100, seed=3)
    data = offline_dataset(features, labels, per_arm=20, test_users=test, train_pool=pool, seed=4)
    assert np.bincount(data.train_items, minlength=n_items).tolist() == [20] * n_items
    assert not np.isin(data.train_users, test).any()
    for a in range(n_items):  # without replacement within an arm
        assert np.unique(data.train_users[data.train_items == a]).size == 20
    dense = labels.toarray()
    assert np.array_equal(data.train_rewards, dense[data.train_users, data.train_items])
    assert np.array_equal(data.test_labels.toarray(), dense[test])
    again = offline_dataset(features, labels, per_arm=20, test_users=test, train_pool=pool, seed=4)
    assert np.array_equal(again.train_users, data.train_users)
    with pytest.raises(ValueError, match="train_per_arm"):
        sample_per_arm(pool, n_items, pool.size + 1, rng)
    with pytest.raises(ValueError, match="test_size"):
        split_users(10, 10, 0)


# ---- likelihood and gating ---------------------------------------------------------------------
def _model(pools=None, gate_user=True, seed=0, n_items=12, n_features=9, n_experts=3, s=4, d_e=3):
    rng = np.random.default_rng(seed)
    subsets = random_feature_subsets(n_features, s, n_experts, rng)
    gen = torch.Generator().manual_seed(seed)
    model = TwoTowerMoE(n_items, n_features, subsets, d_e, pools=pools, gate_user=gate_user, init_scale=1.0,
                        generator=gen)
    with torch.no_grad():  # non-trivial gating
        model.gate_user_weights.normal_(generator=gen)
        model.gate_item_logits.normal_(generator=gen)
    return model


@pytest.mark.parametrize("sigma2", [0.01, 1.0])
def test_log_likelihood_equals_direct_numpy_evaluation(sigma2):
    model = _model()
    rng = np.random.default_rng(1)
    x = torch.as_tensor(rng.normal(size=(7, 9)), dtype=torch.float32)
    items = torch.as_tensor(rng.integers(0, 12, 7))
    rewards = torch.as_tensor(rng.integers(0, 2, 7), dtype=torch.float32)
    # direct evaluation from the parameters, in float64 numpy
    xs = x.numpy().astype(np.float64)
    sub = model.feature_subsets.numpy()
    w = model.user_maps.detach().numpy().astype(np.float64)
    e = model.item_embeddings.detach().numpy().astype(np.float64)
    pred = np.stack([np.einsum("bs,sd,bd->b", xs[:, sub[n]], w[n], e[n][items.numpy()]) for n in range(3)], 1)
    logits = xs @ model.gate_user_weights.detach().numpy() + model.gate_item_logits.detach().numpy()[items.numpy()]
    log_p = logits - np.log(np.exp(logits).sum(1, keepdims=True))
    expected = numpy_log_likelihood(log_p, pred, rewards.numpy().astype(np.float64), sigma2)
    got = float(model.log_likelihood(x, items, rewards, sigma2).detach())
    assert got == pytest.approx(expected, rel=1e-5, abs=1e-6)
    assert np.allclose(model.expert_predictions(x, items).detach().numpy(), pred, atol=1e-5)


@pytest.mark.parametrize("d_e", [3, SMALL_EMBEDDING + 4])  # both layouts of the expert towers
def test_expert_predictions_and_gradients_match_a_per_expert_loop(d_e):
    """Every expert's predictions (either layout) and the random-pool model's own-expert
    predictions (grouped, padded bmm) against a direct per-expert statement, values and
    gradients."""
    pools = random_pools(12, 3, np.random.default_rng(5))
    rng = np.random.default_rng(3)
    x = torch.as_tensor(rng.normal(size=(23, 9)), dtype=torch.float32)
    items = torch.as_tensor(rng.integers(0, 12, 23))
    for model in (_model(d_e=d_e), _model(pools=pools, d_e=d_e)):
        direct = torch.stack([(x[:, model.feature_subsets[n]] @ model.user_maps[n]
                               * model.item_embeddings[n, items]).sum(-1) for n in range(3)], 1)
        got = (model.own_expert_predictions(x, items) if model.hard else model.expert_predictions(x, items))
        want = direct.gather(1, model.pools[items][:, None]).squeeze(1) if model.hard else direct
        assert torch.allclose(got, want, atol=1e-5)
        weights = torch.as_tensor(rng.normal(size=tuple(got.shape)), dtype=torch.float32)
        grads = torch.autograd.grad((got * weights).sum(), [model.user_maps, model.item_embeddings])
        want_grads = torch.autograd.grad((want * weights).sum(), [model.user_maps, model.item_embeddings])
        for g, w in zip(grads, want_grads):
            assert torch.allclose(g, w, atol=1e-5)


def test_hard_gating_reproduces_random_pool_model():
    pools = random_pools(12, 3, np.random.default_rng(5))
    hard = _model(pools=pools)
    soft = _model()  # same seed: same experts
    with torch.no_grad():  # gating fixed to the pool allocation: item logits 0 / -1e4, no user part
        soft.gate_user_weights.zero_()
        soft.gate_item_logits.copy_(torch.where(torch.nn.functional.one_hot(torch.as_tensor(pools), 3) > 0,
                                                0.0, -1e4))
    rng = np.random.default_rng(2)
    x = torch.as_tensor(rng.normal(size=(5, 9)), dtype=torch.float32)
    items = torch.arange(12).repeat(5)[:20]
    xi = x.repeat_interleave(4, 0)
    assert torch.allclose(soft.predict(xi, items), hard.predict(xi, items), atol=1e-6)
    assert torch.allclose(soft.score_all(x), hard.score_all(x), atol=1e-6)
    # the random-pool score is the pool expert's own prediction
    experts = hard.expert_predictions(xi, items)
    own = experts.gather(1, torch.as_tensor(pools)[items][:, None]).squeeze(1)
    assert torch.allclose(hard.predict(xi, items), own, atol=1e-6)
    rewards = torch.ones(20)
    assert float(soft.log_likelihood(xi, items, rewards, 0.5)) == pytest.approx(
        float(hard.log_likelihood(xi, items, rewards, 0.5)), abs=1e-5)
    assert float(hard.log_likelihood(xi, items, rewards, 0.5)) == pytest.approx(
        float(-((1 - own) ** 2 / 1.0).mean()), abs=1e-5)


def test_learned_gating_recovers_planted_split():
    """Each expert sees one feature: expert 0 can only model the first half of the items (whose
    rewards depend on feature 0), expert 1 the second half (feature 1). The gating must learn it."""
    rng = np.random.default_rng(0)
    n_users, n_items = 2000, 6
    x = rng.normal(size=(n_users, 2)).astype(np.float32)
    signs = np.array([1.0, -1.0, 2.0, 1.5, -1.0, 0.5])
    driver = np.array([0, 0, 0, 1, 1, 1])
    users = rng.integers(0, n_users, 6000)
    items = rng.integers(0, n_items, 6000)
    rewards = (signs[items] * x[users, driver[items]]).astype(np.float32)
    model = TwoTowerMoE(n_items, 2, np.array([[0], [1]]), 2, gate_user=False, init_scale=0.5,
                        generator=torch.Generator().manual_seed(0))
    settings = TrainSettings("adam", 0.05, 0.1, steps=400, batch_size=512)
    history = train_model(model, torch.as_tensor(x), torch.as_tensor(users), torch.as_tensor(items),
                          torch.as_tensor(rewards), settings, 0.1, seed=1)
    assert history[-1] > history[0]
    weights = model.item_pool_weights(torch.as_tensor(x[:100])).detach().numpy()
    assert np.all(weights[np.arange(n_items), driver] > 0.95)


def test_training_is_deterministic_and_improves_likelihood():
    rng = np.random.default_rng(0)
    features = rng.normal(size=(400, 10)).astype(np.float32)
    labels = sp.csr_matrix((features[:, :6] > 0.8).astype(np.float32))
    pool, test = split_users(400, 100, 0)
    data = offline_dataset(features, labels, per_arm=60, test_users=test, train_pool=pool, seed=1)
    settings = {"moe": TrainSettings("adam", 0.02, 0.1, steps=60, batch_size=128),
                "random": TrainSettings("rmsprop", 0.02, 1.0, steps=60, batch_size=128)}
    rows = fit_configurations(data, seed=3, feature_dims=[4], embedding_dims=[3], n_experts=2, settings=settings)
    again = fit_configurations(data, seed=3, feature_dims=[4], embedding_dims=[3], n_experts=2, settings=settings)
    assert rows == again
    assert {r["model"] for r in rows} == {"moe", "random"}
    for row in rows:
        assert 0 <= row["precision"] <= 1 and 0 <= row["recall"] <= 1
    other = fit_configurations(data, seed=4, feature_dims=[4], embedding_dims=[3], n_experts=2, settings=settings)
    assert rows != other
    model = build_model("moe", 6, 10, 4, 2, 3, settings["moe"], seed=3)
    x_all = torch.as_tensor(features)
    args = (x_all, torch.as_tensor(data.train_users), torch.as_tensor(data.train_items),
            torch.as_tensor(data.train_rewards))
    before = float(model.log_likelihood(x_all[args[1]], args[2], args[3], 0.1))
    train_model(model, *args, settings["moe"], 0.1, seed=0)
    assert float(model.log_likelihood(x_all[args[1]], args[2], args[3], 0.1)) > before


def test_sigma2_override_and_settings_from_config():
    spec = {"optimizer": "adam", "lr": 0.01, "sigma2": 0.01, "sigma2_overrides": [{"embedding_dim": 50, "sigma2": 1.0}]}
    settings = TrainSettings.from_config(spec, steps=10, batch_size=32)
    assert settings.sigma2_for(50) == 1.0 and settings.sigma2_for(5) == 0.01
    with pytest.raises(ValueError, match="optimizer"):
        TrainSettings("lbfgs")
    assert derive_seed(1, 2) != derive_seed(2, 1) and derive_seed(1, 2) == derive_seed(1, 2)


# ---- evaluation --------------------------------------------------------------------------------
def test_topk_metrics_by_hand_and_zero_without_positives():
    scores = np.array([[5, 4, 3, 2, 1, 0, -1], [0, 1, 2, 3, 4, 5, 6], [1, 1, 1, 1, 1, 1, 1]], dtype=float)
    labels = sp.csr_matrix(np.array([[1, 0, 1, 0, 0, 1, 0], [0, 1, 0, 0, 0, 0, 1], [0] * 7], dtype=float))
    precision, recall = topk_metrics(scores, labels, k=5)
    assert precision.tolist() == pytest.approx([2 / 5, 1 / 5, 0.0])
    assert recall.tolist() == pytest.approx([2 / 3, 1 / 2, 0.0])


def test_evaluate_topk_batches_agree():
    rng = np.random.default_rng(0)
    features = rng.normal(size=(60, 9)).astype(np.float32)
    labels = _labels(60, 12, rng, 0.2)
    pool, test = split_users(60, 25, 0)
    data = offline_dataset(features, labels, per_arm=5, test_users=test, train_pool=pool, seed=1)
    model = _model()
    whole = evaluate_topk(model, data, k=5, batch_size=1000)
    parts = evaluate_topk(model, data, k=5, batch_size=7)
    assert whole == pytest.approx(parts)
    scores = model.score_all(torch.as_tensor(features[test])).detach().numpy()
    p, r = topk_metrics(scores, data.test_labels, 5)
    assert whole["precision"] == pytest.approx(p.mean()) and whole["recall"] == pytest.approx(r.mean())


def test_summarize_over_seeds_standard_error():
    runs = pd.DataFrame({"c": 1, "n_experts": 2, "s": 3, "embedding_dim": 4, "model": ["moe"] * 3 + ["random"],
                         "precision": [0.1, 0.2, 0.3, 0.5], "recall": [0.2, 0.2, 0.2, 0.1]})
    out = summarize_over_seeds(runs).set_index("model")
    assert out.loc["moe", "precision_mean"] == pytest.approx(0.2)
    assert out.loc["moe", "precision_se"] == pytest.approx(0.1 / np.sqrt(3))
    assert out.loc["moe", "recall_se"] == 0 and out.loc["random", "precision_se"] == 0
    assert out.loc["random", "n_seeds"] == 1


# ---- figure (the claims: tests/test_claims_ch4.py) -------------------------------------------------------------------------
def _summary(moe_better: list[bool]) -> pd.DataFrame:
    rows = []
    for i, better in enumerate(moe_better):
        for model, value in (("moe", 0.3 if better else 0.1), ("random", 0.2)):
            rows.append({"c": [100, 500][i % 2], "n_experts": 10, "s": 10 * (i + 1), "embedding_dim": 5, "model": model,
                         "precision_mean": value, "precision_se": 0.01, "recall_mean": value, "recall_se": 0.01,
                         "n_seeds": 2})
    return pd.DataFrame(rows)


def test_fig_4_5_panels_and_missing_n():
    from recdyn.plots.ch4_moe import plot_fig_4_5
    summary = _summary([True, False, True, True])
    fig = plot_fig_4_5(summary, [10])
    assert len(fig.axes) == 4  # 2 metrics x 2 values of c
    assert fig.axes[0].get_title() == "(a) N=10, c=100"
    with pytest.raises(ValueError, match="N=\\[20\\]"):
        plot_fig_4_5(summary, [20])
