"""Chapter 3 claims (recdyn.claims.ch3) on small hand-built runs."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from recdyn.claims.ch3 import (SPECS, THESIS_TABLE_3_1, cafl_claims, distance_to_uniform, table_3_1_claims,
                               time_average, uniform_share)

SYNTH = "ml100k: synthetic"
# per learner: (rmse offset, ndcg offset, jaccard change offset); lower RMSE, higher NDCG is better
THESIS_LIKE = {
    "beta-rank": {"feedback": (0.20, -0.02, -0.004), "cafl": (0.10, -0.01, -0.002), "uniform": (0.0, 0.0, -0.001)},
    "ml-100k": {"feedback": (0.20, -0.02, 0.004), "cafl": (0.10, -0.01, 0.001), "uniform": (0.0, 0.0, 0.0)},
}


def _runs(offsets: dict[str, tuple[float, float, float]], seeds: int = 4, steps: int = 10,
          noise: float = 1e-4) -> pd.DataFrame:
    rng = np.random.default_rng(0)
    rows = []
    for seed in range(seeds):
        oracle = 0.01 + 0.001 * seed
        for learner, (rmse, ndcg, jac) in offsets.items():
            for step in range(steps + 1):
                on = step > 0  # step 0: before any data, the same for every learner
                rows.append({"seed": 400 + seed, "learner": learner, "step": step,
                             "rmse": 1.0 + on * rmse + noise * rng.standard_normal(),
                             "ndcg": 0.9 + on * ndcg + noise * rng.standard_normal(),
                             "jaccard": oracle + on * jac + noise * rng.standard_normal(),
                             "jaccard_oracle": oracle})
    return pd.DataFrame(rows)


def _table(shift: dict[str, tuple[float, float]] | None = None, runs: int = 8, noise: float = 0.005) -> pd.DataFrame:
    """Per-run Table 3.1 results around the thesis' means (plus ``shift`` per method)."""
    rng = np.random.default_rng(1)
    shift = shift or {}
    rows = []
    for run in range(runs):
        common = rng.standard_normal(2) * 0.02  # a run's simulation moves every method alike (pairing)
        for method, values in THESIS_TABLE_3_1.items():
            dmse, dmae = shift.get(method, (0.0, 0.0))
            rows.append({"run": run, "chunk": 0, "method": method,
                         "mse": values["mse"][0] + dmse + common[0] + noise * rng.standard_normal(),
                         "mae": values["mae"][0] + dmae + common[1] + noise * rng.standard_normal()})
    return pd.DataFrame(rows)


def _verdicts(claims) -> dict[str, str]:
    return {c.claim_id: c.verdict for c in claims}


def _all(runs, table, preset="default"):
    data = {"beta-rank": "simulated (no dataset)", "ml-100k": SYNTH}
    return cafl_claims(runs, data, preset) + table_3_1_claims(table, preset)


def test_one_row_per_spec_in_spec_order():
    runs = {env: _runs(offsets) for env, offsets in THESIS_LIKE.items()}
    claims = _all(runs, _table())
    assert [c.claim_id for c in claims] == [s.claim_id for s in SPECS]
    assert len({s.claim_id for s in SPECS}) == len(SPECS) == 15
    assert all(s.chapter == "ch3" for s in SPECS)
    assert all(c.thesis_value and c.thesis_lines for c in claims)


def test_thesis_like_runs_pass():
    runs = {env: _runs(offsets) for env, offsets in THESIS_LIKE.items()}
    verdicts = _verdicts(cafl_claims(runs, {"beta-rank": "simulated (no dataset)", "ml-100k": SYNTH}, "default"))
    # beta-rank in THESIS_LIKE has Feedback homogenizing least, CAFL and Uniform more
    assert set(verdicts.values()) == {"pass"}, verdicts


def test_reversed_runs_fail():
    reversed_offsets = {env: {"feedback": o["cafl"], "cafl": o["feedback"], "uniform": o["uniform"]}
                        for env, o in THESIS_LIKE.items()}
    runs = {env: _runs(offsets) for env, offsets in reversed_offsets.items()}
    verdicts = _verdicts(cafl_claims(runs, {}, "default"))
    for claim_id in ("ch3.beta-rank.cafl_beats_feedback", "ch3.ml-100k.cafl_beats_feedback",
                     "ch3.ml-100k.cafl_homogenizes_less", "ch3.beta-rank.cafl_homogenizes_more"):
        assert verdicts[claim_id] == "fail", claim_id
    assert verdicts["ch3.ml-100k.feedback_homogenizes_more"] == "pass"  # Feedback (old CAFL) still above Uniform


def test_uniform_best_needs_most_steps_in_both_metrics():
    offsets = {"feedback": (0.2, -0.02, 0.0), "cafl": (0.1, -0.01, 0.0), "uniform": (0.0, 0.0, 0.0)}
    table = _runs(offsets)
    assert uniform_share(table, "rmse", higher_is_better=False) == 1.0
    # Uniform's NDCG below CAFL's after the first 3 of 10 steps: 30% of steps, the claim fails
    late = (table["learner"] == "uniform") & (table["step"] > 3)
    table.loc[late, "ndcg"] -= 0.05
    assert uniform_share(table, "ndcg", higher_is_better=True) == pytest.approx(0.3)
    claims = cafl_claims({"beta-rank": table}, {}, "default")
    assert _verdicts(claims)["ch3.beta-rank.uniform_best"] == "fail"


def test_time_average_pairs_and_skips_step_zero():
    table = _runs(THESIS_LIKE["beta-rank"], seeds=3, steps=4, noise=0.0)
    per_rep = time_average(table, "rmse")
    assert per_rep.shape == (3, 3)
    assert per_rep["feedback"].to_numpy() == pytest.approx(1.2)  # step 0's 1.0 not averaged in
    partial = table[~((table["learner"] == "cafl") & (table["seed"] == 400))]
    assert time_average(partial, "rmse").shape == (2, 3)  # the repetition without CAFL is dropped


def test_distance_to_uniform():
    table = _runs(THESIS_LIKE["beta-rank"], seeds=2, steps=2, noise=0.0)
    d = distance_to_uniform(table)
    at = d[(d["step"] == 1)].groupby("learner")["distance"].first()
    assert at["uniform"] == 0.0 and at["cafl"] == pytest.approx(0.001) and at["feedback"] == pytest.approx(0.003)


def test_missing_environment_is_untestable_with_the_preset():
    runs = {"beta-rank": _runs(THESIS_LIKE["beta-rank"])}
    claims = cafl_claims(runs, {}, "tiny")
    ml = [c for c in claims if c.claim_id.startswith("ch3.ml-100k.")]
    assert len(ml) == 4 and {c.verdict for c in ml} == {"untestable"}
    assert all("tiny preset does not run" in c.reason for c in ml)
    assert [c.claim_id for c in claims] == [s.claim_id for s in SPECS if not s.claim_id.startswith("ch3.table")]


def test_table_3_1_at_thesis_values_passes():
    verdicts = _verdicts(table_3_1_claims(_table(), "default"))
    assert set(verdicts.values()) == {"pass"}, verdicts


def test_table_3_1_cafl_not_lowest_fails():
    # CAFL's MSE moved above Pan's; its MAE left alone
    claims = {c.claim_id: c for c in table_3_1_claims(_table({"CAFL": (0.10, 0.0)}), "default")}
    assert claims["ch3.table_3_1.mse_order"].verdict == "fail"
    assert "Pan" in claims["ch3.table_3_1.mse_order"].reason
    assert claims["ch3.table_3_1.mae_lowest"].verdict == "pass"
    assert claims["ch3.table_3_1.cafl_significant"].verdict == "fail"
    assert claims["ch3.table_3_1.values"].verdict == "fail"  # 1.918 is 5 spreads from 1.818
    assert "CAFL MSE" in claims["ch3.table_3_1.values"].reason


def test_table_3_1_significance_needs_resolved_gaps():
    # CAFL's MSE level with Pan's minus a hair, noisy runs: lowest by the mean, not significantly
    table = _table({"CAFL": (0.075, 0.0)}, runs=3, noise=0.05)
    verdicts = _verdicts(table_3_1_claims(table, "default"))
    assert verdicts["ch3.table_3_1.cafl_significant"] == "fail"


def test_table_3_1_gaps():
    # Pan as good as CAFL: (Pan - CAFL) gain ~0 far below (PF - Pan), Pop - Pan far above Pan - CAFL
    verdicts = _verdicts(table_3_1_claims(_table({"Pan": (-0.078, -0.027)}), "default"))
    assert verdicts["ch3.table_3_1.cafl_pan_gain"] == "fail"
    assert verdicts["ch3.table_3_1.pop_pan_gap"] == "fail"


def test_table_3_1_missing_method_is_untestable():
    table = _table()
    claims = table_3_1_claims(table[table["method"] != "Pan"], "smoke")
    assert {c.verdict for c in claims} == {"untestable"} and len(claims) == 6
