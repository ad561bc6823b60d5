"""Chapter 5 claims (recdyn.claims.ch5): theory claims of sections 5.2/5.5/5.6 and audit claims of 5.3/5.7."""

from __future__ import annotations

import copy
import itertools

import numpy as np
import pandas as pd
import pytest
import yaml

from recdyn.claims import ch5
from recdyn.exposure import theory as th

from conftest import ROOT

REAL = "ml100k: real, lastfm: real"
SYNTHETIC = "ml100k: synthetic, lastfm: synthetic"
SIZES = (1, 10, 100)
AUDIT_CFG = {"sweep": {"max_iter": 3000, "step_sizes": [1.0]}, "claims": {"collapse_tol": 0.05}}


@pytest.fixture(scope="module")
def cfg() -> dict:
    return yaml.safe_load((ROOT / "config/presets/smoke.yaml").read_text())["ch5_theory"]


def _circle(angles_deg) -> np.ndarray:
    a = np.deg2rad(np.asarray(angles_deg, dtype=float))
    return np.stack([np.cos(a), np.sin(a)], axis=-1)


def _panel_d(small_angles) -> dict:
    """Figure 5.2D results: consumers at 0, 20, 60, 90 degrees; large tau collapsed onto c-bar."""
    consumers = _circle([0, 20, 60, 90])
    cbar = consumers.mean(0) / np.linalg.norm(consumers.mean(0))
    return {"consumers": consumers.tolist(), "c_bar": cbar.tolist(), "runs": [
        {"tau": 0.05, "s": [_circle(small_angles).tolist()], "picked": 0, "test": ["confirmed"]},
        {"tau": 1.0, "s": [np.tile(cbar, (4, 1)).tolist()], "picked": 0, "test": ["confirmed"]}]}


def _panel_e(offsets, label="confirmed") -> dict:
    return {"centers_deg": [20.0, 45.0, 70.0],
            "run": {"picked": 0, "offset_deg": [list(offsets)], "test": [label],
                    "offset_towards_neighbour": [[offsets[0] > 0, offsets[1] < 0, offsets[2] < 0]]}}


@pytest.fixture(scope="module")
def theory_inputs(cfg) -> dict:
    small = copy.deepcopy(cfg)
    small["hardmax"]["prop3"].update(games=3, grid3_k=10)
    return {
        "hard": th.jsonable(th.hardmax_checks(small)),
        "soft": th.jsonable({"theorem3": th.theorem3_softmax(cfg), "theorem4": th.theorem4_epsilon(cfg),
                             "prop3_two_player": {"max_distance_to_c_bar": [1e-5], "converged": [True]}}),
        "fig56": th.jsonable(th.fig_5_6(cfg)),
        "panels": {"bc": th.jsonable(th.slice_utilities(cfg)), "d": _panel_d([5, 15, 68, 82]),
                   "e": _panel_e([3.0, -1.0, -3.0])},
    }


def _theory(inputs: dict, **override) -> dict[str, ch5.Claim]:
    args = {**inputs, **override}
    claims = ch5.theory_claims(args["hard"], args["soft"], args["fig56"], args["panels"])
    return {c.claim_id: c for c in claims}


def test_theory_claims_pass_on_the_constructions(theory_inputs):
    claims = _theory(theory_inputs)
    assert list(claims) == list(ch5.THEORY_IDS)
    assert all(c.passed for c in claims.values()), {k: c.reason for k, c in claims.items() if not c.passed}
    assert all(c.data == ch5.NO_DATA and c.chapter == "ch5" for c in claims.values())


def test_theory_claims_fail_on_broken_results(theory_inputs):
    broken = copy.deepcopy(theory_inputs["hard"])
    broken["lp"]["distance_to_pc_l1"] = 0.5
    assert not _theory(theory_inputs, hard=broken)["ch5_lemma8_lp"].passed
    panels = {**theory_inputs["panels"], "d": _panel_d([10.07, 10.07, 74.99, 74.99]),
              "e": _panel_e([17.6, -1.9, -17.6], label="rejected")}
    claims = _theory(theory_inputs, panels=panels)
    assert claims["ch5_fig_5_2_tau_dependence"].verdict == "fail"  # collapsed pairs are no protective positions
    assert "protective" in claims["ch5_fig_5_2_tau_dependence"].reason
    e = claims["ch5_fig_5_2_protective"]
    assert e.verdict == "fail" and "own centre" in e.reason and "rejects" in e.reason


def test_protective_positions():
    consumers = _circle([0, 20, 60, 90])
    assert ch5.protective_positions(_circle([5, 15, 68, 82]), consumers).all()
    assert not ch5.protective_positions(_circle([10, 10, 75, 75]), consumers).any()
    # a producer beyond its consumer (away from the other producer) is not protective
    assert ch5.protective_positions(_circle([-5, 15, 68, 82]), consumers).tolist() == [False, True, True, True]


def _t4(eps) -> list[dict]:
    taus = [0.25, 0.5, 1, 2, 4, 8]
    return [{"tau": t, "epsilon": e, "tau_epsilon": t * e} for t, e in zip(taus, eps)]


@pytest.mark.parametrize("eps, ok", [
    ([0.08, 0.04, 0.001, 0.0, 0.0, 0.0], True),
    ([0.08, 0.1, 0.05, 1e-5, 1e-6, 0.0], True),  # tau * eps_tau need not be monotone (Theorem 4 is a limit)
    ([0.08, 0.04, 0.02, 0.01, 0.005, 0.0025], False),  # eps ~ 1/tau: tau * eps_tau does not vanish
    ([0.0] * 6, False),  # c-bar exact everywhere: the bound is vacuous on this grid
    ([0.08, 0.04, 0.02, 0.01, 0.005, 0.0], False),  # only the last grid point is below the bound
])
def test_theorem4_tail(eps, ok):
    assert ch5._theorem4(_t4(eps), 1e-6).passed is ok


def _runs(seed: int = 0) -> pd.DataFrame:
    """A sweep table where every thesis statement holds (bias grows with d, NMF > PMF, ...)."""
    rng = np.random.default_rng(seed)
    rows = []
    for dataset, model, d, s, n, tau, init in itertools.product(
            ("ml100k", "lastfm"), ("pmf", "nmf", "mf"), (3, 50), (0, 1, 2), (10,), (0.01, 0.1, 1.0), (0, 1)):
        distinct = {0.01: 6, 0.1: 3, 1.0: 1}[tau]
        big, nmf, pmf = d == 50, model == "nmf", model == "pmf"
        noise = 1e-3 * rng.standard_normal()
        row = dict(dataset=dataset, model=model, d=d, seed=s, kind="strategic", n=n, tau=tau, init=init,
                   converged=True, label="confirmed", distinct=distinct, distinct_frac=distinct / n,
                   dist_cbar=0.0 if tau == 1.0 else 1.0,
                   delta_max_rating=0.01 + 0.02 * big + 0.01 * nmf + noise,
                   delta_best_share=0.2 + 0.2 * big + 0.1 * nmf + noise)
        for k in SIZES:
            row[f"frac_diff_k{k}"] = 0.3 + 0.1 * big + 0.1 * tau + 0.1 * pmf + noise
            row[f"dist_diff_k{k}"] = (0.05 + 0.02 * big + 0.02 * pmf) / k + 1e-3 * rng.standard_normal()
        rows.append(row)
    runs = pd.DataFrame(rows)
    ml = (runs["dataset"] == "ml100k") & (runs["init"] == 1) & (runs["tau"] == 0.1)
    runs.loc[ml, "label"] = "not ruled out"  # the filter removes a sixth of MovieLens' runs, none of LastFM's
    base = runs[(runs["tau"] == 0.01)].assign(kind="baseline", label="baseline", tau=np.nan, converged=None,
                                              delta_max_rating=lambda t: t["delta_max_rating"] - 0.02)
    return pd.concat([runs, base], ignore_index=True)


def _audit(runs: pd.DataFrame, data: str = REAL, preset: str = "test") -> dict[str, ch5.Claim]:
    claims = ch5.audit_claims(runs, AUDIT_CFG, lambda names: data, preset)
    return {c.claim_id: c for c in claims}


def test_audit_claims_pass_on_real_data():
    claims = _audit(_runs())
    assert list(claims) == list(ch5.AUDIT_IDS)
    assert all(c.passed for c in claims.values()), {k: (c.measured, c.reason) for k, c in claims.items()
                                                   if not c.passed}


def test_audit_gender_claims_untestable_on_stand_ins():
    claims = _audit(_runs(), data=SYNTHETIC)
    gender = {"ch5_bias_dim", "ch5_nmf_vs_baseline", "ch5_best_share_dim", "ch5_nmf_vs_pmf", "ch5_creator_bias_dim",
              "ch5_creator_bias_tau", "ch5_creator_bias_pmf", "ch5_creator_dist_bias"}
    assert {k for k, c in claims.items() if c.verdict == "untestable"} == gender
    assert "MovieLens-100K" in claims["ch5_bias_dim"].reason and "LastFM-360K" in claims["ch5_creator_bias_pmf"].reason
    assert claims["ch5_creator_curve_shape"].passed  # rests on the imbalance only: checked on the stand-in


def test_audit_claims_fail():
    runs = _runs()
    strat = runs["kind"] == "strategic"
    runs.loc[strat & (runs["model"] == "nmf"), "delta_max_rating"] = -1.0  # NMF biased towards women
    runs.loc[strat & (runs["tau"] == 1.0) & (runs["dataset"] == "lastfm"), "dist_cbar"] = 0.5
    runs.loc[strat & (runs["tau"] == 0.1), "distinct"] = 8  # concentration not monotone in tau
    runs.loc[strat, "distinct_frac"] = runs.loc[strat, "distinct"] / runs.loc[strat, "n"]
    runs.loc[strat & (runs["d"] == 50), [f"frac_diff_k{k}" for k in SIZES]] = 0.0  # less bias at d = 50
    runs.loc[strat & (runs["seed"] == 0) & (runs["tau"] == 0.01), "converged"] = False
    claims = _audit(runs)
    for claim_id in ("ch5_nmf_vs_pmf", "ch5_bias_dim", "ch5_nmf_vs_baseline", "ch5_collapse_tau1",
                     "ch5_distinct_low_tau", "ch5_creator_bias_dim", "ch5_converged_all"):
        assert claims[claim_id].verdict == "fail", claim_id
    assert "cap of 3000" in claims["ch5_converged_all"].reason
    assert claims["ch5_local_clustering"].passed and claims["ch5_creator_bias_pmf"].passed


def test_confirmed_filter_and_curve_shape_fail():
    runs = _runs()
    runs.loc[runs["label"] == "not ruled out", "label"] = "confirmed"  # the filter removes nothing
    for k in SIZES:
        runs[f"dist_diff_k{k}"] = 0.05 + runs[f"dist_diff_k{k}"]  # distance bias stays away from zero
    claims = _audit(runs)
    assert claims["ch5_confirmed_filter"].verdict == "fail" and "MovieLens" in claims["ch5_confirmed_filter"].reason
    assert claims["ch5_creator_curve_shape"].verdict == "fail"
    assert "distance difference" in claims["ch5_creator_curve_shape"].reason


def test_audit_claims_without_tau1_or_neighbourhoods_are_preset_gaps():
    runs = _runs()
    runs = runs[~np.isclose(runs["tau"], 1.0)].drop(columns=[c for c in runs if "_diff_k" in c])
    runs[[f"dist_diff_k{k}" for k in SIZES]] = np.nan
    claims = _audit(runs, preset="tiny")
    for claim_id in ("ch5_collapse_tau1", "ch5_creator_curve_shape"):
        assert claims[claim_id].verdict == "untestable" and "tiny preset" in claims[claim_id].reason


def test_specs_are_unique_and_covered_by_the_two_rules(theory_inputs):
    ids = [s.claim_id for s in ch5.SPECS]
    assert len(ids) == len(set(ids)) and all(s.chapter == "ch5" for s in ch5.SPECS)
    covered = list(_theory(theory_inputs)) + list(_audit(_runs()))
    assert sorted(covered) == sorted(ids)
