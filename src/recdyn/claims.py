"""Claims framework (issue 2, item 6): each chapter checks statements of the thesis against what the
pipeline computed; the ``claims`` target collects them into ``results/claims.csv`` and
``figures/claims.md``. A claim is one row: id, chapter, thesis section, the statement, the
expectation, the measured value, pass/fail and which data it was measured on.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from recdyn.io import atomic_path

COLUMNS = ["claim_id", "chapter", "section", "statement", "expectation", "measured", "passed", "data"]


#: Chapter labels of claims, in the order of the claims page.
CHAPTERS = ("data", "ch2", "ch3", "ch4", "ch5")


@dataclass(frozen=True)
class Claim:
    """One checked statement of the thesis."""

    claim_id: str
    chapter: str
    section: str
    statement: str
    expectation: str
    measured: str
    passed: bool
    data: str

    def __post_init__(self) -> None:
        if self.chapter not in CHAPTERS:
            raise ValueError(f"claim {self.claim_id!r}: chapter must be one of {CHAPTERS}, got {self.chapter!r}")


def data_label(manifests: Mapping[str, Mapping[str, Any]], datasets: Sequence[str]) -> str:
    """'ml100k: real, lastfm: synthetic' for the datasets a claim was measured on."""
    return ", ".join(f"{name}: {manifests[name]['source']}" for name in datasets)


def write_claims(claims: Iterable[Claim], path: str | Path) -> pd.DataFrame:
    """Write one chapter's claims as csv (atomically) and return them as a table."""
    table = pd.DataFrame([asdict(claim) for claim in claims], columns=COLUMNS)
    if table["claim_id"].duplicated().any():
        raise ValueError(f"{path}: duplicate claim ids {table['claim_id'][table['claim_id'].duplicated()].tolist()}")
    with atomic_path(path) as tmp:
        table.to_csv(tmp, index=False)
    return table


def read_claims(paths: Iterable[str | Path]) -> pd.DataFrame:
    """Concatenate chapter claim files, checking their columns and that ids are unique."""
    tables = []
    for path in paths:
        table = pd.read_csv(path, dtype={"measured": str, "expectation": str})
        missing = set(COLUMNS) - set(table.columns)
        if missing:
            raise ValueError(f"{path}: claims file lacks columns {sorted(missing)}; expected {COLUMNS}")
        tables.append(table[COLUMNS])
    claims = pd.concat(tables, ignore_index=True) if tables else pd.DataFrame(columns=COLUMNS)
    duplicated = claims["claim_id"][claims["claim_id"].duplicated()].tolist()
    if duplicated:
        raise ValueError(f"duplicate claim ids across chapters: {duplicated}")
    claims["passed"] = claims["passed"].astype(bool)
    return claims


def claims_markdown(claims: pd.DataFrame, footer: str = "") -> str:
    """The human-readable claims page: a pass count, then one table per chapter."""
    passed = int(claims["passed"].sum())
    lines = ["# Claims of the thesis checked by the pipeline", "",
             f"**{passed} of {len(claims)} claims pass.**", ""]
    for chapter, group in claims.groupby("chapter", sort=True):
        shown = group.assign(passed=group["passed"].map({True: "PASS", False: "FAIL"}))
        lines += [f"## {chapter}", "", shown.drop(columns="chapter").to_markdown(index=False), ""]
    if footer:
        lines += [footer, ""]
    return "\n".join(lines)
