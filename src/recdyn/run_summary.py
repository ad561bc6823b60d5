"""What the person running the pipeline is told at the start and at the end of a run (issue 2, item 7)."""

from __future__ import annotations

import sys
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from recdyn.data import fetch
from recdyn.data.registry import get_spec
from recdyn.io import read_json


def _say(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def announce_sources(
    config: Mapping[str, Any], raw_dir: Path, datasets: Sequence[str], spec_key: Callable[[str], str]
) -> None:
    """Warn about every dataset that is not staged and may become a synthetic stand-in."""
    for dataset in datasets:
        source = config["data"][dataset]["source"]
        if source == "synthetic":
            _say(f"recdyn: {dataset}: synthetic stand-in (data.{dataset}.source=synthetic)")
            continue
        spec = get_spec(spec_key(dataset))
        if fetch.staged_fingerprint(spec, raw_dir) != "none":
            continue
        if source == "auto":
            _say(f"recdyn: WARNING {dataset}: no real data staged in {raw_dir}/; it will be downloaded "
                 f"if reachable, otherwise a SYNTHETIC STAND-IN is used (data.{dataset}.source=auto).")


def regenerated_outputs(figures_dir: Path, since: float) -> list[tuple[Path, dict[str, Any]]]:
    """Figures and tables written since ``since`` (epoch seconds), with their provenance records."""
    found = []
    for provenance_path in sorted(figures_dir.rglob("*.provenance.json")):
        if provenance_path.stat().st_mtime >= since:
            found.append((provenance_path, read_json(provenance_path)))
    return found


def print_summary(figures_dir: Path, claims_csv: Path, since: float, failed: bool = False) -> None:
    """Print which outputs were regenerated, from which data, and how many claims pass."""
    outputs = regenerated_outputs(figures_dir, since) if figures_dir.exists() else []
    _say("")
    _say("recdyn: run " + ("FAILED (outputs below are those completed)" if failed else "finished"))
    if not outputs:
        _say("recdyn: no figure or table was regenerated in this run (all up to date).")
    for path, provenance in outputs:
        stem = str(path).removesuffix(".provenance.json")
        sources = ", ".join(f"{name}={entry['source']}" for name, entry in provenance["datasets"].items()) or "simulated, no dataset"
        flag = "  [SYNTHETIC STAND-IN]" if "synthetic" in sources else ""
        _say(f"  regenerated {stem}.*  ({sources}){flag}")
    if claims_csv.exists():
        claims = pd.read_csv(claims_csv)
        passed = int(claims["passed"].astype(bool).sum())
        _say(f"recdyn: claims: {passed} of {len(claims)} pass (figures/claims.md)")
