"""Table 3.1: the Chaney-style simulation and the five weightings of GMF (recdyn.cafl.chaney,
recdyn.cafl.corrections)."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from recdyn.cafl.chaney import beta_prime, recommendation_probabilities, simulate_chaney, to_scale
from recdyn.cafl.corrections import (
    METHODS, THESIS_TABLE_3_1, PoissonFactorization, _ExposureGRU, _ExposureMean, cafl_weights,
    empirical_risks, fit_poisson_factorization, ips_weights, method_weights, naive_weights,
    pan_propensities, pop_weights, run_table_3_1, summarize_table_3_1, train_gmf, predict_gmf,
)

SMALL = dict(n_users=80, n_items=60, steps=15, train_steps=10, n_test=8, top_k=10)


@pytest.fixture(scope="module")
def sim():
    return simulate_chaney(seed=3, keep_probs=True, **SMALL)


# ---------------------------------------------------------------------------- simulation
def test_shapes_and_data_invariants(sim):
    u, i, t = SMALL["n_users"], SMALL["n_items"], SMALL["steps"]
    assert sim.items.shape == sim.ratings.shape == sim.probs.shape == (u, t)
    assert sim.rating_matrix.shape == sim.mean_matrix.shape == (u, i)
    assert sim.similarity.shape == (i, i)
    assert sim.test_items.shape == sim.test_ratings.shape == (u, SMALL["n_test"])
    assert np.allclose(sim.user_factors.sum(1), 1) and np.allclose(sim.item_factors.sum(1), 1)
    for row, test in zip(sim.items, sim.test_items):
        assert len(set(row)) == t  # never the same item twice
        assert len(set(test)) == test.size and not set(test) & set(row)  # unobserved only
    # five-point scale, ratings looked up from the one noisy matrix
    assert set(np.unique(sim.rating_matrix)) <= {1.0, 2.0, 3.0, 4.0, 5.0}
    rows = np.arange(u)[:, None]
    assert np.array_equal(sim.ratings, sim.rating_matrix[rows, sim.items])
    assert np.array_equal(sim.test_ratings, sim.rating_matrix[rows, sim.test_items])
    tr = sim.train()
    assert tr["users"].size == u * SMALL["train_steps"]
    assert tr["steps"].min() == 1 and tr["steps"].max() == SMALL["train_steps"]


def test_policy_probabilities_are_10_1_0_and_logged(sim):
    n_items, k = SMALL["n_items"], SMALL["top_k"]
    assert np.allclose(sim.step_probs[0], 1.0 / n_items)  # step 1 is uniform
    assert np.allclose(sim.probs[:, 0], 1.0 / n_items)
    rows = np.arange(SMALL["n_users"])
    for t in range(SMALL["steps"]):
        p = sim.step_probs[t]
        assert np.allclose(p.sum(1), 1.0)
        assert np.allclose(sim.probs[:, t], p[rows, sim.items[:, t]])  # what was logged
        consumed = np.zeros_like(p, dtype=bool)
        for s in range(t):
            consumed[rows, sim.items[:, s]] = True
        assert np.all(p[consumed] == 0)
        if t == 0:
            continue
        for u in range(0, SMALL["n_users"], 17):
            low = p[u][~consumed[u]].min()
            ratios = np.round(p[u][~consumed[u]] / low, 9)
            assert set(ratios) == {1.0, 10.0}
            assert (ratios == 10.0).sum() == k


def test_recommendation_probabilities_rank_by_score():
    scores = np.array([[5.0, 4.0, 3.0, 2.0, 1.0], [1.0, 2.0, 3.0, 4.0, 5.0]])
    consumed = np.array([[True, False, False, False, False], [False] * 5])
    p = recommendation_probabilities(scores, consumed, top_k=2)
    # user 0: item 0 consumed, items 1 and 2 are the top 2 of the rest: weights 0, 10, 10, 1, 1
    assert np.allclose(p[0], np.array([0, 10, 10, 1, 1]) / 22)
    assert np.allclose(p[1], np.array([1, 1, 1, 10, 10]) / 23)
    assert np.allclose(recommendation_probabilities(scores, consumed, uniform=True)[0],
                       [0, .25, .25, .25, .25])


def test_beta_prime_mean_and_variance():
    rng = np.random.default_rng(0)
    x = beta_prime(np.full(400_000, 0.3), 0.01, rng)
    assert abs(x.mean() - 0.3) < 1e-3
    assert abs(x.var() - 0.01) < 3e-4
    # infeasible moments (mu (1 - mu) <= sigma^2) still keep the mean
    y = beta_prime(np.full(400_000, 0.005), 0.01, rng)
    assert np.all((y >= 0) & (y <= 1)) and abs(y.mean() - 0.005) < 1e-3
    assert np.array_equal(to_scale(np.array([0.0, 0.02, 0.1, 0.5]), "five"), [1, 1, 3, 5])


def test_simulation_is_deterministic():
    a = simulate_chaney(seed=11, **SMALL)
    b = simulate_chaney(seed=11, **SMALL)
    c = simulate_chaney(seed=12, **SMALL)
    for field in ("items", "ratings", "probs", "test_items", "test_ratings"):
        assert np.array_equal(getattr(a, field), getattr(b, field))
    assert not np.array_equal(a.items, c.items)


# ---------------------------------------------------------------------------- weightings
def test_naive_and_pop_weights_hand_case():
    assert np.array_equal(naive_weights(3), [1, 1, 1])
    # counts 2, 1, 3, 0 -> p = n_i / max = 2/3, 1/3, 1 -> w = 1.5, 3, 1
    w = pop_weights(np.array([0, 0, 1, 2, 2, 2]), 4)
    assert np.allclose(w, [1.5, 1.5, 3.0, 1.0, 1.0, 1.0])


def test_cafl_weights_hand_case_and_uniform_policy():
    # n = 10, t = 3: W = n/(n-s) ((t-s) + (n-t)/(n-s+1)/p)
    w = cafl_weights(np.array([0.1, 0.25, 0.5]), np.array([1, 2, 3]), t=3, n=10)
    assert np.allclose(w, [10 / 9 * (2 + 0.7 / 0.1), 10 / 8 * (1 + 7 / 9 / 0.25),
                           10 / 7 * (7 / 8 / 0.5)])
    assert math.isclose(w[0], 10.0)
    # a uniformly random policy (p = 1 / (n - s + 1)) gives constant weights n
    n, t = 50, 12
    s = np.arange(1, t + 1)
    assert np.allclose(cafl_weights(1.0 / (n - s + 1), s, t, n), n)
    with pytest.raises(ValueError):
        cafl_weights(np.array([0.1]), np.array([4]), t=3, n=10)


def test_ips_and_pf_weights_hand_case():
    assert np.allclose(ips_weights(np.array([0.5, 0.25])), [2, 4])
    pf = PoissonFactorization(user_shape=np.array([[2.0]]), user_rate=np.array([[1.0]]),
                              item_shape=np.array([[1.0]]), item_rate=np.array([[2.0]]))
    # lambda = E[theta] E[beta] = 2 * 0.5 = 1 -> propensity 1 - e^-1
    assert np.allclose(pf.propensity(np.array([0]), np.array([0])), 1 - math.exp(-1))
    # a block-structured exposure matrix: PF gives in-block pairs higher propensity
    users = np.repeat(np.arange(20), 5)
    items = np.concatenate([np.arange(5) + (0 if u < 10 else 5) for u in range(20)])
    model = fit_poisson_factorization(users, items, 20, 10, components=2, iterations=50)
    inside = model.propensity(np.array([0, 15]), np.array([1, 7]))
    outside = model.propensity(np.array([0, 15]), np.array([7, 1]))
    assert np.all(inside > outside)


@pytest.mark.parametrize("make_model", [lambda: _ExposureGRU(6, embedding=4, hidden=5),
                                        lambda: _ExposureMean(6, embedding=4)], ids=["gru", "mean"])
def test_pan_exposure_model_masks_and_normalises(make_model):
    torch.manual_seed(0)
    model = make_model()
    items = torch.tensor([[0, 3, 5], [2, 1, 4]])
    logp = model(items, torch.ones(2, 3))
    p = logp.exp()
    assert torch.allclose(p.sum(2), torch.ones(2, 3))
    assert p[0, 1, 0] == 0 and p[0, 2, 0] == 0 and p[0, 2, 3] == 0 and p[1, 2, 1] == 0
    assert p[0, 1, 3] > 0 and p[1, 2, 4] > 0  # the item rated at step t itself stays possible


@pytest.mark.parametrize("encoder", ["mean", "gru"])
def test_pan_propensities_shape_and_range(encoder):
    props = pan_propensities(np.array([[0, 3, 5], [2, 1, 4], [1, 0, 2]]), np.ones((3, 3)), 6,
                             epochs=2, embedding=4, hidden=5, encoder=encoder)
    assert props.shape == (3, 3) and np.all((props > 0) & (props <= 1))
    with pytest.raises(ValueError, match="encoder"):
        pan_propensities(np.zeros((2, 2), dtype=int), np.ones((2, 2)), 3, encoder="lstm")


def test_pan_mean_encoder_learns_planted_clusters():
    """Users stay inside one of 4 item clusters after their first (uniform) item: the fitted
    propensity of a later item is far above uniform over the unrated items, step 1 stays ~uniform."""
    rng = np.random.default_rng(0)
    n_users, n_items, steps, clusters = 600, 40, 6, 4
    size = n_items // clusters
    first = rng.integers(0, n_items, n_users)
    items = np.empty((n_users, steps), dtype=np.int64)
    for u in range(n_users):  # test data only; the model code is vectorised
        c = first[u] // size
        rest = rng.permutation([i for i in range(c * size, (c + 1) * size) if i != first[u]])
        items[u] = np.concatenate([[first[u]], rest[:steps - 1]])
    props = pan_propensities(items, np.ones((n_users, steps)), n_items, epochs=30, seed=1)
    later = props[:, 2:]
    uniform_later = 1.0 / (n_items - np.arange(2, steps))
    assert np.median(later / uniform_later) > 3
    assert abs(np.median(props[:, 0]) * n_items - 1) < 0.5


def test_method_weights_cover_all_methods(sim):
    n = sim.train()["users"].size
    for m in METHODS:
        w = method_weights(m, sim, pf_iterations=5, pan_epochs=1)
        assert w.shape == (n,) and np.all(np.isfinite(w)) and np.all(w > 0)
    tr = sim.train()
    assert np.allclose(method_weights("CAFL", sim),
                       cafl_weights(tr["probs"], tr["steps"], SMALL["train_steps"], SMALL["n_items"]))


# ---------------------------------------------------------------------------- the estimator
def test_cafl_objective_tracks_the_uniform_risk_naive_does_not():
    """Fixed per-pair loss (R - 1)^2; the policy favours pairs similar to well-rated ones, so the
    naive mean over observed pairs overestimates the uniform risk; CAFL's is unbiased."""
    naive, cafl = [], []
    for seed in range(12):
        s = simulate_chaney(seed=100 + seed, n_users=300, n_items=80, steps=20, train_steps=15,
                            n_test=5, top_k=10)
        r = empirical_risks(s, (s.rating_matrix - 1.0) ** 2)
        naive.append(r["naive"] - r["uniform"])
        cafl.append(r["cafl"] - r["uniform"])
    naive, cafl = np.array(naive), np.array(cafl)
    assert naive.mean() > 0.1                         # naive clearly biased upwards
    assert abs(cafl.mean()) < 0.3 * naive.mean()      # CAFL's error is far smaller ...
    assert np.mean(np.abs(cafl)) < np.mean(np.abs(naive))  # ... run by run on average
    assert abs(cafl.mean()) < 3 * cafl.std(ddof=1) / np.sqrt(cafl.size) + 0.02  # ~unbiased


# ---------------------------------------------------------------------------- the experiment
TINY = dict(n_users=60, n_items=50, steps=12, train_steps=8, n_test=5, top_k=5, runs=2,
            epochs=2, pan_epochs=1, pf_iterations=5, threads=1)


def test_run_table_3_1_is_deterministic_and_summarised():
    a = run_table_3_1(seed=7, **TINY)
    b = run_table_3_1(seed=7, **TINY)
    assert list(a.columns[:4]) == ["run", "method", "mse", "mae"]
    assert len(a) == TINY["runs"] * len(METHODS)
    assert a[["mse", "mae"]].equals(b[["mse", "mae"]])
    assert np.all(a["mse"] >= a["mae"] ** 2 - 1e-9)  # Jensen
    summary = summarize_table_3_1(a)
    assert list(summary.index) == list(METHODS)
    assert np.allclose(summary["thesis_mse"], [THESIS_TABLE_3_1[m]["mse"][0] for m in METHODS])
    with pytest.raises(ValueError):
        run_table_3_1(seed=7, methods=("Nope",), **TINY)


def test_gmf_fits_weighted_mean_under_strong_regularisation():
    users = np.repeat(np.arange(10), 4)
    items = np.tile(np.arange(4), 10)
    ratings = np.where(items < 2, 1.0, 5.0)
    w = np.where(items < 2, 3.0, 1.0)  # weighted mean 2
    model = train_gmf(users, items, ratings, w, n_users=10, n_items=4, epochs=3,
                      weight_decay=10.0)
    assert np.allclose(predict_gmf(model, users, items), 2.0, atol=0.1)


def test_presets():
    import yaml
    from pathlib import Path

    paper = yaml.safe_load((Path(__file__).resolve().parents[1] / "config/presets/paper.yaml").read_text())
    table = paper["ch3"]["table_3_1"]
    assert table["params"]["n_users"] == 3000 and table["params"]["n_items"] == 1000
    assert table["params"]["steps"] == 30 and table["runs"] == 10


def test_unseen_mask_and_row_sums_match_their_reference_formulations():
    """The first-occurrence mask equals the one-hot cumulative-sum one (repeats included), and
    the torch row sums equal np.add.at bit for bit."""
    from recdyn.cafl.corrections import _add_rows, _unseen_log_softmax

    gen = torch.Generator().manual_seed(0)
    items = torch.randint(0, 7, (5, 9), generator=gen)  # 9 steps over 7 items: repeats
    logits = torch.randn(5, 9, 7, generator=gen)
    onehot = torch.nn.functional.one_hot(items, 7).bool()
    seen = torch.cumsum(onehot.int(), dim=1).bool() ^ onehot
    expected = torch.log_softmax(logits.masked_fill(seen, float("-inf")), dim=2)
    assert torch.equal(_unseen_log_softmax(logits, items, 7), expected)

    rng = np.random.default_rng(1)
    rows = rng.integers(0, 30, 5000)
    values = rng.gamma(0.3, 1.0, (5000, 20))
    reference = 0.3 + np.zeros((30, 20))
    np.add.at(reference, rows, values)
    assert _add_rows(0.3 + np.zeros((30, 20)), rows, values).tobytes() == reference.tobytes()
