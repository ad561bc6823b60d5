"""Claims are written, collected and rendered with pass counts; duplicates are refused."""

import pandas as pd
import pytest

from recdyn.claims import Claim, claims_markdown, read_claims, write_claims


def _claim(claim_id: str, chapter: str = "ch2", passed: bool = True) -> Claim:
    return Claim(claim_id, chapter, "2.5", "a statement", "x < 1", "0.5", passed, "ml100k: synthetic")


def test_roundtrip_and_markdown(tmp_path):
    write_claims([_claim("a"), _claim("b", passed=False)], tmp_path / "ch2.csv")
    write_claims([_claim("c", chapter="ch3")], tmp_path / "ch3.csv")
    claims = read_claims([tmp_path / "ch2.csv", tmp_path / "ch3.csv"])
    assert list(claims["claim_id"]) == ["a", "b", "c"]
    assert claims["passed"].tolist() == [True, False, True]
    page = claims_markdown(claims)
    assert "**2 of 3 claims pass.**" in page
    assert "## ch2" in page and "## ch3" in page and "FAIL" in page


def test_duplicate_ids_across_chapters_are_refused(tmp_path):
    write_claims([_claim("a")], tmp_path / "one.csv")
    write_claims([_claim("a", chapter="ch3")], tmp_path / "two.csv")
    with pytest.raises(ValueError, match="duplicate claim ids"):
        read_claims([tmp_path / "one.csv", tmp_path / "two.csv"])


def test_missing_columns_are_named(tmp_path):
    pd.DataFrame({"claim_id": ["a"]}).to_csv(tmp_path / "bad.csv", index=False)
    with pytest.raises(ValueError, match="bad.csv: claims file lacks columns"):
        read_claims([tmp_path / "bad.csv"])
