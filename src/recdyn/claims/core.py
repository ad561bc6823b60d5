"""Claim rows, their three verdicts, and the claims table (issue 22, items 2 and 4).

Each chapter's checks (:mod:`recdyn.claims.ch2` ...) measure what the thesis states and return one
:class:`Claim` per entry of the registry (:mod:`recdyn.claims.registry`); the ``claims`` target
collects them into ``results/claims.csv`` and ``figures/claims.md``.

Verdicts:

- ``pass``: the pipeline's numbers meet the expectation written in the row;
- ``fail``: they do not (``reason`` says which part failed);
- ``untestable``: the run cannot decide the claim, for one of two reasons only: the claim rests on a
  property of the real data that a synthetic stand-in was not built to have (the reason names the
  property and the dataset; allowed only while that dataset's source is synthetic, so on real data
  the same check gives pass or fail), or the preset does not run the experiment the claim needs (the
  reason names the preset and the experiment).

``passed`` is kept for compatibility: ``verdict == "pass"``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from recdyn.io import atomic_path

#: The three verdicts of a claim row.
VERDICTS = ("pass", "fail", "untestable")
COLUMNS = ["claim_id", "chapter", "section", "thesis_lines", "statement", "thesis_value", "expectation",
           "measured", "verdict", "reason", "passed", "data"]
#: Chapter labels of claims, in the order of the claims page.
CHAPTERS = ("data", "ch2", "ch3", "ch4", "ch5")
#: The data label of claims measured on simulations that read no dataset.
NO_DATA = "simulated (no dataset)"


@dataclass(frozen=True)
class Claim:
    """One checked statement of the thesis (one row of the claims table)."""

    claim_id: str
    chapter: str
    section: str
    statement: str
    expectation: str
    measured: str
    verdict: str
    data: str
    reason: str = ""
    thesis_lines: str = ""
    thesis_value: str = ""

    def __post_init__(self) -> None:
        if self.chapter not in CHAPTERS:
            raise ValueError(f"claim {self.claim_id!r}: chapter must be one of {CHAPTERS}, got {self.chapter!r}")
        if self.verdict not in VERDICTS:
            raise ValueError(f"claim {self.claim_id!r}: verdict must be one of {VERDICTS}, got {self.verdict!r}")
        if self.verdict != "pass" and not self.reason.strip():
            raise ValueError(f"claim {self.claim_id!r}: a {self.verdict} verdict needs a reason")

    @property
    def passed(self) -> bool:
        return self.verdict == "pass"

    def row(self) -> dict[str, Any]:
        return {**asdict(self), "passed": self.passed}


def verdict_of(ok: bool) -> str:
    """``pass`` or ``fail`` from a boolean outcome."""
    return "pass" if bool(ok) else "fail"


def is_synthetic(data: str) -> bool:
    """Whether a claim's data label names a synthetic stand-in (``'ml100k: synthetic, ...'``)."""
    return "synthetic" in data


def data_label(manifests: Mapping[str, Mapping[str, Any]], datasets: Sequence[str]) -> str:
    """'ml100k: real, lastfm: synthetic' for the datasets a claim was measured on."""
    return ", ".join(f"{name}: {manifests[name]['source']}" for name in datasets)


def write_claims(claims: Iterable[Claim], path: str | Path) -> pd.DataFrame:
    """Write one chapter's claims as csv (atomically) and return them as a table."""
    table = pd.DataFrame([claim.row() for claim in claims], columns=COLUMNS)
    if table["claim_id"].duplicated().any():
        raise ValueError(f"{path}: duplicate claim ids {table['claim_id'][table['claim_id'].duplicated()].tolist()}")
    with atomic_path(path) as tmp:
        table.to_csv(tmp, index=False)
    return table


def read_claims(paths: Iterable[str | Path]) -> pd.DataFrame:
    """Concatenate chapter claim files, checking their columns, verdicts and that ids are unique."""
    tables = []
    for path in paths:
        table = pd.read_csv(path, dtype=str, keep_default_na=False)
        missing = set(COLUMNS) - set(table.columns)
        if missing:
            raise ValueError(f"{path}: claims file lacks columns {sorted(missing)}; expected {COLUMNS}")
        bad = sorted(set(table["verdict"]) - set(VERDICTS))
        if bad:
            raise ValueError(f"{path}: unknown verdict(s) {bad}; expected one of {VERDICTS}")
        tables.append(table[COLUMNS])
    claims = pd.concat(tables, ignore_index=True) if tables else pd.DataFrame(columns=COLUMNS)
    duplicated = claims["claim_id"][claims["claim_id"].duplicated()].tolist()
    if duplicated:
        raise ValueError(f"duplicate claim ids across chapters: {duplicated}")
    claims["passed"] = claims["verdict"] == "pass"
    return claims


def verdict_counts(claims: pd.DataFrame) -> dict[str, int]:
    """Rows per verdict, every verdict present (0 where none)."""
    counts = claims["verdict"].value_counts()
    return {verdict: int(counts.get(verdict, 0)) for verdict in VERDICTS}


#: What the claims page says about a preset's verdicts (presets not listed: nothing).
PRESET_NOTES = {
    "smoke": ("This table was made by the `smoke` preset (tiny sizes, grids and horizons): its verdicts "
              "check the plumbing, not the thesis. Run the `default` or `paper` preset to check the claims."),
}


def claims_markdown(claims: pd.DataFrame, footer: str = "", preset: str | None = None) -> str:
    """The human-readable claims page: which preset made it, the three counts, the reasons of every
    row that did not pass, then one table per chapter."""
    counts = verdict_counts(claims)
    lines = ["# Claims of the thesis checked by the pipeline", ""]
    if preset is not None:
        lines += [f"Preset: `{preset}`. " + PRESET_NOTES.get(preset, ""), ""]
    lines += [f"**{counts['pass']} pass, {counts['fail']} fail, {counts['untestable']} untestable "
              f"of {len(claims)} claims.**", ""]
    for chapter in [c for c in CHAPTERS if c in set(claims["chapter"])]:
        group = claims[claims["chapter"] == chapter]
        shown = group[["claim_id", "section", "thesis_lines", "statement", "thesis_value", "expectation",
                       "measured", "verdict", "reason", "data"]].assign(verdict=group["verdict"].str.upper())
        lines += [f"## {chapter}", "", shown.to_markdown(index=False), ""]
    if footer:
        lines += [footer, ""]
    return "\n".join(lines)
