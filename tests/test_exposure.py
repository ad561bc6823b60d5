"""Tests of the exposure-game library (thesis sections 5.2, 5.3, 5.7): derivatives, Proposition 4,
the finder, the Riemannian test and the audit measures."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
import torch

from recdyn.exposure import audit
from recdyn.exposure.finder import find_local_equilibria, normalise, random_init, theta_gradient
from recdyn.exposure.game import gradients, hessians, mean_direction, utilities, utilities_and_gradients
from recdyn.exposure.models import cross_validate, fit_model, rating_data, rmse
from recdyn.exposure.riemann import riemannian_test, tangent_basis

D = torch.float64
torch.set_num_threads(1)  # tiny tensors: extra threads only add overhead on the shared machine


def _game(seed: int = 0, m: int = 40, d: int = 4, shift: float = 0.5):
    gen = torch.Generator().manual_seed(seed)
    return torch.randn(m, d, generator=gen, dtype=D) + shift


def _own_fd(fun, s: torch.Tensor, i: int, eps: float = 1e-5) -> torch.Tensor:
    """Central finite differences of fun(s)[..., i] with respect to s[..., i, :]."""
    out = torch.zeros(s.shape[:-2] + s.shape[-1:], dtype=D)
    for k in range(s.shape[-1]):
        up, down = s.clone(), s.clone()
        up[..., i, k] += eps
        down[..., i, k] -= eps
        out[..., k] = (fun(up)[..., i] - fun(down)[..., i]) / (2 * eps)
    return out


@pytest.mark.parametrize("tau", [0.3, 1.0, 2.5])
def test_gradients_and_hessians_match_finite_differences(tau):
    c = _game()
    s = normalise(torch.randn(2, 3, 4, generator=torch.Generator().manual_seed(1), dtype=D))
    weights = torch.rand(c.shape[0], generator=torch.Generator().manual_seed(2), dtype=D)
    g, h = gradients(s, c, tau, weights), hessians(s, c, tau, weights)
    assert g.shape == (2, 3, 4) and h.shape == (2, 3, 4, 4)
    for i in range(3):
        torch.testing.assert_close(g[..., i, :], _own_fd(lambda x: utilities(x, c, tau, weights), s, i),
                                   atol=1e-8, rtol=1e-6)
        for k in range(4):
            fd = _own_fd(lambda x: gradients(x, c, tau, weights)[..., k], s, i)
            torch.testing.assert_close(h[..., i, k, :], fd, atol=1e-7, rtol=1e-5)
    torch.testing.assert_close(h, h.transpose(-1, -2))


def test_utilities_are_probabilities_and_batched():
    c = _game(m=30)
    s = normalise(torch.randn(5, 6, 4, generator=torch.Generator().manual_seed(3), dtype=D))
    u, g = utilities_and_gradients(s, c, 0.2)
    torch.testing.assert_close(u.sum(-1), torch.ones(5, dtype=D))
    torch.testing.assert_close(u[3], utilities(s[3], c, 0.2))  # batch = one game at a time
    torch.testing.assert_close(g[1], gradients(s[1], c, 0.2))
    with pytest.raises(ValueError, match="tau > 0"):
        utilities(s, c, 0.0)


@pytest.mark.parametrize("tau", [0.05, 0.5, 3.0])
def test_cbar_is_critical_point(tau):
    """Proposition 4: s_1 = ... = s_n = c-bar is a critical point for every tau > 0."""
    c = _game(shift=0.3)
    cbar = mean_direction(c)
    s = cbar.expand(1, 5, 4).clone()
    test = riemannian_test(s, c, tau)
    assert float(test.grad_norm[0]) < 1e-12


def test_theta_gradient_is_chain_rule():
    c, tau = _game(), 0.7
    theta = 2.0 * torch.randn(1, 3, 4, generator=torch.Generator().manual_seed(4), dtype=D)
    analytic = theta_gradient(theta, c, tau)
    for i in range(3):
        fd = _own_fd(lambda t: utilities(normalise(t), c, tau), theta, i)
        torch.testing.assert_close(analytic[:, i], fd, atol=1e-8, rtol=1e-6)


def test_finder_two_player_nonnegative_converges_to_cbar():
    """Proposition 3 (non-negative, n = 2): s_1 = s_2 = c-bar is the equilibrium the finder reaches."""
    gen = torch.Generator().manual_seed(5)
    c = torch.rand(60, 2, generator=gen, dtype=D) + torch.tensor([0.5, 0.1], dtype=D)
    cbar = mean_direction(c)
    res = find_local_equilibria(c, random_init(4, 2, 2, seed=6, nonnegative=True), tau=1.0, step_size=0.5,
                                max_iter=20_000, nonnegative=True)
    assert bool(res.converged.all())
    assert float((res.s - cbar).norm(dim=-1).max()) < 1e-4
    assert bool((res.s >= 0).all())
    assert set(riemannian_test(res.s, c, 1.0).label) == {"confirmed"}


def test_finder_freezes_converged_runs_and_respects_max_iter():
    c = _game(shift=1.0)
    theta0 = random_init(3, 3, 4, seed=7)
    res = find_local_equilibria(c, theta0, tau=1.0, step_size=torch.tensor([0.5, 0.5, 1e-6], dtype=D),
                                max_iter=1500, compact_every=10)
    assert res.converged.tolist()[:2] == [True, True]
    assert not bool(res.converged[2]) and int(res.iterations[2]) == 1500
    assert int(res.iterations[0]) < 1500
    # the tiny-step run barely moved from its start
    assert float((res.s[2] - normalise(theta0[2])).abs().max()) < 1e-2


def _plain_reference(c, theta0, tau, alpha, max_iter, tol=1e-8, nonnegative=False):
    """The thesis' plain float64 iteration, spelled out: theta <- theta + alpha grad_theta u, stop (after the
    step) once ||theta_t - theta_{t-1}|| < tol sqrt(d)."""
    theta, out, its = theta0.clone(), [], []
    for b in range(theta.shape[0]):
        th = theta[b:b + 1]
        for it in range(1, max_iter + 1):
            new = th + alpha * theta_gradient(th, c, tau)
            if nonnegative:
                new = new.clamp_min(0.0)
            change = float((new - th).norm())
            th = new
            if change < tol * math.sqrt(c.shape[1]):
                break
        out.append(th[0])
        its.append(it)
    return torch.stack(out), its


def test_finder_plain_float64_mode_is_the_thesis_iteration():
    c = _game(seed=11, m=30, d=3)
    theta0 = random_init(2, 4, 3, seed=12)
    res = find_local_equilibria(c, theta0, tau=0.5, step_size=0.3, max_iter=40, tol=0.0, accelerate=False,
                                precision="float64")
    theta, _ = _plain_reference(c, theta0, 0.5, 0.3, 40, tol=0.0)
    torch.testing.assert_close(res.theta, theta, atol=1e-13, rtol=0)
    assert res.iterations.tolist() == [40, 40] and not bool(res.converged.any())
    assert res.float32_iterations.tolist() == [0, 0] and res.anderson_iterations.tolist() == [0, 0]


# Tolerance of "the same equilibrium". Both finders stop where the plain step is below thr = tol sqrt(d);
# near a stable fixed point x* the step is f(x) ~ A (x - x*) with A = dT/dx - I, so each end point lies
# within about thr / h of x*, h the smallest decay rate |eig(A)| (the plain tail contracts like 1 - h per
# iteration). On these games h > 1e-3 (contraction <= 0.999 per step), so the two end points are within
# 2 thr / h ~ 2e-8 * 2 / 1e-3 = 4e-5 of each other; we allow 1e-4 in ||s_new - s_ref|| per producer.
SAME_EQUILIBRIUM = 1e-4


@pytest.mark.parametrize(("tau", "nonnegative"), [(0.1, False), (0.3, True), (1.0, False)])
def test_accelerated_finder_reaches_the_plain_float64_equilibria(tau, nonnegative):
    """The default finder (float32 plain phase, scaled steps, Anderson tail) ends at the plain float64
    iteration's equilibria from the same starts, with the same second-order verdicts, in fewer iterations."""
    gen = torch.Generator().manual_seed(13)
    c = torch.randn(120, 4, generator=gen, dtype=D) * 0.6 + 0.3
    if nonnegative:
        c = c.abs()
    theta0 = random_init(4, 5, 4, seed=14, nonnegative=nonnegative)
    ref = find_local_equilibria(c, theta0, tau, 1.0, max_iter=20_000, nonnegative=nonnegative, accelerate=False,
                                precision="float64")
    new = find_local_equilibria(c, theta0, tau, 1.0, max_iter=20_000, nonnegative=nonnegative)
    assert bool(ref.converged.all()) and bool(new.converged.all())
    assert float((new.s - ref.s).norm(dim=-1).max()) < SAME_EQUILIBRIUM
    assert list(riemannian_test(new.s, c, tau).label) == list(riemannian_test(ref.s, c, tau).label)
    # runs that converge within the finder's window (50 iterations; tau = 0.3 here) never switch phase
    assert int(new.iterations.sum()) < int(ref.iterations.sum()) or int(ref.iterations.max()) <= 50
    assert int(new.iterations.sum()) <= int(ref.iterations.sum())
    if nonnegative:
        assert bool((new.s >= 0).all())


def test_finder_is_deterministic_and_checks_the_stop_rule_on_the_plain_step():
    c = _game(seed=15, m=80, d=4, shift=0.4)
    theta0 = random_init(3, 4, 4, seed=16)
    tol = 1e-8
    a = find_local_equilibria(c, theta0, 0.4, 1.0, max_iter=5000, tol=tol)
    b = find_local_equilibria(c, theta0.clone(), 0.4, 1.0, max_iter=5000, tol=tol)
    assert torch.equal(a.theta, b.theta) and torch.equal(a.iterations, b.iterations)
    assert bool(a.converged.all())
    thr = tol * math.sqrt(4)
    assert bool((a.last_change < thr).all())
    # the run ended with a plain step below thr, so the next plain step (float64) is below thr too
    nxt = torch.linalg.vector_norm(theta_gradient(a.theta, c, 0.4).flatten(1), dim=1)
    assert bool((nxt < thr).all())


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_float32_gradients_keep_the_equilibria_and_second_order_verdicts(seed):
    """float32 gradients vs float64 throughout (all accelerated), small games of several temperatures: the
    default "mixed" (float32 once a run contracts) ends at the float64 equilibria with the same float64
    Riemannian-test verdicts; so does "float32" (float32 from the first step) where the transient is not
    sensitive at float32's 1e-7 (tau >= 0.3 here; at tau = 0.05 a 1e-11 change of theta0 already moves the
    plain float64 iteration to another equilibrium in one of these games)."""
    gen = torch.Generator().manual_seed(100 + seed)
    c = torch.randn(60, 3, generator=gen, dtype=D) + 0.3
    low_precision_iterations = 0
    for tau in (0.05, 0.3, 1.0):
        theta0 = random_init(3, 4, 3, seed=200 + seed)
        hi = find_local_equilibria(c, theta0, tau, 1.0, max_iter=3000, precision="float64")
        assert int(hi.float32_iterations.sum()) == 0
        for precision in ("mixed", "float32") if tau >= 0.3 else ("mixed",):
            lo = find_local_equilibria(c, theta0, tau, 1.0, max_iter=3000, precision=precision)
            both = lo.converged & hi.converged
            assert bool(both.any())
            assert precision == "mixed" or int(lo.float32_iterations.sum()) > 0
            low_precision_iterations += int(lo.float32_iterations.sum())
            assert float((lo.s - hi.s).norm(dim=-1)[both].max()) < SAME_EQUILIBRIUM
            assert list(riemannian_test(lo.s, c, tau).label) == list(riemannian_test(hi.s, c, tau).label)
    assert low_precision_iterations > 0


def test_finder_device_argument():
    c = _game(seed=17, m=30, d=3)
    theta0 = random_init(2, 3, 3, seed=18, device="cpu")
    a = find_local_equilibria(c, theta0, 0.5, 1.0, max_iter=300)
    b = find_local_equilibria(c, theta0, 0.5, 1.0, max_iter=300, device=torch.device("cpu"))
    assert a.theta.device.type == "cpu" and torch.equal(a.theta, b.theta)
    with pytest.raises(ValueError, match="precision"):
        find_local_equilibria(c, theta0, 0.5, 1.0, precision="float16")


def test_finder_rejects_bad_input():
    c = _game()
    with pytest.raises(ValueError, match="positive orthant"):
        find_local_equilibria(c, -torch.ones(1, 2, 4, dtype=D), 1.0, 0.1, nonnegative=True)
    with pytest.raises(ValueError, match=r"\(B, n, d\)"):
        find_local_equilibria(c, torch.ones(2, 4, dtype=D), 1.0, 0.1)


def test_tangent_basis_is_orthonormal_and_perpendicular():
    s = normalise(torch.randn(7, 5, generator=torch.Generator().manual_seed(8), dtype=D))
    s[0] = torch.tensor([-1.0, 0, 0, 0, 0], dtype=D)
    u = tangent_basis(s)
    torch.testing.assert_close(u.transpose(-1, -2) @ u, torch.eye(4, dtype=D).expand(7, 4, 4))
    torch.testing.assert_close((s[:, None, :] @ u)[:, 0], torch.zeros(7, 4, dtype=D), atol=1e-14, rtol=0)


def test_riemannian_test_accepts_maximum_and_rejects_saddle():
    """Single consumer c = e_1 with n = 2 at tau = 1: s_i = e_1 is a strict local maximum of each u_i
    (confirmed); s_1 = -e_1 (a critical point, the minimum) is rejected by the Hessian, and a
    non-critical point by the gradient."""
    c = torch.tensor([[1.0, 0.0, 0.0]], dtype=D)
    e1 = torch.tensor([1.0, 0.0, 0.0], dtype=D)
    s = torch.stack([torch.stack([e1, e1]), torch.stack([-e1, e1]), normalise(torch.tensor([[1.0, 1, 0], [1, 0, 0]], dtype=D))])
    test = riemannian_test(s, c, 1.0)
    assert list(test.label) == ["confirmed", "rejected", "rejected"]
    assert float(test.max_eig[0]) < 0 < float(test.max_eig[1])
    assert float(test.grad_norm[1]) < 1e-12 < float(test.grad_norm[2])


def test_riemannian_test_rejects_saddle_and_flags_flat_points():
    """Saddle: consumers (+-2, 0, 1) and (0, +-2, -1), s_1 = e_3, s_2 = -e_3, tau = 1. Both gradients
    vanish by symmetry and player 1's tangent Hessian is diag(k_A a^2/2, k_B b^2/2) with k_A < 0 < k_B.
    Flat: consumers +-e_1, s_1 = e_3, s_2 = e_2 give u_1 = 1/2 identically (zero eigenvalues)."""
    c = torch.tensor([[2.0, 0, 1], [-2.0, 0, 1], [0, 2.0, -1], [0, -2.0, -1]], dtype=D)
    e3 = torch.tensor([0.0, 0, 1], dtype=D)
    test = riemannian_test(torch.stack([e3, -e3])[None], c, 1.0)
    eig = test.eigenvalues[0, 0]
    assert float(test.grad_norm[0]) < 1e-14
    assert float(eig.min()) < -1e-3 and float(eig.max()) > 1e-3 and test.label[0] == "rejected"
    flat = riemannian_test(torch.tensor([[[0.0, 0, 1], [0, 1.0, 0]]], dtype=D),
                           torch.tensor([[1.0, 0, 0], [-1.0, 0, 0]], dtype=D), 1.0)
    assert float(flat.eigenvalues.abs().max()) == 0.0 and flat.label[0] == "not ruled out"
    assert float(flat.grad_norm[0]) < 1e-15


def test_distinct_strategies_and_collapse():
    a = torch.tensor([1.0, 0, 0], dtype=D)
    b = torch.tensor([0.0, 1, 0], dtype=D)
    near = normalise(torch.tensor([1.0, 1e-4, 0], dtype=D))
    s = torch.stack([torch.stack([a, a, a, a]), torch.stack([a, near, b, b]), torch.stack([a, b, -a, -b])])
    assert audit.distinct_strategies(s, 1e-6).tolist() == [1, 2, 4]
    chain = torch.stack([normalise(torch.tensor([1.0, t, 0], dtype=D)) for t in (0.0, 0.01, 0.02, 0.03)])
    assert audit.distinct_strategies(chain[None], 1e-4).tolist() == [1]  # single linkage chains
    assert float(audit.distance_to_direction(s[:1], a)[0]) == 0.0


def test_user_gender_targeting_signs():
    users = torch.tensor([[1.0, 0.0], [1.0, 0.1], [0.0, 1.0]], dtype=D)
    male = torch.tensor([True, True, False])
    towards_men = torch.tensor([[[1.0, 0.0], [1.0, 0.05]]], dtype=D)
    dmax, dshare = audit.user_gender_targeting(towards_men, users, male)
    assert float(dmax[0]) > 0.9 and float(dshare[0]) == 1.0
    dmax, dshare = audit.user_gender_targeting(torch.tensor([[[0.0, 1.0], [0.1, 1.0]]], dtype=D), users, male)
    assert float(dmax[0]) < 0 and float(dshare[0]) == -1.0


def test_creator_gender_neighbourhoods():
    creators = torch.tensor([[1.0, 0.0], [0.99, 0.1], [0.0, 1.0], [0.1, 0.99]], dtype=D)
    male = torch.tensor([True, True, False, False])
    s = torch.tensor([[[1.0, 0.0]]], dtype=D)
    frac, dist = audit.creator_gender_neighbourhoods(s, creators, male, [1, 2, 4])
    assert frac[0].tolist() == [1.0, 1.0, 0.0]
    assert math.isnan(float(dist[0, 0])) and float(dist[0, 2]) > 0.5


def test_models_fit_and_nmf_nonnegative():
    rng = np.random.default_rng(0)
    u, i = rng.integers(0, 40, 1500), rng.integers(0, 30, 1500)
    pu, qi = rng.random((40, 2)), rng.random((30, 2))
    table = pd.DataFrame({"u": u, "i": i, "rating": 1 + 2 * (pu[u] * qi[i]).sum(1) + 0.1 * rng.standard_normal(1500)})
    data = rating_data(table, "u", "i")
    kwargs = dict(epochs=30, batch_size=200, init_std=0.1)
    nmf = fit_model(data, "nmf", 3, reg=0.001, lr=0.03, seed=1, **kwargs)
    assert (nmf.users >= 0).all() and (nmf.items >= 0).all()
    mf = fit_model(data, "mf", 3, reg=0.001, lr=0.03, seed=1, **kwargs)
    assert mf.user_bias is not None
    spread = float(np.std(data.ratings))
    for model in (nmf, mf, fit_model(data, "pmf", 3, reg=0.001, lr=0.03, seed=1, **kwargs)):
        assert rmse(model, data, np.ones(len(data.ratings), bool)) < 0.6 * spread
    cv = cross_validate(data, "pmf", 2, {"reg": [0.001, 10.0], "lr": [0.03]}, folds=2, holdout=0.1, seed=0, **kwargs)
    assert cv.iloc[0]["reg"] == 0.001 and cv["rmse"].is_monotonic_increasing
    with pytest.raises(ValueError, match="unknown rating model"):
        fit_model(data, "svd", 2, reg=0.1, lr=0.1, seed=0, **kwargs)


@pytest.mark.parametrize("model", ["pmf", "nmf", "mf"])
def test_models_float32_fit_stays_at_the_float64_fit(model):
    """The audit's float32 fits (default preset) end where the float64 ones do: same draws, same steps,
    embeddings within 1e-3 of each other (relative) and the same RMSE to 1e-4; results are float64."""
    rng = np.random.default_rng(3)
    u, i = rng.integers(0, 60, 4000), rng.integers(0, 50, 4000)
    pu, qi = rng.random((60, 3)), rng.random((50, 3))
    table = pd.DataFrame({"u": u, "i": i, "rating": 1 + 2 * (pu[u] * qi[i]).sum(1) + 0.1 * rng.standard_normal(4000)})
    data = rating_data(table, "u", "i")
    kwargs = dict(reg=0.01, lr=0.01, epochs=20, batch_size=100, init_std=0.1, seed=2)
    wide, narrow = (fit_model(data, model, 3, precision=p, **kwargs) for p in ("float64", "float32"))
    assert narrow.users.dtype == np.float64 and narrow.items.dtype == np.float64
    assert not np.array_equal(wide.users, narrow.users)  # really computed in another precision
    for a, b in ((wide.users, narrow.users), (wide.items, narrow.items)):
        assert np.linalg.norm(a - b) <= 1e-3 * np.linalg.norm(a)
    everything = np.ones(len(data.ratings), bool)
    assert abs(rmse(wide, data, everything) - rmse(narrow, data, everything)) < 1e-4
    with pytest.raises(ValueError, match="precision"):
        fit_model(data, model, 3, precision="float16", **kwargs)


def test_run_sweep_table_and_nan_for_large_neighbourhoods():
    from recdyn.exposure.sweep import SweepSpec, run_sweep

    rng = np.random.default_rng(0)
    spec = SweepSpec(ns=[3], taus=[0.2, 1.0], step_sizes=[0.5, 1.0], inits=2, init_seed=1, max_iter=300, tol=1e-8,
                     grad_tol=1e-5, eig_tol=0.0, cluster_eps=1e-4, neighbourhoods=[1, 5, 50])
    users, items = rng.random((25, 3)), rng.random((12, 3))
    table, strategies = run_sweep(users, items, spec, nonnegative=True, seed=0, labels={"dataset": "lastfm", "d": 3},
                                  user_is_male=rng.random(25) < 0.5, item_is_male=rng.random(12) < 0.5,
                                  item_gendered=np.ones(12, bool))
    assert len(table) == 2 * 2 * 2 + 2 and set(table["kind"]) == {"strategic", "baseline"}
    assert table["frac_diff_k50"].isna().all() and table["frac_diff_k5"].notna().all()
    assert set(strategies) == {"n3_tau0.2", "n3_tau1"} and strategies["n3_tau1"].shape == (4, 3, 3)
    assert (table.loc[table["kind"] == "strategic", "step_size"].value_counts() == 4).all()
    assert list(table.columns[:2]) == ["dataset", "d"]


def test_sweep_chunks_cover_games_once():
    from recdyn.exposure.sweep import SweepSpec

    spec = SweepSpec(ns=[10, 100], taus=[0.01, 0.1, 1.0], step_sizes=[0.1], inits=1, init_seed=0, max_iter=1,
                     tol=0.0, grad_tol=1e-5, eig_tol=0.0, cluster_eps=1e-4, neighbourhoods=[1], games_per_job=4)
    chunks = spec.chunks()
    assert [len(c) for c in chunks] == [4, 2]
    assert sum(chunks, []) == spec.games() and len(set(spec.games())) == 6
    spec.games_per_job = 0
    assert spec.chunks() == [spec.games()]


def test_sweep_table_does_not_depend_on_the_chunking():
    """Games run one by one with their own seeds: the chunks of a job split, concatenated, are the
    one-job table, row for row (so ``games_per_job`` is a cost knob only)."""
    from recdyn.exposure.sweep import SweepSpec, run_sweep

    rng = np.random.default_rng(4)
    spec = SweepSpec(ns=[2, 3], taus=[0.2, 1.0], step_sizes=[1.0], inits=2, init_seed=1, max_iter=200, tol=1e-8,
                     grad_tol=1e-5, eig_tol=0.0, cluster_eps=1e-4, neighbourhoods=[1, 5], games_per_job=3)
    users, items = rng.random((20, 3)), rng.random((10, 3))
    kwargs = dict(nonnegative=True, seed=1, labels={"dataset": "lastfm"}, item_is_male=rng.random(10) < 0.5,
                  item_gendered=np.ones(10, bool))
    parts = [run_sweep(users, items, spec, games=chunk, **kwargs) for chunk in spec.chunks()]
    whole, strategies = run_sweep(users, items, spec, **kwargs)
    assert len(parts) == 2
    pd.testing.assert_frame_equal(pd.concat([p[0] for p in parts], ignore_index=True), whole)
    merged = {k: v for _, s in parts for k, v in s.items()}
    assert merged.keys() == strategies.keys() and all(np.array_equal(merged[k], strategies[k]) for k in merged)


def test_sweep_precision_reaches_the_finder(monkeypatch):
    """``sweep.precision`` (the default preset's float32) is the finder's gradient precision; the
    second-order test stays float64 whatever it is."""
    import recdyn.exposure.sweep as sweep_module
    from recdyn.exposure.sweep import SweepSpec, run_sweep

    seen = []
    real = sweep_module.find_local_equilibria

    def spy(*args, **kwargs):
        seen.append(kwargs["precision"])
        return real(*args, **kwargs)

    monkeypatch.setattr(sweep_module, "find_local_equilibria", spy)
    rng = np.random.default_rng(2)
    users, items = rng.random((20, 3)), rng.random((10, 3))
    tables = {}
    for precision in ("float32", "float64"):
        spec = SweepSpec(ns=[2], taus=[1.0], step_sizes=[1.0], inits=2, init_seed=1, max_iter=400, tol=1e-8,
                         grad_tol=1e-5, eig_tol=0.0, cluster_eps=1e-4, neighbourhoods=[1], precision=precision)
        tables[precision], _ = run_sweep(users, items, spec, nonnegative=True, seed=0, labels={})
    assert seen == ["float32", "float64"]
    assert SweepSpec.__dataclass_fields__["precision"].default == "mixed"
    # tau = 1: one equilibrium (Theorem 4), reached in both precisions with the same label
    pd.testing.assert_series_equal(tables["float32"]["label"], tables["float64"]["label"])


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")
def test_finder_on_cuda_reaches_the_cpu_equilibria():
    c = _game(seed=19, m=200, d=4, shift=0.4)
    theta0 = random_init(3, 4, 4, seed=20)
    cpu = find_local_equilibria(c, theta0, 0.4, 1.0, max_iter=5000)
    gpu = find_local_equilibria(c, theta0, 0.4, 1.0, max_iter=5000, device="cuda")
    assert gpu.s.device.type == "cuda" and bool(gpu.converged.all())
    assert float((gpu.s.cpu() - cpu.s).norm(dim=-1).max()) < SAME_EQUILIBRIUM
    assert list(riemannian_test(gpu.s, c.cuda(), 0.4).label) == list(riemannian_test(cpu.s, c, 0.4).label)


@pytest.mark.parametrize("model", ["pmf", "mf"])
def test_models_batch_gradients_are_autograds(model):
    """fit_model's written-out gradients, accumulated at repeated users/items, are autograd's
    gradients of the batch loss mean((t - pred)^2 + reg * penalty) (float64, to rounding)."""
    from recdyn.exposure.models import batch_gradients

    gen = torch.Generator().manual_seed(0)
    p, q = torch.randn(7, 4, generator=gen, dtype=D), torch.randn(5, 4, generator=gen, dtype=D)
    bu, bi = (torch.randn(7, generator=gen, dtype=D), torch.randn(5, generator=gen, dtype=D)) if model == "mf" else (None, None)
    u, i = torch.randint(0, 7, (30,), generator=gen), torch.randint(0, 5, (30,), generator=gen)
    target, reg = torch.randn(30, generator=gen, dtype=D), 0.3
    params = [x.clone().requires_grad_() for x in (p, q, bu, bi) if x is not None]
    pu, qi = params[0][u], params[1][i]
    pred, penalty = (pu * qi).sum(1), (pu * pu).sum(1) + (qi * qi).sum(1)
    if model == "mf":
        pred, penalty = pred + params[2][u] + params[3][i], penalty + params[2][u] ** 2 + params[3][i] ** 2
    ((target - pred) ** 2 + reg * penalty).mean().backward()
    written = batch_gradients(p, q, bu, bi, u, i, target, reg)
    assert len(written) == len(params) and len(set(u.tolist())) < len(u)  # repeated rows accumulate
    for x, rows, g in zip(params, (u, i, u, i), written):
        dense = torch.zeros_like(x.detach()).index_add_(0, rows, g)
        torch.testing.assert_close(dense, x.grad, rtol=0, atol=1e-12)
