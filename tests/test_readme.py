"""The README is true: every target it names builds a DAG, every Snakemake command it shows runs as a
dry run, and every `make` target it names exists."""

from __future__ import annotations

import re
import shlex
import subprocess

import pytest

from conftest import ROOT, run_snakemake

README = (ROOT / "README.md").read_text(encoding="utf-8")


def _expand(first: str, last: str) -> list[str]:
    """`fig_2_3` .. `fig_2_8` -> fig_2_3, fig_2_4, ..., fig_2_8 (the last number counts)."""
    head, start = re.fullmatch(r"(.*?)(\d+)", first).groups()
    head_last, stop = re.fullmatch(r"(.*?)(\d+)", last).groups()
    assert head == head_last, (first, last)
    return [f"{head}{n}" for n in range(int(start), int(stop) + 1)]


def readme_targets() -> list[str]:
    """Rule names of the README's 'Targets:' paragraph, with `a` .. `b` ranges expanded."""
    paragraph = README.split("Targets:", 1)[1].split("\n\n", 1)[0]
    targets = set()
    for first, last in re.findall(r"`([a-z][a-z0-9_]*)` \.\. `([a-z][a-z0-9_]*)`", paragraph):
        targets.update(_expand(first, last))
    targets.update(re.findall(r"`([a-z][a-z0-9_]*)`", paragraph))
    return sorted(targets - {"recdyn"})


def readme_snakemake_commands() -> list[list[str]]:
    """The arguments of every `.venv/bin/snakemake ...` line of the README's code blocks."""
    commands = []
    for block in re.findall(r"```bash\n(.*?)```", README, flags=re.S):
        for line in block.splitlines():
            line = line.split("#", 1)[0].strip()
            if line.startswith(".venv/bin/snakemake"):
                commands.append(shlex.split(line)[1:])
    return commands


def test_the_readme_names_targets_and_commands():
    assert {"figures", "fig_data_overview", "data_status", "fig_2_5", "tab_4_4", "ch5"} <= set(readme_targets())
    assert len(readme_snakemake_commands()) >= 6


def test_every_readme_target_builds_a_dag(tmp_path):
    result = run_snakemake("-n", *readme_targets(), "--config", "preset=smoke", workdir=tmp_path)
    assert result.returncode == 0, result.stderr[-3000:]


@pytest.mark.parametrize("args", readme_snakemake_commands(), ids=" ".join)
def test_every_readme_snakemake_command_dry_runs(tmp_path, args):
    if "--unlock" in args:
        result = run_snakemake(*args, workdir=tmp_path)
    else:
        cleaned = [a for a in args if a not in ("--cores", "all")]
        result = run_snakemake("-n", *cleaned, workdir=tmp_path)
    assert result.returncode == 0, result.stderr[-3000:]


@pytest.mark.parametrize("target", sorted(set(re.findall(r"(?:^|`)make ([a-z][a-z-]*)", README, flags=re.M))))
def test_every_readme_make_target_exists(target):
    result = subprocess.run(["make", "-n", target], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
