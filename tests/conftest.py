"""Shared fixtures: the repository root and a runner for Snakemake in a scratch working directory."""

from __future__ import annotations

import hashlib
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def run_snakemake(*args: str, workdir: Path | None = None, timeout: float = 1800) -> subprocess.CompletedProcess:
    """Run snakemake on the project's Snakefile (optionally in another working directory)."""
    command = [sys.executable, "-m", "snakemake", "-s", str(ROOT / "Snakefile"), *args]
    if workdir is not None:
        command += ["--directory", str(workdir)]
    return subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=timeout)


def tree_hashes(workdir: Path, tops: tuple[str, ...] = ("figures", "results")) -> dict[str, str]:
    """SHA-256 of every file under ``tops`` of a pipeline working directory, by relative path,
    except timing files (:func:`recdyn.timing.is_timing_file`: wall times differ between runs)."""
    from recdyn.timing import is_timing_file

    hashes = {}
    for top in tops:
        for path in sorted((Path(workdir) / top).rglob("*")):
            if path.is_file() and not is_timing_file(path.relative_to(workdir)):
                hashes[path.relative_to(workdir).as_posix()] = hashlib.sha256(path.read_bytes()).hexdigest()
    return hashes


@pytest.fixture
def root() -> Path:
    return ROOT
