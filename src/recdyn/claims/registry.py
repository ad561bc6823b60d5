"""The registry of every claim of the thesis the pipeline checks (issue 22, item 4).

One :class:`ClaimSpec` per empirical claim of chapters 2-5 (and the data facts they rest on): its
id, chapter, section, the thesis lines it reads (``L<n>`` of ``thesis.txt``), the statement, the
thesis' own value and spread where it gives one, and how the pipeline measures it. Each chapter
module (:mod:`recdyn.claims.data`, ``ch2``, ``ch3``, ``ch4``, ``ch5``) declares its specs beside
the checks that measure them (``SPECS``); :data:`REGISTRY` gathers them, and the claims table must
hold exactly one row per registered claim (:func:`check_complete`). A check turns a spec into a
row with :meth:`ClaimSpec.claim` (or :meth:`ClaimSpec.untestable`), so statement, section and
thesis value are written once, here and nowhere else.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache

import pandas as pd

from recdyn.claims.core import CHAPTERS, Claim, is_synthetic, verdict_of


@dataclass(frozen=True)
class ClaimSpec:
    """One registered claim: what the thesis says and how the pipeline measures it."""

    claim_id: str
    chapter: str
    section: str
    lines: str  # e.g. "L269, L547"
    statement: str
    thesis_value: str  # the thesis' number and spread, or "qualitative"
    measure: str  # how the pipeline measures it (one sentence)

    def __post_init__(self) -> None:
        if self.chapter not in CHAPTERS:
            raise ValueError(f"{self.claim_id}: chapter must be one of {CHAPTERS}")
        for name in ("claim_id", "section", "lines", "statement", "thesis_value", "measure"):
            if not str(getattr(self, name)).strip():
                raise ValueError(f"claim spec {self.claim_id!r}: {name} is empty")

    def claim(self, *, expectation: str, measured: str, ok: bool | None = None, verdict: str | None = None,
              data: str, reason: str = "") -> Claim:
        """The row of this claim: ``ok`` (pass/fail) or an explicit ``verdict``; a failing row
        without a reason gets "the measured values do not meet the expectation"."""
        if (ok is None) == (verdict is None):
            raise ValueError(f"{self.claim_id}: give exactly one of ok and verdict")
        verdict = verdict_of(ok) if verdict is None else verdict
        if verdict == "fail" and not reason:
            reason = "the measured values do not meet the expectation on this run"
        return Claim(self.claim_id, self.chapter, self.section, self.statement, expectation, measured,
                     verdict, data, reason, self.lines, self.thesis_value)

    def untestable(self, *, reason: str, data: str, expectation: str = "", measured: str = "n/a") -> Claim:
        """An ``untestable`` row; ``reason`` names the missing property of a synthetic dataset, or the
        preset and the experiment it lacks."""
        return Claim(self.claim_id, self.chapter, self.section, self.statement, expectation or self.measure,
                     measured, "untestable", data, reason, self.lines, self.thesis_value)

    def on_real_data(self, *, data: str, dataset: str, missing: str, expectation: str, measured: str,
                     ok: bool, reason: str = "") -> Claim:
        """A claim that rests on a property of a real dataset: ``untestable`` while ``data`` says the
        dataset is a synthetic stand-in (naming the ``missing`` property), pass/fail on real data."""
        if is_synthetic(data):
            return self.untestable(reason=f"rests on {missing} of the real {dataset}, which its synthetic "
                                          f"stand-in was not built to have", data=data,
                                   expectation=expectation, measured=measured)
        return self.claim(expectation=expectation, measured=measured, ok=ok, data=data, reason=reason)


def preset_lacks(preset: str, experiment: str) -> str:
    """The reason of a claim whose experiment the preset does not run."""
    return f"the {preset} preset does not run {experiment}"


@cache
def registry() -> dict[str, ClaimSpec]:
    """Every registered claim by id, in chapter order (data, ch2, ch3, ch4, ch5)."""
    from recdyn.claims import ch2, ch3, ch4, ch5, data

    specs: dict[str, ClaimSpec] = {}
    for module in (data, ch2, ch3, ch4, ch5):
        for spec in module.SPECS:
            if spec.claim_id in specs:
                raise ValueError(f"claim id {spec.claim_id!r} registered twice")
            specs[spec.claim_id] = spec
    return specs


def spec(claim_id: str) -> ClaimSpec:
    """The registered spec of ``claim_id`` (KeyError naming it if none)."""
    try:
        return registry()[claim_id]
    except KeyError:
        raise KeyError(f"claim {claim_id!r} is not in the registry (recdyn.claims.registry)") from None


def check_complete(claims: pd.DataFrame, chapters: Iterable[str] | None = None) -> None:
    """Every registered claim of ``chapters`` (default: all) has exactly one row, and every row a
    registered claim; ValueError naming the ids otherwise."""
    chapters = set(CHAPTERS if chapters is None else chapters)
    wanted = {cid for cid, s in registry().items() if s.chapter in chapters}
    have = set(claims["claim_id"])
    missing, unknown = sorted(wanted - have), sorted(have - set(registry()))
    if missing or unknown:
        raise ValueError(f"claims table does not match the registry: missing rows {missing}; "
                         f"rows without a registry entry {unknown}")

