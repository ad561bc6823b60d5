"""Data-layer claims (recdyn.claims.data) on hand-built summaries."""

from __future__ import annotations

import pandas as pd

from recdyn.claims.data import SPECS, data_claims


def _inputs(**changes):
    shape = {"users": 943, "items": 1682, "ratings": 100_000, "min_ratings_per_user": 20}
    shape.update(changes.get("ml100k", {}))
    amazoncat = {"items": 20_000, "uncovered_fraction_rank3_102": changes.get("uncovered", 0.024)}
    selection = {"env_rmse_mean": changes.get("fitted", 0.90), "env_rmse_std": 0.004, "folds": 5}
    baselines = pd.DataFrame({"model": ["global mean", "user + item biases"], "rmse_mean": [1.126, 0.997],
                              "rmse_std": [0.004, 0.005], "folds": [5, 5]})
    manifests = {"ml100k": {"source": changes.get("source", "real")}, "amazoncat": {"source": "synthetic"}}
    return dict(summaries={"ml100k": {"shape": shape}, "amazoncat": {"shape": amazoncat}}, selection=selection,
                baselines=baselines, manifests=manifests, fit_margin=0.05, amazoncat_uncovered_max=0.05)


def _verdicts(**changes) -> dict[str, str]:
    return {c.claim_id: c.verdict for c in data_claims(**_inputs(**changes))}


def test_one_row_per_spec():
    claims = data_claims(**_inputs())
    assert [c.claim_id for c in claims] == [s.claim_id for s in SPECS]
    assert all(s.chapter == "data" for s in SPECS)
    assert {c.verdict for c in claims} == {"pass"}
    labels = {c.claim_id: c.data for c in claims}
    assert labels["data.ml100k.size"] == "ml100k: real" and labels["data.amazoncat.coverage"] == "amazoncat: synthetic"


def test_wrong_shape_fails():
    assert _verdicts(ml100k={"items": 1681})["data.ml100k.size"] == "fail"
    assert _verdicts(ml100k={"min_ratings_per_user": 19})["data.ml100k.size"] == "fail"
    assert _verdicts(ml100k={"min_ratings_per_user": 25})["data.ml100k.size"] == "pass"


def test_fit_against_baselines():
    # 1.10 is below the global mean (1.126) but not by 5%, and above the biases (0.997)
    verdicts = _verdicts(fitted=1.10)
    assert verdicts["data.ml100k_env.beats_global_mean"] == "fail"
    assert verdicts["data.ml100k_env.beats_biases"] == "fail"
    verdicts = _verdicts(fitted=1.0)
    assert verdicts["data.ml100k_env.beats_global_mean"] == "pass"
    assert verdicts["data.ml100k_env.beats_biases"] == "fail"


def test_coverage_is_checked_on_the_stand_in_too():
    # the AmazonCat stand-in is built with < 5% uncovered, so its check is pass or fail, never untestable
    assert _verdicts(uncovered=0.0513)["data.amazoncat.coverage"] == "fail"
    assert _verdicts(uncovered=0.049)["data.amazoncat.coverage"] == "pass"
