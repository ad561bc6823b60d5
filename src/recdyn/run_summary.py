"""What the person running the pipeline is told at the start and at the end of a run (issue 2,
item 7; issue 20, items 2, 6 and 11).

At the start: for each dataset this run acquires (and only those), where its data will come
from, with a warning when a synthetic stand-in may take the real data's place. At the end: the
figures and tables regenerated, with their data sources; the source each acquired dataset got
(saying loudly if it is a stand-in, and why); on failure, the failed jobs and their log files.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from recdyn.claims.core import verdict_counts
from recdyn.data.registry import get_spec
from recdyn.data.staging import inspect_staged
from recdyn.io import read_json

ACQUIRE_RULE = "acquire_dataset"


@dataclass(frozen=True)
class FailedJob:
    """A job that failed: its rule, wildcards and log files."""

    rule: str
    wildcards: dict[str, str]
    logs: tuple[str, ...]

    def describe(self) -> str:
        where = ", ".join(f"{key}={value}" for key, value in self.wildcards.items())
        logs = ", ".join(self.logs) or "no log file"
        return f"{self.rule}{f' ({where})' if where else ''}: see {logs}"


def _say(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def datasets_acquired(jobs: Iterable[Any]) -> list[str]:
    """Datasets whose acquisition job is among ``jobs`` (Snakemake jobs to run), sorted."""
    return sorted({job.wildcards["dataset"] for job in jobs if job.rule.name == ACQUIRE_RULE})


def failed_jobs(jobs: Iterable[Any]) -> list[FailedJob]:
    """Snakemake's failed jobs as :class:`FailedJob` records, sorted by rule."""
    records = [FailedJob(job.rule.name, {str(k): str(v) for k, v in job.wildcards.items()},
                         tuple(str(path) for path in job.log)) for job in jobs]
    return sorted(records, key=lambda record: (record.rule, sorted(record.wildcards.items())))


def source_plan(config: Mapping[str, Any], raw_dir: Path, dataset: str, spec_key: str) -> tuple[str, bool]:
    """What the next acquisition of ``dataset`` will do, in one sentence, and whether a synthetic
    stand-in may be used."""
    data = config["data"]
    source = data[dataset]["source"]
    spec = get_spec(spec_key)
    staged = inspect_staged(spec, raw_dir)
    if staged:
        where = ", ".join(sorted({str(entry.path) for entry in staged}))
        if source == "synthetic":
            return (f"{dataset}: SYNTHETIC STAND-IN by request (data.{dataset}.source=synthetic); the real "
                    f"data staged at {where} is still verified", True)
        return f"{dataset}: real data staged at {where} (verified before use)", False
    if source == "synthetic":
        return f"{dataset}: SYNTHETIC STAND-IN (data.{dataset}.source=synthetic)", True
    urls = ", ".join(archive.url for archive in spec.archives)
    if data["allow_download"]:
        fallback = ("otherwise the run fails (data.{0}.source=real)" if source == "real" else
                    "otherwise a SYNTHETIC STAND-IN is used (data.{0}.source=auto)").format(dataset)
        return f"{dataset}: nothing staged in {raw_dir}/; downloading {urls}, {fallback}", source == "auto"
    if source == "real":
        return f"{dataset}: nothing staged in {raw_dir}/ and downloads are disabled: the run will fail", False
    return (f"{dataset}: nothing staged in {raw_dir}/ and downloads are disabled: a SYNTHETIC STAND-IN is "
            f"used (data.{dataset}.source=auto)", True)


def announce_sources(config: Mapping[str, Any], raw_dir: Path, datasets: Sequence[str],
                     spec_key: Callable[[str], str]) -> None:
    """Say, for each dataset this run acquires, where its data will come from."""
    for dataset in datasets:
        plan, maybe_synthetic = source_plan(config, raw_dir, dataset, spec_key(dataset))
        _say(f"recdyn: {'WARNING ' if maybe_synthetic else ''}{plan}")


def acquired_sources(interim_dir: Path, datasets: Sequence[str]) -> list[str]:
    """One line per dataset acquired in this run: real (origin) or synthetic (reason)."""
    lines = []
    for dataset in datasets:
        path = Path(interim_dir) / dataset / "source.json"
        if not path.is_file():
            lines.append(f"{dataset}: not acquired (its acquisition failed or did not run)")
            continue
        record = read_json(path)
        if record["source"] == "synthetic":
            lines.append(f"{dataset}: SYNTHETIC STAND-IN, not the thesis' data ({record.get('reason', '')})")
        else:
            lines.append(f"{dataset}: real data, {record.get('origin', '')}")
    return lines


def regenerated_outputs(figures_dir: Path, since: float) -> list[tuple[Path, dict[str, Any]]]:
    """Figures and tables written since ``since`` (epoch seconds), with their provenance records."""
    found = []
    for provenance_path in sorted(figures_dir.rglob("*.provenance.json")):
        if provenance_path.stat().st_mtime >= since:
            found.append((provenance_path, read_json(provenance_path)))
    return found


def print_summary(figures_dir: Path, claims_csv: Path, since: float, *, failed: Sequence[FailedJob] = (),
                  run_failed: bool = False, datasets: Sequence[str] = (),
                  interim_dir: Path = Path("data/interim")) -> None:
    """Print which outputs were regenerated, from which data, the acquired datasets' sources, the
    failed jobs with their logs (if any) and how many claims pass."""
    outputs = regenerated_outputs(figures_dir, since) if figures_dir.exists() else []
    _say("")
    if run_failed or failed:
        _say(f"recdyn: run FAILED: {len(failed)} job(s) failed" if failed else "recdyn: run FAILED")
        for job in failed:
            _say(f"  failed {job.describe()}")
    else:
        _say("recdyn: run finished")
    for line in acquired_sources(interim_dir, datasets):
        _say(f"recdyn: data {line}")
    if outputs:
        _say("recdyn: " + ("outputs completed before the failure:" if run_failed or failed else "regenerated:"))
    elif not (run_failed or failed):
        _say("recdyn: no figure or table was regenerated in this run (all up to date).")
    for path, provenance in outputs:
        stem = str(path).removesuffix(".provenance.json")
        sources = ", ".join(f"{name}={entry['source']}" for name, entry in provenance["datasets"].items()) or "simulated, no dataset"
        flag = "  [SYNTHETIC STAND-IN]" if "synthetic" in sources else ""
        _say(f"  regenerated {stem}.*  ({sources}){flag}")
    if claims_csv.exists():
        claims = pd.read_csv(claims_csv)
        if "verdict" in claims:
            counts = verdict_counts(claims)
            _say(f"recdyn: claims: {counts['pass']} pass, {counts['fail']} fail, "
                 f"{counts['untestable']} untestable of {len(claims)} (figures/claims.md)")
        else:  # a claims table of an earlier version
            passed = int(claims["passed"].astype(bool).sum())
            _say(f"recdyn: claims: {passed} of {len(claims)} pass (figures/claims.md)")
