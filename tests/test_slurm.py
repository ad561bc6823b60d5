"""Cluster execution against a real single-node SLURM cluster (tests/cluster/slurm-up.sh).

A slice of the DAG (the ML-100K fit table on the smoke preset) runs through `--profile profiles/slurm`
with only the account and the partition filled in; its jobs must go through sbatch (the executor's
submissions and the accounting database agree) and its outputs must equal a local run's. A job that
exits 1 is reported as failed within a bounded time, and `-R` of one rule resubmits only that rule and
what depends on it.

Opt-in (it installs Debian's slurm packages and starts daemons, so it needs root):
    .venv/bin/python -m pytest -m slurm tests/test_slurm.py      # or RECDYN_SLURM_TEST=1
Skipped with the reason when the packages cannot be installed (slurm-up.sh exits 3).
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from conftest import ROOT, run_snakemake
from recdyn.timing import is_timing_file

pytestmark = pytest.mark.slurm

CLUSTER = ROOT / "tests" / "cluster"
PROFILE = ROOT / "profiles" / "slurm" / "config.yaml"
STATE = Path(os.environ.get("RECDYN_SLURM_STATE", "/tmp/recdyn-slurm"))
TARGET = "figures/data/tab_ml100k_fit.md"
PRESET = "smoke"
RUN_TIMEOUT = 900          # seconds for the slice through SLURM (about 2 min here)
FAIL_TIMEOUT = 300         # a failing job must be reported well within this
# Columns and keys that measure time or record when (at which commit) something ran: they differ
# between two runs of the same code on the same data.
VOLATILE = re.compile(r"seconds|elapsed|duration|created|timestamp|started|finished|_time$|^commit$|^dirty$")
COMMIT = re.compile(r"commit `[0-9a-f]+`")
SUBMITTED = re.compile(r"submitted with SLURM jobid (\d+) \(log: .*?/slurm_logs/rule_([A-Za-z0-9_]+)/")


def _opted_in(config: pytest.Config) -> bool:
    markexpr = config.getoption("markexpr", default="") or ""
    return os.environ.get("RECDYN_SLURM_TEST") == "1" or bool(re.search(r"(?<!not )\bslurm\b", markexpr))


# --- the cluster and the profile --------------------------------------------------------------------
def _running() -> bool:
    """A cluster started earlier by slurm-up.sh (e.g. by a developer) is up."""
    try:
        os.kill(int((STATE / "pids" / "slurmctld.pid").read_text()), 0)
    except (OSError, ValueError):
        return False
    return (STATE / ".recdyn-slurm").exists()


@pytest.fixture(scope="module")
def cluster(request) -> dict:
    """Start the cluster (or reuse one a developer started), stop it afterwards if we started it."""
    if not _opted_in(request.config):
        pytest.skip("SLURM cluster test is opt-in: run `pytest -m slurm tests/test_slurm.py` as root "
                    "(or set RECDYN_SLURM_TEST=1); it installs slurm and starts daemons")
    preexisting = _running()
    up = subprocess.run(["bash", str(CLUSTER / "slurm-up.sh")], capture_output=True, text=True, timeout=900)
    if up.returncode == 3:
        pytest.skip("no SLURM cluster on this machine: " + up.stderr.strip().splitlines()[-1])
    if not preexisting:
        request.addfinalizer(lambda: subprocess.run(["bash", str(CLUSTER / "slurm-down.sh")], timeout=180))
    assert up.returncode == 0, f"slurm-up.sh failed ({up.returncode}):\n{up.stdout}\n{up.stderr}"
    # last line: state=... account=... partition=... dbd=0|1 (account empty without slurmdbd)
    info = dict(item.split("=", 1) for item in up.stdout.strip().splitlines()[-1].split())
    return {"account": info["account"], "partition": info["partition"], "sacct": info["dbd"] == "1"}


@pytest.fixture(scope="module")
def profile(cluster, tmp_path_factory) -> Path:
    """profiles/slurm with ONLY its account and partition filled in, as a user would do."""
    text = PROFILE.read_text()
    for placeholder in ("CHANGE_ME_ACCOUNT", "CHANGE_ME_PARTITION"):
        assert text.count(placeholder) == 1, f"{PROFILE}: {placeholder} must appear exactly once"
    # Without slurmdbd nothing can validate an account: leave it empty and let the executor go without.
    text = text.replace("CHANGE_ME_ACCOUNT", cluster["account"]).replace("CHANGE_ME_PARTITION", cluster["partition"])
    folder = tmp_path_factory.mktemp("profile")
    (folder / "config.yaml").write_text(text)
    return folder


class Run:
    """One snakemake process started in the background (output to files, so nothing blocks on a pipe)."""

    def __init__(self, snakefile: Path, *args: str, workdir: Path, timeout: float):
        self.command = [sys.executable, "-m", "snakemake", "-s", str(snakefile), *args, "--directory", str(workdir)]
        self.timeout = timeout
        self.out = workdir.parent / f"{workdir.name}.{time.monotonic_ns()}.out"
        self.started = time.monotonic()
        with open(self.out, "w") as out:
            self.process = subprocess.Popen(self.command, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT, text=True)

    def poll(self) -> bool:
        """True once the process has ended (records when); kills it and fails the test after its timeout."""
        if self.process.poll() is not None:
            self.ended = getattr(self, "ended", time.monotonic())
            return True
        if time.monotonic() > self.started + self.timeout:
            self.process.kill()
            self.process.wait()
            pytest.fail(f"snakemake did not finish within {self.timeout} s (hang?): {' '.join(self.command)}\n"
                        + self.out.read_text()[-6000:])
        return False

    def wait(self) -> tuple[str, int, float]:
        """(output, return code, seconds); fails the test when it does not end within its timeout."""
        while not self.poll():
            time.sleep(0.5)
        return self.out.read_text(), self.process.returncode, self.ended - self.started


def _snakemake(snakefile: Path, *args: str, workdir: Path, timeout: float) -> tuple[str, int, float]:
    return Run(snakefile, *args, workdir=workdir, timeout=timeout).wait()


def _jobs(output: str, kind: str) -> Counter:
    """Jobs Snakemake started, by rule: kind "rule" (remote, i.e. sbatch) or "localrule"."""
    return Counter(re.findall(rf"^{kind} (\w+):$", output, re.M))


def _submissions(output: str) -> Counter:
    """Rules of the jobs the executor submitted with sbatch (from its log lines)."""
    return Counter(rule for _, rule in SUBMITTED.findall(output))


def _run_id(output: str) -> str:
    found = re.findall(r"SLURM run ID: (\S+)", output)
    assert found, "no 'SLURM run ID' in the output: the slurm executor did not run"
    return found[-1]


def _sacct(run_id: str) -> list[dict]:
    """The accounting database's record of one executor run's jobs (job name = run ID)."""
    out = subprocess.run(["sacct", "-X", "-P", "-n", "--name", run_id, "-S", "now-1days", "-E", "now",
                          "-o", "JobIDRaw,State,Account,Partition,Comment"],
                         capture_output=True, text=True, timeout=30, check=True).stdout
    fields = ["jobid", "state", "account", "partition", "comment"]
    return [dict(zip(fields, line.split("|"))) for line in out.splitlines() if line.strip()]


def _rule_of(comment: str) -> str:
    return re.fullmatch(r"rule_(.+?)(?:_wildcards_.*)?", comment).group(1)


def _sacct_rules(run_id: str, wait: float = 30) -> tuple[Counter, list[dict]]:
    deadline = time.monotonic() + wait
    while True:  # slurmctld sends finished jobs to slurmdbd asynchronously
        rows = _sacct(run_id)
        if all(row["state"] not in ("PENDING", "RUNNING", "COMPLETING") for row in rows) or time.monotonic() > deadline:
            return Counter(_rule_of(row["comment"]) for row in rows), rows
        time.sleep(1)


def _expected_jobs(workdir: Path) -> Counter:
    """Jobs of the slice by rule, from a dry run."""
    result = run_snakemake(TARGET, "-n", "--config", f"preset={PRESET}", workdir=workdir, timeout=120)
    assert result.returncode == 0, result.stderr[-3000:]
    text = result.stdout + result.stderr
    table = text[text.index("Job stats:"):].split("\n\n")[0]
    return Counter({name: int(count) for name, count in re.findall(r"^(\w+)\s+(\d+)$", table, re.M)
                    if name != "total"})


# --- the slice through SLURM, the same slice locally and a failing job, at the same time --------------
FAILING_SNAKEFILE = """
rule fail_on_purpose:
    output: "never.txt"
    threads: 1
    resources: runtime=2, mem_mb=100
    shell: "echo 'recdyn: failing on purpose' >&2; exit 1"
"""


@pytest.fixture(scope="module")
def runs(cluster, profile, tmp_path_factory) -> dict:
    """Most of the wall time is the executor's status polling, so the three runs overlap."""
    slurm, local, failing = (tmp_path_factory.mktemp(name) for name in ("slurm", "local", "failing"))
    expected = _expected_jobs(slurm)
    (failing / "Snakefile").write_text(FAILING_SNAKEFILE)
    started = {
        "failing": Run(failing / "Snakefile", "never.txt", "--profile", str(profile), workdir=failing,
                       timeout=FAIL_TIMEOUT),
        "slurm": Run(ROOT / "Snakefile", TARGET, "--profile", str(profile), "--config", f"preset={PRESET}",
                     workdir=slurm, timeout=RUN_TIMEOUT),
        "local": Run(ROOT / "Snakefile", TARGET, "--cores", "1", "--config", f"preset={PRESET}", workdir=local,
                     timeout=RUN_TIMEOUT),
    }
    try:
        while not all([run.poll() for run in started.values()]):
            time.sleep(0.5)
    finally:  # one run over its timeout: stop the others too
        for run in started.values():
            if run.process.poll() is None:
                run.process.kill()
                run.process.wait()
    done = {name: run.wait() for name, run in started.items()}
    for name, (_, _, seconds) in done.items():
        print(f"{name} run: {seconds:.0f} s")
    return {"expected": expected, "workdirs": {"slurm": slurm, "local": local, "failing": failing}, **done}


def test_slice_jobs_went_through_sbatch(cluster, runs):
    output, code, _ = runs["slurm"]
    assert code == 0, output[-6000:]
    expected, remote, local = runs["expected"], _jobs(output, "rule"), _jobs(output, "localrule")
    assert remote + local == expected, "the slice ran every job of the dry run once"
    for heavy in ("fit_cv", "fit_environment"):  # heavy stages fan out as separate SLURM jobs
        assert remote[heavy] == expected[heavy] > 0, (heavy, remote)
    assert _submissions(output) == remote, "each remote job is one sbatch submission"
    if cluster["sacct"]:
        rules, rows = _sacct_rules(_run_id(output))
        assert rules == remote, rows
        assert {row["state"] for row in rows} == {"COMPLETED"}, rows
        assert {(row["account"], row["partition"]) for row in rows} == {(cluster["account"], cluster["partition"])}


def _comparable(path: Path):
    """A file's content without what depends on when or how fast it was computed."""
    if path.suffix == ".parquet":
        frame = pd.read_parquet(path)
        return frame.drop(columns=[c for c in frame.columns if VOLATILE.search(str(c))])
    if path.suffix == ".csv":
        frame = pd.read_csv(path)
        return frame.drop(columns=[c for c in frame.columns if VOLATILE.search(str(c))])
    if path.suffix == ".json":
        def strip(value):
            if isinstance(value, dict):
                return {k: strip(v) for k, v in value.items() if not VOLATILE.search(k)}
            if isinstance(value, list):
                return [strip(v) for v in value]
            return value
        return strip(json.loads(path.read_text()))
    if path.suffix == ".npz":
        with np.load(path, allow_pickle=False) as arrays:
            return {name: arrays[name] for name in arrays.files}
    if path.suffix == ".md":  # markdown tables: drop timing columns
        lines, drop = [], []
        for line in path.read_text().splitlines():
            if not line.startswith("|"):
                drop = []
                lines.append(COMMIT.sub("commit `...`", line))
                continue
            cells = line.strip("|").split("|")
            if not drop and not set(line) <= set("|-: "):
                drop = [i for i, cell in enumerate(cells) if VOLATILE.search(cell.strip())] or [-1]
            lines.append("|".join(c for i, c in enumerate(cells) if i not in drop))
        return lines
    return path.read_bytes()


def _assert_same(left: Path, right: Path) -> None:
    a, b = _comparable(left), _comparable(right)
    if isinstance(a, pd.DataFrame):
        pd.testing.assert_frame_equal(a, b, check_exact=False, rtol=1e-9, atol=1e-12)
    elif isinstance(a, dict) and a and all(isinstance(v, np.ndarray) for v in a.values()):
        assert a.keys() == b.keys()
        for name in a:
            if a[name].dtype.kind in "fc":
                np.testing.assert_allclose(a[name], b[name], rtol=1e-9, atol=1e-12, err_msg=f"{left}: {name}")
            else:
                np.testing.assert_array_equal(a[name], b[name], err_msg=f"{left}: {name}")
    else:
        assert a == b, f"{left} differs from {right}"


def _outputs(workdir: Path) -> list[Path]:
    return sorted(p.relative_to(workdir) for folder in ("data", "results", "figures") if (workdir / folder).exists()
                  for p in (workdir / folder).rglob("*") if p.is_file() and not p.name.startswith(".snakemake"))


def test_slice_outputs_equal_local_run(runs):
    slurm, local = runs["workdirs"]["slurm"], runs["workdirs"]["local"]
    assert runs["slurm"][1] == 0 and runs["local"][1] == 0, runs["local"][0][-6000:]
    assert _outputs(slurm) == _outputs(local)
    assert any(p.suffix == ".parquet" for p in _outputs(slurm)) and (slurm / TARGET).exists()
    for relative in _outputs(local):
        if not is_timing_file(relative):  # measured times differ between any two runs
            _assert_same(slurm / relative, local / relative)


def test_failing_job_is_reported_as_failed(cluster, runs):
    output, code, seconds = runs["failing"]
    workdir = runs["workdirs"]["failing"]
    retries = int(yaml.safe_load(PROFILE.read_text()).get("retries", 0))
    assert code != 0
    assert "Error in rule fail_on_purpose" in output
    assert re.search(r"SLURM-job '\d+' failed, SLURM status is: 'FAILED'", output), output[-3000:]
    assert _submissions(output) == Counter({"fail_on_purpose": 1 + retries})  # the profile's retries
    assert not (workdir / "never.txt").exists()
    logs = list((workdir / ".snakemake" / "slurm_logs" / "rule_fail_on_purpose").rglob("*.log"))
    assert logs and any("failing on purpose" in log.read_text() for log in logs), "the failed job's log is kept"
    if cluster["sacct"]:
        rows = _sacct_rules(_run_id(output))[1]
        assert len(rows) == 1 + retries and {row["state"] for row in rows} == {"FAILED"}, rows


def test_rerun_resubmits_only_what_it_should(cluster, profile, runs):
    slurm, local = runs["workdirs"]["slurm"], runs["workdirs"]["local"]
    assert runs["slurm"][1] == 0
    args = (TARGET, "--profile", str(profile), "--config", f"preset={PRESET}")
    output, code, _ = _snakemake(ROOT / "Snakefile", *args, workdir=slurm, timeout=120)
    assert code == 0, output[-6000:]
    assert _jobs(output, "rule") + _jobs(output, "localrule") == Counter(), "a complete slice reruns nothing"

    # -R fit_baselines: that job and the table that uses it, not the CV chunks or the environment fit.
    output, code, seconds = _snakemake(ROOT / "Snakefile", *args, "-R", "fit_baselines", workdir=slurm,
                                       timeout=RUN_TIMEOUT)
    print(f"-R fit_baselines through SLURM: {seconds:.0f} s")
    assert code == 0, output[-6000:]
    remote, local_jobs = _jobs(output, "rule"), _jobs(output, "localrule")
    assert remote + local_jobs == Counter({"fit_baselines": 1, "tab_ml100k_fit": 1})
    assert remote["fit_baselines"] == 1
    assert _submissions(output) == remote
    if cluster["sacct"]:
        assert _sacct_rules(_run_id(output))[0] == remote
    _assert_same(slurm / "figures/data/tab_ml100k_fit.csv", local / "figures/data/tab_ml100k_fit.csv")
