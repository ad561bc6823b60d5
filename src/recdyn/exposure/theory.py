"""Constructions and numerical checks of thesis sections 5.2 and 5.5: Figure 5.2 (panels A-E), Figure 5.6
(Proposition 3, n = 4), Theorem 3's counterexamples, Proposition 3 and Theorem 4's epsilon.

Every function takes its sizes from the ``ch5_theory`` configuration section and returns plain dicts of
numbers and lists (JSON-ready, see :func:`jsonable`); softmax quantities use the chapter's game code
(:mod:`recdyn.exposure.game`, :mod:`recdyn.exposure.finder`), hardmax ones :mod:`recdyn.exposure.hardmax`.
Angles in the configuration are in degrees.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import torch
from scipy.optimize import brentq

from recdyn.exposure import hardmax as hm
from recdyn.exposure.finder import find_local_equilibria, random_init
from recdyn.exposure.game import gradients, mean_direction, utilities
from recdyn.exposure.riemann import riemannian_test

Q = np.array([[0.0, -1.0], [1.0, 0.0]])  # rotation by +90 degrees (proof of Proposition 3)


def jsonable(obj: Any) -> Any:
    """Numpy/torch arrays and scalars inside dicts/lists as plain Python numbers and lists."""
    if isinstance(obj, Mapping):
        return {str(k): jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [jsonable(v) for v in obj]
    if isinstance(obj, torch.Tensor):
        return obj.detach().cpu().numpy().tolist()
    if isinstance(obj, np.ndarray):
        return obj.tolist()
    if isinstance(obj, np.generic):
        return obj.item()
    return obj


def angles_of(points: np.ndarray) -> np.ndarray:
    """Angles in degrees in [0, 360) of points in R^2."""
    points = np.asarray(points, dtype=float)
    return np.rad2deg(np.arctan2(points[..., 1], points[..., 0])) % 360.0


def circle_grid(points: int) -> np.ndarray:
    """``points`` equally spaced strategies on S^1, starting at angle 0 (section 5.6 grid for d = 2)."""
    return hm.sphere_grid(2, points)


def _u1(s: np.ndarray, c: np.ndarray, tau: float, weights: np.ndarray | None = None) -> np.ndarray:
    """Softmax utility of producer 1 for profiles ``s`` (..., n, d), as numpy."""
    w = None if weights is None else torch.as_tensor(weights, dtype=torch.float64)
    return utilities(torch.as_tensor(s), torch.as_tensor(c), tau, w)[..., 0].numpy()


# ---------------------------------------------------------------- Figure 5.2 A: no PNE (Theorem 3 (I))


def panel_a(cfg: Mapping[str, Any]) -> dict[str, Any]:
    """Figure 5.2A: the two-player hardmax game of Theorem 3 (I) on the circle, shown by best-response cycling.

    Consumers sit at ``hardmax.consumer_angles_deg`` (120 degrees apart). Best responses are computed on a
    circle grid of ``hardmax.grid_points`` strategies. The certificate of "no PNE on the grid" is
    ``min_{s2} max_{s1} u_1(s1, s2) > 1/2`` (every profile leaves one player a strictly better reply).
    """
    hcfg, pcfg = cfg["hardmax"], cfg["fig_5_2"]["panel_a"]
    c = hm.circle_points(hcfg["consumer_angles_deg"])
    grid = circle_grid(hcfg["grid_points"])
    s0 = hm.circle_points(pcfg["start_angles_deg"])
    dyn = hm.best_response_dynamics(grid, s0, c, pcfg["steps"])
    gains = hm.max_deviation_gain(grid, c)
    return {
        "consumers": c,
        "profiles": dyn["profiles"],
        "mover_utility_before": dyn["before"],
        "mover_utility_after": dyn["after"],
        "min_best_reply": float(gains.min()),
        "grid_points": len(grid),
    }


# ---------------------------------------------------------------- Figure 5.2 B, C: no quasi-concavity


def slice_utilities(cfg: Mapping[str, Any]) -> dict[str, Any]:
    """Figures 5.2B and C: utility of producer 1 along ``s_1 = lambda c_i + (1 - lambda) c_j``.

    Readings: the game is Theorem 3's (consumers of ``hardmax.consumer_angles_deg``); the slice joins the
    consumers ``slice.pair`` inside the ball B^d (the convex relaxation the text discusses, so ``s_1`` is not
    renormalised); the ``n - 1`` other producers sit at the midpoint ``(c_i + c_j)/2`` of the slice. Panel C
    plots ``u_1(lambda) - u_1(1/2)``; quasi-concavity fails when both end points beat the midpoint.
    """
    scfg = cfg["fig_5_2"]["slice"]
    c = hm.circle_points(cfg["hardmax"]["consumer_angles_deg"])
    i, j = scfg["pair"]
    lam = np.linspace(0.0, 1.0, scfg["points"])
    s1 = lam[:, None] * c[i] + (1 - lam[:, None]) * c[j]
    mid = 0.5 * (c[i] + c[j])
    n = scfg["n"]
    profiles = np.concatenate([s1[:, None, :], np.broadcast_to(mid, (len(lam), n - 1, 2))], axis=1)
    curves, dips = {}, {}
    centre = len(lam) // 2
    for tau in scfg["taus"]:
        u = _u1(profiles, c, tau)
        curves[str(tau)] = u
        dips[str(tau)] = float(min(u[0], u[-1]) - u[centre])
    return {"consumers": c, "lambda": lam, "slice": s1, "midpoint": mid, "n": n, "utility": curves,
            "endpoint_minus_midpoint": dips}


# ---------------------------------------------------------------- Figure 5.2 D, E: equilibria found by the finder


def _run_finder(
    c: np.ndarray, n: int, tau: float, fcfg: Mapping[str, Any], seed: int, nonnegative: bool = True,
    theta0: torch.Tensor | None = None,
) -> dict[str, Any]:
    """Local equilibria from ``fcfg['restarts']`` seeded random starts (or ``theta0``) with the section 5.3 finder.

    The step is ``fcfg['step_size'] * tau`` (the thesis code's ``scale_lr_by_temperature`` option: gradients
    scale as 1/tau, so this makes the step size comparable across temperatures).
    """
    ct = torch.as_tensor(c, dtype=torch.float64)
    if theta0 is None:
        theta0 = random_init(fcfg["restarts"], n, c.shape[1], seed, nonnegative=nonnegative)
    res = find_local_equilibria(ct, theta0, tau, fcfg["step_size"] * tau, max_iter=fcfg["max_iter"],
                                tol=fcfg["tol"], nonnegative=nonnegative)
    test = riemannian_test(res.s, ct, tau)
    s = res.s.numpy()
    ang = np.sort(angles_of(s), axis=1)
    return {
        "tau": tau,
        "s": s,
        "angles_sorted": ang,
        "spread_deg": ang[:, -1] - ang[:, 0],
        "converged": res.converged.numpy(),
        "iterations": res.iterations.numpy(),
        "test": np.asarray(test.label).tolist(),
        "utilities": utilities(res.s, ct, tau).numpy(),
    }


def _pick(run: Mapping[str, Any]) -> int:
    """Index of the run to draw: the first converged run passing the second-order test, else the first."""
    for k, (conv, label) in enumerate(zip(run["converged"], run["test"])):
        if conv and label == "confirmed":
            return k
    return 0


def panel_d(cfg: Mapping[str, Any]) -> dict[str, Any]:
    """Figure 5.2D: a four-player non-negative game whose local equilibria differ with tau.

    Large tau collapses every producer onto c-bar (Theorem 4); small tau gives "protective positioning".
    Equilibria come from :func:`recdyn.exposure.finder.find_local_equilibria` (projected onto the orthant).
    """
    pcfg = cfg["fig_5_2"]["panel_d"]
    c = hm.circle_points(pcfg["consumer_angles_deg"])
    runs = [_run_finder(c, pcfg["n"], tau, pcfg["finder"], cfg["seed"] + k) for k, tau in enumerate(pcfg["taus"])]
    for run in runs:
        run["picked"] = _pick(run)
    return {"consumers": c, "c_bar": mean_direction(torch.as_tensor(c)).numpy(), "runs": runs}


def clustered_consumers(centers_deg: list[float], per_cluster: int, spread_deg: float, seed: int) -> np.ndarray:
    """Consumers on the circle: ``per_cluster`` angles ~ N(center, spread) (degrees) around every center."""
    rng = np.random.default_rng(seed)
    angles = np.concatenate([rng.normal(c0, spread_deg, per_cluster) for c0 in centers_deg])
    return hm.circle_points(angles)


def panel_e(cfg: Mapping[str, Any]) -> dict[str, Any]:
    """Figure 5.2E: protective positioning with n = 3 producers and consumers clustered around three centres.

    Reading: the thesis does not give the consumers or the starting point; we draw ``per_cluster`` consumers
    around each of ``centers_deg`` and start the finder at the centres plus seeded noise (``init_noise``),
    so it settles in the local equilibrium next to the clusters. Reports each producer's offset from its
    nearest centre and whether that offset points towards the nearest other cluster (the contested consumers).

    Finding (measured, not in the thesis): on the circle, protective positioning is not a strict local
    equilibrium. A producer next to its own cluster gains from the exponential tail of a neighbouring
    cluster faster than it loses its own consumers (the gain's curvature scales as 1/tau^2, the loss's as
    1/tau), so its own-utility Hessian has a positive tangent eigenvalue and the second-order test of
    section 5.7 rejects the profile. At small tau that eigenvalue is tiny (1e-11 to 1e-4) and the finder
    creeps: with the thesis' stopping rule it may stop at once (parameter change below 1e-8 sqrt(d)), or
    after tens of thousands of iterations two producers merge into a confirmed equilibrium. Searched
    without finding a confirmed protective profile: non-negative quarter-circle and full-circle
    geometries (3 clusters, spreads 0-20 degrees, middle-cluster weights 1-4, tau 0.002-0.5), roots of
    the first-order conditions by Newton's method, and d = 3 clusters at the orthant's corners. The panel
    therefore draws the finder's output, as the thesis' figure does, and states the test's verdict.
    """
    pcfg = cfg["fig_5_2"]["panel_e"]
    n = len(pcfg["centers_deg"])
    c = clustered_consumers(pcfg["centers_deg"], pcfg["per_cluster"], pcfg["spread_deg"], cfg["seed"] + 100)
    gen = torch.Generator().manual_seed(cfg["seed"] + 101)
    restarts = pcfg["finder"]["restarts"]
    theta0 = torch.as_tensor(hm.circle_points(pcfg["centers_deg"])).expand(restarts, n, 2)
    theta0 = theta0 + pcfg["init_noise"] * torch.randn(restarts, n, 2, generator=gen, dtype=torch.float64)
    nonneg = pcfg["nonnegative"]
    if nonneg:
        theta0 = theta0.abs()
    run = _run_finder(c, n, pcfg["tau"], pcfg["finder"], cfg["seed"] + 101, nonnegative=nonneg, theta0=theta0)
    run["picked"] = _pick(run)
    centers = np.asarray(pcfg["centers_deg"], dtype=float) % 360.0
    ang = angles_of(run["s"])  # (R, n), producer i started at centre i
    offset = (ang - centers + 180.0) % 360.0 - 180.0
    # direction to the nearest other centre (+1 = larger angle)
    gaps = (centers[None, :] - centers[:, None] + 180.0) % 360.0 - 180.0
    np.fill_diagonal(gaps, np.inf)
    toward = np.sign(gaps[np.arange(n), np.abs(gaps).argmin(1)])
    run["offset_deg"] = offset
    run["offset_towards_neighbour"] = np.sign(offset) == toward[None, :]
    return {"consumers": c, "centers_deg": centers, "run": run}


# ---------------------------------------------------------------- Figure 5.6: Proposition 3, n = 4


def prop3_f(theta: np.ndarray, tau: float) -> np.ndarray:
    """``f(theta) = <g_1(s), Q s_1>`` with ``s_1 = s_2 = phi(theta)``, ``s_3 = s_4 = phi(pi/2 - theta)``.

    ``P_c = (delta_{e1} + delta_{e2})/2``, n = 4 (proof of Proposition 3); ``f`` is d u_1 / d theta_1.
    """
    theta = np.atleast_1d(np.asarray(theta, dtype=float))
    s = np.stack([_phi(theta), _phi(theta), _phi(np.pi / 2 - theta), _phi(np.pi / 2 - theta)], axis=-2)
    g = gradients(torch.as_tensor(s), torch.eye(2, dtype=torch.float64), tau)[..., 0, :].numpy()
    return np.einsum("...d,...d->...", g, _phi(theta) @ Q.T)


def _phi(theta: np.ndarray) -> np.ndarray:
    theta = np.asarray(theta, dtype=float)
    return np.stack([np.cos(theta), np.sin(theta)], axis=-1)


def fig_5_6(cfg: Mapping[str, Any]) -> dict[str, Any]:
    """Figure 5.6: the symmetric equilibrium theta* of Proposition 3 (n = 4, d = 2) and every defection.

    ``theta*`` is the root of ``f`` in ``(0, pi/4)`` (Lemma 7: at most one besides ``pi/4``), bracketed on
    the grid and refined with Brent's method. The defection curve is ``u_1(phi(theta_1), s_2, s_3, s_4)``
    and its derivative ``<g_1, Q s_1>`` for ``theta_1`` in ``[0, pi/2]``.
    """
    fcfg = cfg["fig_5_6"]
    tau = fcfg["tau"]
    theta = np.linspace(0.0, np.pi / 4, fcfg["points"])
    f = prop3_f(theta, tau)
    negative = np.nonzero(f < 0)[0]
    root = None
    if len(negative) and f[0] > 0:
        root = float(brentq(lambda t: float(prop3_f(t, tau)[0]), 0.0, theta[negative[0]], xtol=1e-14))
    out: dict[str, Any] = {"tau": tau, "theta": theta, "f": f, "theta_star": root}
    if root is None:
        return out
    theta1 = np.linspace(0.0, np.pi / 2, 2 * fcfg["points"] - 1)
    others = np.stack([_phi(root), _phi(np.pi / 2 - root), _phi(np.pi / 2 - root)])
    s = np.concatenate([_phi(theta1)[:, None, :], np.broadcast_to(others, (len(theta1), 3, 2))], axis=1)
    c = np.eye(2)
    u = _u1(s, c, tau)
    g = gradients(torch.as_tensor(s), torch.as_tensor(c), tau)[:, 0, :].numpy()
    du = np.einsum("kd,kd->k", g, _phi(theta1) @ Q.T)
    eq = np.stack([_phi(root), _phi(root), _phi(np.pi / 2 - root), _phi(np.pi / 2 - root)])
    u_eq = float(_u1(eq[None], c, tau)[0])
    out.update({
        "theta1": theta1, "defection_utility": u, "defection_gradient": du, "equilibrium": eq,
        "equilibrium_utility": u_eq, "best_defection_gain": float(u.max() - u_eq),
        "f_at_pi_over_8": float(prop3_f(np.pi / 8, tau)[0]),
    })
    return out


# ---------------------------------------------------------------- hardmax checks: Lemma 8, Theorem 3 (I), Prop 3 (I)


def hardmax_checks(cfg: Mapping[str, Any]) -> dict[str, Any]:
    """Lemma 8 with the LP and the Lemma 9 test, the hitting-set search, Theorem 3 (I) and Proposition 3 (I)."""
    hcfg = cfg["hardmax"]
    c = hm.circle_points(hcfg["consumer_angles_deg"])
    grid = circle_grid(hcfg["grid_points"])
    if len(grid) > hcfg["max_strategies"]:
        raise ValueError(f"ch5_theory.hardmax.grid_points={len(grid)} exceeds max_strategies={hcfg['max_strategies']}")
    U = hm.payoff_matrix(grid, c)
    lp = hm.solve_discretized_game(U, spread=True)
    on_consumer = np.abs(grid[:, None, :] - c[None]).sum(-1).min(-1) < 1e-9
    if on_consumer.sum() != len(c):
        raise ValueError("ch5_theory.hardmax.grid_points must put grid points on every consumer angle "
                         "(e.g. a multiple of 360 for integer-degree consumers)")
    pc = on_consumer / on_consumer.sum()  # Lemma 8's P_c on the grid
    keep = lp.x > 1e-9
    lp_support, lp_probs = grid[keep], lp.x[keep] / lp.x[keep].sum()
    max_cells = hcfg["max_cells"]
    uniform = hm.lemma9_test(c, np.full(len(c), 1 / len(c)), c, max_cells=max_cells)
    lp_test = hm.lemma9_test(lp_support, lp_probs, c, max_cells=max_cells)
    perturbed_support = hm.circle_points(np.asarray(hcfg["consumer_angles_deg"]) + hcfg["perturbation_deg"])
    perturbed = hm.lemma9_test(perturbed_support, np.full(len(c), 1 / len(c)), c, max_cells=max_cells)
    hs_cfg = hcfg["hitting_set"]
    hs = hm.hitting_set_search(c, hs_cfg["max_support"], circle_grid(hs_cfg["pool_points"]),
                               max_iter=hs_cfg["max_iter"], max_cells=max_cells)
    # Proposition 3 (I): n = d = 2 non-negative hardmax games have the median-angle PNE
    p3 = hcfg["prop3"]
    rng = np.random.default_rng(cfg["seed"] + 200)
    quarter = hm.sphere_grid(2, p3["grid_points"], nonnegative=True)
    median_gains = []
    for _ in range(p3["games"]):
        ang = np.sort(rng.uniform(0.0, 90.0, p3["consumers"]))
        cc = hm.circle_points(ang)
        s_med = hm.circle_points([np.median(ang)])
        candidates = np.vstack([quarter, cc])
        median_gains.append(float(hm.pairwise_utility(candidates, s_med, cc).max()))
    # Proposition 3, d = 3: canonical basis vectors, no PNE (checked on a grid of the orthant)
    e = np.eye(3)
    grid3 = hm.sphere_grid(3, p3["grid3_k"], nonnegative=True, max_strategies=hcfg["max_strategies"])
    gains3 = hm.max_deviation_gain(grid3, e)
    return {
        "lp": {"grid_points": len(grid), "value": lp.value, "exploitability": lp.exploitability,
               "support_angles": angles_of(lp_support), "support_probs": lp_probs,
               "distance_to_pc_l1": float(np.abs(lp.x - pc).sum()),
               "pc_min_payoff": float((U.T @ pc).min()), "status": lp.status},
        "lemma9_uniform": {"is_equilibrium": uniform.is_equilibrium, "best_reply": uniform.best_reply_value},
        "lemma9_lp": {"is_equilibrium": lp_test.is_equilibrium, "best_reply": lp_test.best_reply_value},
        "lemma9_perturbed": {"is_equilibrium": perturbed.is_equilibrium, "best_reply": perturbed.best_reply_value,
                             "witness_angles": angles_of(perturbed.witnesses),
                             "perturbation_deg": hcfg["perturbation_deg"]},
        "hitting_set": {"found": hs.found, "support_angles": angles_of(hs.support), "probs": hs.probs,
                        "iterations": hs.iterations, "history": hs.history},
        "theorem3_hardmax_min_best_reply": float(hm.max_deviation_gain(grid, c).min()),
        "prop3_median_max_gain": median_gains,
        "prop3_d3_min_best_reply": float(gains3.min()),
        "prop3_d3_grid_points": len(grid3),
    }


# ---------------------------------------------------------------- softmax checks: Theorem 3 (II), Prop 3 (II), Theorem 4


def theorem3_softmax(cfg: Mapping[str, Any]) -> dict[str, Any]:
    """Theorem 3 (II): ``P_c = (2 delta_{e1} + delta_{e2})/3``, n = d = 2; the only candidate ``c-bar`` is beaten.

    For each tau: ``u_1(s'_1, c-bar)`` with ``s'_1 = (c-bar + eps e_1)/||.||`` and the best defection on a
    circle grid; a PNE at ``c-bar`` needs both to be at most 1/2.
    """
    tcfg = cfg["theorem_3"]
    c, w = np.eye(2), np.array([2.0, 1.0])
    cbar = hm.unit(np.array([2.0, 1.0]))
    s_dev = hm.unit(cbar + tcfg["defection_eps"] * np.array([1.0, 0.0]))
    grid = circle_grid(tcfg["grid_points"])
    rows = []
    for tau in tcfg["taus"]:
        u_dev = float(_u1(np.stack([s_dev, cbar])[None], c, tau, w)[0])
        profiles = np.stack([grid, np.broadcast_to(cbar, grid.shape)], axis=1)
        u_grid = _u1(profiles, c, tau, w)
        rows.append({"tau": tau, "u_defection": u_dev, "best_grid_defection": float(u_grid.max())})
    return {"c_bar": cbar, "rows": rows}


def prop3_two_player(cfg: Mapping[str, Any]) -> dict[str, Any]:
    """Proposition 3 (II): in n = 2 non-negative softmax games the finder only stops at ``s_1 = s_2 = c-bar``."""
    pcfg = cfg["prop3_softmax"]
    rng = np.random.default_rng(cfg["seed"] + 300)
    c = np.abs(rng.normal(size=(pcfg["consumers"], pcfg["d"])))
    cbar = mean_direction(torch.as_tensor(c)).numpy()
    run = _run_finder(c, 2, pcfg["tau"], pcfg["finder"], cfg["seed"] + 301)
    dist = np.linalg.norm(run["s"] - cbar, axis=-1).max(-1)
    return {"tau": pcfg["tau"], "max_distance_to_c_bar": dist, "converged": run["converged"],
            "restarts": len(dist)}


def theorem4_epsilon(cfg: Mapping[str, Any]) -> dict[str, Any]:
    """Theorem 4: ``eps_tau = max_{s_1} u_1(s_1, c-bar, ..., c-bar) - 1/n`` over a tau grid.

    The maximum over ``S^{d-1}`` is taken over a spherical grid (``grid_k`` points per coordinate) and refined
    by projected gradient ascent from the ``refine_top`` best grid points (step ``lr * tau``, since the
    gradient scales as 1/tau). Consumers: ``consumers`` draws of ``N(mean, I)`` in ``d`` dimensions (seeded).
    The theorem predicts ``eps_tau <= eps / tau`` beyond some ``tau_0``, i.e. ``tau * eps_tau`` eventually
    non-increasing (and tending to 0).
    """
    tcfg = cfg["theorem_4"]
    rng = np.random.default_rng(cfg["seed"] + 400)
    d, n = tcfg["d"], tcfg["n"]
    c = rng.normal(size=(tcfg["consumers"], d)) + np.asarray(tcfg["mean"], dtype=float)
    ct = torch.as_tensor(c)
    cbar = mean_direction(ct)
    chat = (1 / n) * (1 - 1 / n) * ct.mean(0)
    grid = torch.as_tensor(hm.sphere_grid(d, tcfg["grid_k"], max_strategies=tcfg["max_strategies"]))
    rest = cbar.expand(n - 1, d)
    rows = []
    for tau in tcfg["taus"]:
        profiles = torch.cat([grid[:, None, :], rest.expand(len(grid), n - 1, d)], dim=1)
        u = utilities(profiles, ct, tau)[:, 0]
        top = torch.topk(u, min(tcfg["refine_top"], len(u))).indices
        s = grid[top].clone()
        for _ in range(tcfg["refine_steps"]):
            prof = torch.cat([s[:, None, :], rest.expand(len(s), n - 1, d)], dim=1)
            g = gradients(prof, ct, tau)[:, 0, :]
            s = s + tcfg["lr"] * tau * (g - s * (s * g).sum(-1, keepdim=True))
            s = s / torch.linalg.vector_norm(s, dim=-1, keepdim=True)
        prof = torch.cat([s[:, None, :], rest.expand(len(s), n - 1, d)], dim=1)
        best = max(float(u.max()), float(utilities(prof, ct, tau)[:, 0].max()))
        eps = max(best - 1.0 / n, 0.0)
        rows.append({"tau": tau, "epsilon": eps, "tau_epsilon": tau * eps})
    return {"n": n, "d": d, "c_hat_norm": float(torch.linalg.vector_norm(chat)), "rows": rows}


def softmax_checks(cfg: Mapping[str, Any]) -> dict[str, Any]:
    """All softmax statements checked for the claims table."""
    return {"theorem3": theorem3_softmax(cfg), "prop3_two_player": prop3_two_player(cfg),
            "theorem4": theorem4_epsilon(cfg)}


PANELS = {"a": panel_a, "bc": slice_utilities, "d": panel_d, "e": panel_e}


def fig_5_2_panel(panel: str, cfg: Mapping[str, Any]) -> dict[str, Any]:
    """One panel's data of Figure 5.2 ("a", "bc", "d", "e")."""
    if panel not in PANELS:
        raise ValueError(f"unknown Figure 5.2 panel {panel!r}; expected one of {sorted(PANELS)}")
    return PANELS[panel](cfg)


def is_nonincreasing(values: list[float], rtol: float = 1e-6) -> bool:
    """True if every value is at most its predecessor (up to ``rtol`` of the first)."""
    v = np.asarray(values, dtype=float)
    scale = max(abs(v[0]), 1e-12) if len(v) else 1.0
    return bool(np.all(np.diff(v) <= rtol * scale))


COMPUTATIONS = {
    **{f"fig_5_2_{panel}": fn for panel, fn in PANELS.items()},
    "fig_5_6": fig_5_6,
    "hardmax": hardmax_checks,
    "softmax": softmax_checks,
}


def compute(what: str, cfg: Mapping[str, Any]) -> dict[str, Any]:
    """One results file's content: a Figure 5.2 panel, Figure 5.6, or the hardmax/softmax checks (JSON-ready)."""
    if what not in COMPUTATIONS:
        raise ValueError(f"unknown ch5_theory computation {what!r}; expected one of {sorted(COMPUTATIONS)}")
    return jsonable(COMPUTATIONS[what](cfg))
