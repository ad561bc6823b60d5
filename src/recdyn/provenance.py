"""Provenance: what every figure and table was made from (issue 2, item 5).

Next to each output ``X.pdf``/``X.csv`` lies ``X.provenance.json`` with the git commit, preset,
config hash, package versions and, per dataset, whether it was real or a synthetic stand-in
together with its checksums (copied from the dataset's manifest). No timestamp: two clean runs of
the same commit and config give byte-identical records (issue 20, item 9); the file's mtime says
when it was written.
"""

from __future__ import annotations

import platform
import subprocess
from collections.abc import Iterable, Mapping
from importlib import metadata
from pathlib import Path
from typing import Any

from recdyn.config import config_hash
from recdyn.io import read_json, write_json

REPO_ROOT = Path(__file__).resolve().parents[2]
PACKAGES = (
    "recdyn", "numpy", "pandas", "scipy", "matplotlib", "seaborn", "torch", "snakemake", "wpyfm",
)


def git_commit(repo: Path | None = None) -> dict[str, Any]:
    """Commit of the working tree and whether it has uncommitted changes ('unknown' outside git)."""
    cwd = str(repo or REPO_ROOT)
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=cwd, capture_output=True, text=True, check=True
        ).stdout.strip()
        status = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            cwd=cwd, capture_output=True, text=True, check=True,
        ).stdout
    except (OSError, subprocess.CalledProcessError):
        return {"commit": "unknown", "dirty": None}
    return {"commit": commit, "dirty": bool(status.strip())}


def package_versions(names: Iterable[str] = PACKAGES) -> dict[str, str]:
    """Installed version of each package, or 'not installed'."""
    versions = {}
    for name in names:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = "not installed"
    return versions


def dataset_entry(manifest: Mapping[str, Any]) -> dict[str, Any]:
    """The provenance of one dataset: its source (real/synthetic) and checksums."""
    return {
        "source": manifest["source"],
        "origin": manifest.get("origin"),
        "files": manifest.get("files", {}),
    }


def build_provenance(
    config: Mapping[str, Any], manifests: Mapping[str, Mapping[str, Any]], inputs: Iterable[str] = ()
) -> dict[str, Any]:
    """Provenance record of one output, from the merged config and the datasets' manifests."""
    return {
        "git": git_commit(),
        "preset": config.get("preset"),
        "config_hash": config_hash(config),
        "python": platform.python_version(),
        "packages": package_versions(),
        "datasets": {name: dataset_entry(m) for name, m in sorted(manifests.items())},
        "inputs": sorted(str(path) for path in inputs),
    }


def load_manifests(paths: Iterable[str | Path]) -> dict[str, dict[str, Any]]:
    """Read dataset manifests (``data/processed/<dataset>/manifest.json``) keyed by dataset."""
    manifests = {}
    for path in paths:
        content = read_json(path)
        manifests[content["dataset"]] = content
    return manifests


def synthetic_datasets(provenance: Mapping[str, Any]) -> list[str]:
    """Datasets of a provenance record that were synthetic stand-ins."""
    return [name for name, entry in provenance["datasets"].items() if entry["source"] == "synthetic"]


def write_provenance(path: str | Path, provenance: Mapping[str, Any]) -> Path:
    """Write the provenance JSON atomically."""
    return write_json(path, provenance)
