"""A run killed mid-way (SIGKILL to Snakemake and its jobs) is finished by `--unlock` and the same
command again, with outputs equal to an uninterrupted run's and no temporary left behind."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest

from conftest import ROOT, tree_hashes
from recdyn.io import TMP_MARK

TARGETS = ["tab_ml100k_fit", "figures/data/overview_ml100k.pdf"]


def command(workdir, *extra: str) -> list[str]:
    return [sys.executable, "-m", "snakemake", "-s", str(ROOT / "Snakefile"), "--directory", str(workdir),
            "--cores", "2", *extra, *TARGETS, "--config", "preset=smoke"]


def run(workdir, *extra: str) -> subprocess.CompletedProcess:
    return subprocess.run(command(workdir, *extra), cwd=ROOT, capture_output=True, text=True, timeout=600)


def kill_mid_way(workdir) -> None:
    """Start the run in its own process group and SIGKILL the whole group once some jobs have
    finished and others are running."""
    process = subprocess.Popen(command(workdir), cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                               start_new_session=True)
    cv_dir = workdir / "results" / "ch2" / "ml100k_env" / "cv"
    deadline = time.monotonic() + 300
    try:
        while time.monotonic() < deadline and process.poll() is None:
            if cv_dir.is_dir() and any(p.suffix == ".parquet" for p in cv_dir.iterdir()):
                break
            time.sleep(0.2)
        assert process.poll() is None, "the run ended before it could be interrupted"
    finally:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()


@pytest.mark.slow
def test_a_killed_run_resumes_to_the_same_outputs(tmp_path):
    clean, killed = tmp_path / "clean", tmp_path / "killed"
    for folder in (clean, killed):
        folder.mkdir()
    finished = run(clean)
    assert finished.returncode == 0, finished.stderr[-3000:]

    kill_mid_way(killed)
    assert not (killed / "figures" / "data" / "tab_ml100k_fit.csv").exists()
    (killed / "results" / f".orphan{TMP_MARK}x").write_bytes(b"what a killed job leaves")

    locked = run(killed)  # the killed Snakemake kept its lock: the README says what to do
    if locked.returncode != 0:
        assert "cannot be locked" in locked.stderr and "--unlock" in locked.stderr
        assert run(killed, "--unlock").returncode == 0
        resumed = run(killed)
    else:
        resumed = locked
    assert resumed.returncode == 0, resumed.stderr[-3000:]
    assert "temporary file(s) left by interrupted jobs" in resumed.stderr

    assert not [p for p in killed.rglob(f"*{TMP_MARK}*")]
    assert tree_hashes(killed) == tree_hashes(clean)
