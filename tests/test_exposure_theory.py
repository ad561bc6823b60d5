"""Constructions of thesis sections 5.2/5.5 (Figures 5.2, 5.6, Theorem 3, Proposition 3, Theorem 4); their claims: test_claims_ch5.py."""

from __future__ import annotations

import copy

import numpy as np
import pytest
import torch
import yaml

from recdyn.exposure import theory as th
from recdyn.exposure.game import utilities

from conftest import ROOT


@pytest.fixture(scope="module")
def cfg() -> dict:
    return yaml.safe_load((ROOT / "config/presets/smoke.yaml").read_text())["ch5_theory"]


def test_prop3_f_matches_finite_difference():
    """f(theta) is d u_1/d theta_1 at the symmetric profile (proof of Proposition 3)."""
    tau, theta, h = 0.25, 0.3, 1e-6

    def u1(t1: float) -> float:
        s = np.array([[np.cos(t1), np.sin(t1)], [np.cos(theta), np.sin(theta)],
                      [np.sin(theta), np.cos(theta)], [np.sin(theta), np.cos(theta)]])
        return float(utilities(torch.as_tensor(s), torch.eye(2, dtype=torch.float64), tau)[0])

    fd = (u1(theta + h) - u1(theta - h)) / (2 * h)
    assert th.prop3_f(theta, tau)[0] == pytest.approx(fd, rel=1e-6)
    assert th.prop3_f(np.pi / 4, tau)[0] == pytest.approx(0.0, abs=1e-12)  # c-bar is critical (Prop. 4)


def test_fig_5_6_equilibrium(cfg):
    r = th.fig_5_6(cfg)
    assert 0 < r["theta_star"] < np.pi / 8
    assert abs(th.prop3_f(r["theta_star"], r["tau"])[0]) < 1e-10
    assert r["equilibrium_utility"] == pytest.approx(0.25)
    assert r["best_defection_gain"] <= 1e-6  # no defection on [0, pi/2] pays
    assert r["f"][0] > 0 and r["f_at_pi_over_8"] < 0


def test_fig_5_6_without_root_at_large_tau(cfg):
    big = copy.deepcopy(cfg)
    big["fig_5_6"]["tau"] = 5.0
    r = th.fig_5_6(big)
    assert r["theta_star"] is None  # only the collapsed critical point remains


def test_panel_a_and_slice(cfg):
    a = th.panel_a(cfg)
    assert a["min_best_reply"] == pytest.approx(2 / 3)
    assert (np.asarray(a["mover_utility_after"]) > 0.5).all()
    bc = th.slice_utilities(cfg)
    for tau, u in bc["utility"].items():
        u = np.asarray(u)
        mid = len(u) // 2
        assert u[mid] == pytest.approx(1 / bc["n"])  # s_1 at the others' location
        assert bc["endpoint_minus_midpoint"][tau] > 0


def test_theorem3_softmax_candidate_beaten_only_at_small_tau(cfg):
    rows = th.theorem3_softmax(cfg)["rows"]
    assert rows[0]["best_grid_defection"] > 0.6  # tau = 0.01: close to 2/3
    assert rows[-1]["best_grid_defection"] <= 0.5 + 1e-9  # tau = 0.5: c-bar holds


def test_theorem4_epsilon_vanishes(cfg):
    rows = th.theorem4_epsilon(cfg)["rows"]
    eps = [row["epsilon"] for row in rows]
    assert eps[0] > 0 and eps[-1] == 0.0
    assert th.is_nonincreasing([row["tau_epsilon"] for row in rows])


def test_is_nonincreasing():
    assert th.is_nonincreasing([3.0, 2.0, 2.0, 0.0])
    assert not th.is_nonincreasing([3.0, 2.0, 2.5])


def test_hardmax_checks(cfg):
    small = copy.deepcopy(cfg)
    small["hardmax"]["prop3"].update(games=3, grid3_k=10)
    hard = th.hardmax_checks(small)
    assert hard["lp"]["distance_to_pc_l1"] < 1e-6
    assert hard["lemma9_lp"]["is_equilibrium"] and not hard["lemma9_perturbed"]["is_equilibrium"]


def test_grid_must_hit_consumers(cfg):
    bad = copy.deepcopy(cfg)
    bad["hardmax"]["grid_points"] = 100
    with pytest.raises(ValueError, match="grid_points"):
        th.hardmax_checks(bad)


def test_compute_rejects_unknown(cfg):
    with pytest.raises(ValueError, match="unknown"):
        th.compute("fig_9_9", cfg)
