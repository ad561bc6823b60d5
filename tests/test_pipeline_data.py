"""What a user with real (or wrongly staged) data meets in the pipeline: staging mistakes and bad
archives stop every run naming the path, a failed job's log holds its traceback, the data status
is told, and outputs are readable by the group."""

from __future__ import annotations

import os
import stat
import subprocess
import sys

import pandas as pd
import pytest

from conftest import ROOT
from recdyn.data.synthetic.lastfm import write_lastfm

PROCESSED = "data/processed/ml100k/manifest.json"


def snakemake(workdir, *args, umask: int | None = None) -> subprocess.CompletedProcess:
    command = [sys.executable, "-m", "snakemake", "-s", str(ROOT / "Snakefile"), "--directory", str(workdir),
               "--cores", "1", *args, "--config", "preset=smoke"]
    preexec = (lambda: os.umask(umask)) if umask is not None else None
    return subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=600, preexec_fn=preexec)


def test_a_corrupt_archive_staged_into_a_finished_workspace_fails_every_rerun(tmp_path):
    assert snakemake(tmp_path, PROCESSED).returncode == 0
    archive = tmp_path / "data" / "raw" / "ml-100k.zip"
    archive.parent.mkdir(parents=True, exist_ok=True)
    archive.write_bytes(b"PK\x03\x04 not really a zip" * 100)
    for attempt in range(2):  # the first rerun deletes the intermediate folder; the second must fail too
        result = snakemake(tmp_path, PROCESSED)
        assert result.returncode != 0, f"rerun {attempt + 1}: {result.stderr[-2000:]}"
        assert "data/raw/ml-100k.zip: truncated" in result.stderr
        assert "Nothing to be done" not in result.stdout + result.stderr
    log = (tmp_path / "logs" / "data" / "acquire_ml100k.log").read_text()
    assert "Traceback (most recent call last)" in log and "ChecksumError: data/raw/ml-100k.zip" in log
    assert "failed acquire_dataset (dataset=ml100k): see logs/data/acquire_ml100k.log" in result.stderr
    assert "all up to date" not in result.stderr
    archive.unlink()  # removing the bad file brings the stand-in back
    assert snakemake(tmp_path, PROCESSED).returncode == 0


def test_a_folder_lacking_a_file_stops_the_run_instead_of_using_the_stand_in(tmp_path):
    staged = tmp_path / "data" / "raw" / "ml-100k"
    staged.mkdir(parents=True)
    (staged / "u.data").write_text("1\t1\t5\t881250949\n")
    result = snakemake(tmp_path, PROCESSED)
    assert result.returncode != 0
    assert "data/raw/ml-100k lacks u.user, u.item" in result.stderr
    assert not (tmp_path / PROCESSED).exists()


def test_warnings_and_status_name_only_what_the_run_uses(tmp_path):
    result = snakemake(tmp_path, PROCESSED)
    assert result.returncode == 0
    assert "WARNING ml100k: nothing staged" in result.stderr
    assert "lastfm" not in result.stderr and "amazoncat" not in result.stderr
    assert "data ml100k: SYNTHETIC STAND-IN" in result.stderr  # said again at the end


def test_data_status_on_a_fresh_workspace_and_with_a_staged_folder(tmp_path):
    assert snakemake(tmp_path, "data_status").returncode == 0
    table = pd.read_csv(tmp_path / "figures" / "data" / "data_status.csv").set_index("dataset")
    assert (table["verification"] == "nothing staged").all()
    assert table.loc["ml100k", "next_run_uses"] == "synthetic stand-in (nothing staged, downloads disabled)"  # smoke
    write_lastfm(tmp_path / "data" / "raw" / "lastfm-360k-gender", seed=5, n_users=40, n_artists=1000)
    result = snakemake(tmp_path, "data_status")  # staging changed: the table is made again
    assert result.returncode == 0, result.stderr[-2000:]
    table = pd.read_csv(tmp_path / "figures" / "data" / "data_status.csv").set_index("dataset")
    assert table.loc["lastfm", "next_run_uses"] == "staged folder"
    assert table.loc["lastfm", "verification"].startswith("verified")
    assert table.loc["lastfm", "path"] == ("data/raw/lastfm-360k-gender/LastFM360k-Le75.txt, "
                                           "data/raw/lastfm-360k-gender/LastFM360k-MB-artists.txt")


def test_outputs_are_readable_by_group_and_world_under_umask_022(tmp_path):
    result = snakemake(tmp_path, "figures/data/overview_ml100k.pdf", umask=0o022)
    assert result.returncode == 0, result.stderr[-2000:]
    checked = 0
    for top in ("data/interim", "data/processed", "results", "figures"):
        for path in (tmp_path / top).rglob("*"):
            mode = stat.S_IMODE(os.lstat(path).st_mode)
            if path.is_symlink():
                continue
            assert mode & 0o044 == 0o044, f"{path} has mode {oct(mode)}"
            checked += 1
    assert checked > 10


@pytest.mark.parametrize("target", ["fig_data_overview", "data_status", "tab_ml100k_fit"])
def test_data_targets_dry_run(tmp_path, target):
    result = snakemake(tmp_path, "-n", target)
    assert result.returncode == 0, result.stderr[-2000:]
