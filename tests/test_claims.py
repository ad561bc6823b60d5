"""Claims are written, collected and rendered with three verdicts and reasons; duplicates and
incomplete tables are refused; comparisons across seeds say whether a gap is resolved."""

import numpy as np
import pandas as pd
import pytest

from recdyn.claims import Claim, claims_markdown, read_claims, write_claims
from recdyn.claims.registry import ClaimSpec, check_complete, registry
from recdyn.claims.stats import better, compare, not_worse


def _claim(claim_id: str, chapter: str = "ch2", verdict: str = "pass", reason: str = "") -> Claim:
    return Claim(claim_id, chapter, "2.5", "a statement", "x < 1", "0.5", verdict, "ml100k: synthetic", reason,
                 "L1", "0.4 +- 0.1")


def test_roundtrip_and_markdown(tmp_path):
    write_claims([_claim("a"), _claim("b", verdict="fail", reason="x is 2")], tmp_path / "ch2.csv")
    write_claims([_claim("c", chapter="ch3", verdict="untestable", reason="the smoke preset does not run it")],
                 tmp_path / "ch3.csv")
    claims = read_claims([tmp_path / "ch2.csv", tmp_path / "ch3.csv"])
    assert list(claims["claim_id"]) == ["a", "b", "c"]
    assert claims["verdict"].tolist() == ["pass", "fail", "untestable"]
    assert claims["passed"].tolist() == [True, False, False]
    page = claims_markdown(claims, preset="smoke")
    assert "**1 pass, 1 fail, 1 untestable of 3 claims.**" in page
    assert "check the plumbing, not the thesis" in page
    assert "## ch2" in page and "## ch3" in page and "FAIL" in page and "x is 2" in page
    assert "plumbing" not in claims_markdown(claims, preset="default")


def test_a_verdict_other_than_pass_needs_a_reason():
    with pytest.raises(ValueError, match="needs a reason"):
        _claim("a", verdict="fail")
    with pytest.raises(ValueError, match="verdict must be one of"):
        _claim("a", verdict="maybe", reason="why")


def test_duplicate_ids_across_chapters_are_refused(tmp_path):
    write_claims([_claim("a")], tmp_path / "one.csv")
    write_claims([_claim("a", chapter="ch3")], tmp_path / "two.csv")
    with pytest.raises(ValueError, match="duplicate claim ids"):
        read_claims([tmp_path / "one.csv", tmp_path / "two.csv"])


def test_missing_columns_are_named(tmp_path):
    pd.DataFrame({"claim_id": ["a"]}).to_csv(tmp_path / "bad.csv", index=False)
    with pytest.raises(ValueError, match="bad.csv: claims file lacks columns"):
        read_claims([tmp_path / "bad.csv"])


def test_spec_rows_and_real_data_rule():
    spec = ClaimSpec("x", "ch4", "4.3", "L2504", "10.73% positivity", "10.73%", "positive share of rewards")
    row = spec.claim(expectation="within 1 point", measured="11%", ok=False, data="amazoncat: real")
    assert row.verdict == "fail" and row.reason and row.thesis_value == "10.73%" and row.thesis_lines == "L2504"
    synthetic = spec.on_real_data(data="amazoncat: synthetic", dataset="AmazonCat-13K", missing="its label skew",
                                  expectation="within 1 point", measured="11%", ok=False)
    assert synthetic.verdict == "untestable" and "synthetic" in synthetic.reason and "label skew" in synthetic.reason
    real = spec.on_real_data(data="amazoncat: real", dataset="AmazonCat-13K", missing="its label skew",
                             expectation="within 1 point", measured="10.8%", ok=True)
    assert real.verdict == "pass"
    with pytest.raises(ValueError, match="empty"):
        ClaimSpec("y", "ch4", "4.3", "", "s", "v", "m")


def test_paired_comparison_resolves_a_consistent_gap_and_not_a_noisy_one():
    base = np.array([1.0, 2.0, 3.0, 4.0, 5.0])
    steady = compare(base + 0.1, base, paired=True)  # same gap on every seed: resolved
    assert steady.resolved and better(steady, significant=True) and steady.diff == pytest.approx(0.1)
    noisy = compare(base + np.array([0.5, -0.4, 0.3, -0.5, 0.2]), base, paired=True)
    assert not noisy.resolved and not better(noisy, significant=True) and better(noisy)
    assert not_worse(noisy) and not not_worse(compare(base - 1.0 + [0, 0.01, 0, 0.01, 0], base, paired=True))
    welch = compare([1.0, 1.1, 0.9], [2.0, 2.1, 1.9], paired=False)
    assert welch.resolved and welch.diff == pytest.approx(-1.0) and not welch.paired
    assert "resolved" in welch.text()


def test_registry_rows_match_the_table():
    specs = registry()
    assert len(specs) >= 75
    table = pd.DataFrame({"claim_id": list(specs)})
    check_complete(table)
    with pytest.raises(ValueError, match="missing rows"):
        check_complete(table.iloc[1:])
    with pytest.raises(ValueError, match="without a registry entry"):
        check_complete(pd.concat([table, pd.DataFrame({"claim_id": ["made.up"]})]))
