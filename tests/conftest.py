"""Shared fixtures: the repository root and a runner for Snakemake in a scratch working directory."""

from __future__ import annotations

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


@pytest.fixture
def root() -> Path:
    return ROOT
