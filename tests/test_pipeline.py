"""The Snakemake DAG: every target builds under every preset, the config is validated, lint is clean,
and (slow) an end-to-end smoke run of `figures` on stand-ins produces every output."""

from __future__ import annotations

import json
import time

import pandas as pd
import pytest

from conftest import ROOT, run_snakemake

TARGETS = ["figures", "ch2", "ch3", "ch4", "ch5", "claims", "report", "fig_2_7", "fig_3_2", "tab_3_1",
           "figures/data/overview_ml100k.pdf", "figures/data/tab_ml100k_fit.md"]
PRESETS = ["smoke", "default", "paper"]


@pytest.mark.parametrize("preset", PRESETS)
def test_dry_run_every_target(preset, tmp_path):
    started = time.perf_counter()
    result = run_snakemake("-n", *TARGETS, "--config", f"preset={preset}", workdir=tmp_path)
    assert result.returncode == 0, result.stderr[-3000:]
    assert "fit_cv" in result.stdout + result.stderr
    assert time.perf_counter() - started < 60  # the paper DAG must build in under a minute


def test_online_trials_per_environment(tmp_path):
    """ch2.envs.<env>.trials overrides ch2.trials: the default preset runs 5 topics-dynamic trials
    (two jobs of at most 3) and 3 topics-static trials (one job)."""
    result = run_snakemake("-n", "results/ch2/online/topics-dynamic.parquet", "results/ch2/online/topics-static.parquet",
                           "--config", "preset=default", workdir=tmp_path)
    assert result.returncode == 0, result.stderr[-3000:]
    log = result.stdout + result.stderr
    assert "results/ch2/online/topics-dynamic/llorma/chunk1.parquet" in log
    assert "results/ch2/online/topics-dynamic/llorma/chunk2.parquet" not in log
    assert "results/ch2/online/topics-static/llorma/chunk0.parquet" in log
    assert "results/ch2/online/topics-static/llorma/chunk1.parquet" not in log


def test_wrong_config_key_stops_the_run(tmp_path):
    result = run_snakemake("-n", "figures", "--config", "preset=smoke", "fitt=1", workdir=tmp_path)
    assert result.returncode != 0
    assert "config key '<top level>'" in result.stderr and "'fitt' was unexpected" in result.stderr


def test_wrong_config_type_stops_the_run(tmp_path):
    result = run_snakemake("-n", "figures", "--config", "preset=smoke", 'fit={"ml100k": {"folds": "five"}}',
                           workdir=tmp_path)
    assert result.returncode != 0
    assert "fit.ml100k.folds" in result.stderr


def test_unknown_preset_stops_the_run(tmp_path):
    result = run_snakemake("-n", "figures", "--config", "preset=fast", workdir=tmp_path)
    assert result.returncode != 0 and "preset" in result.stderr


def test_lint_is_clean():
    result = run_snakemake("--lint")
    assert result.returncode == 0
    assert "Congratulations" in result.stdout + result.stderr


def test_conda_env_matches_lock():
    from subprocess import run
    import sys

    check = run([sys.executable, str(ROOT / "scripts/install/sync_conda_envs.py"), "--check"],
                capture_output=True, text=True)
    assert check.returncode == 0, check.stderr


@pytest.mark.slow
def test_smoke_run_of_figures_end_to_end(tmp_path):
    result = run_snakemake("figures", "--cores", "2", "--config", "preset=smoke", workdir=tmp_path)
    assert result.returncode == 0, result.stderr[-5000:]
    figures = tmp_path / "figures"
    for dataset in ("ml100k", "lastfm", "amazoncat"):
        for ext in ("pdf", "png"):
            assert (figures / "data" / f"overview_{dataset}.{ext}").stat().st_size > 1000
        provenance = json.loads((figures / "data" / f"overview_{dataset}.provenance.json").read_text())
        assert provenance["datasets"][dataset]["source"] == "synthetic"
        assert provenance["preset"] == "smoke"
    table = pd.read_csv(figures / "data" / "tab_ml100k_fit.csv")
    assert {"global mean", "user + item biases"} <= set(table["model"])
    assert (table["selected"] == "yes").sum() == 1
    assert "SYNTHETIC STAND-IN DATA" in (figures / "data" / "tab_ml100k_fit.md").read_text()
    for ext in ("pdf", "png"):
        assert (figures / "ch2" / f"fig_2_7.{ext}").stat().st_size > 1000
    assert json.loads((figures / "ch2" / "fig_2_7.provenance.json").read_text())["datasets"] == {}
    for number in (2, 3, 4):
        assert (figures / "ch3" / f"fig_3_{number}.png").stat().st_size > 1000
    table_3_1 = pd.read_csv(figures / "ch3" / "table_3_1.csv")
    assert list(table_3_1["method"]) == ["Naive", "Pop", "PF", "Pan", "CAFL"]
    assert {"ml-100k", "topics-static"} <= set(pd.read_csv(figures / "ch2" / "table_recommenders.csv")["env"])
    chapter_figures = {
        "ch2": ["fig_2_1", "fig_2_3", "fig_2_4", "fig_2_5", "fig_2_6", "fig_2_8"],
        "ch4": ["fig_4_2", "fig_4_3", "fig_4_4", "fig_4_5", "fig_4_6", "fig_4_7", "fig_4_8"],
        "ch5": ["fig_5_2", "fig_5_3", "fig_5_4", "fig_5_5", "fig_5_6", "fig_5_7", "fig_5_8", "fig_5_9", "fig_5_10", "fig_5_11"],
    }
    for chapter, names in chapter_figures.items():
        for name in names:
            for ext in ("pdf", "png"):
                assert (figures / chapter / f"{name}.{ext}").stat().st_size > 1000, name
            assert (figures / chapter / f"{name}.provenance.json").is_file(), name
    for number in (1, 2, 3, 4):
        assert len(pd.read_csv(figures / "ch4" / f"table_4_{number}.csv")) > 0
    sampling = pd.read_csv(figures / "ch2" / "table_sampling.csv")
    assert {"ndcg_uniform", "ndcg_ml100k-init", "heldout_ndcg_ml100k-init"} <= set(sampling.columns)
    claims = pd.read_csv(tmp_path / "results" / "claims.csv")
    assert {"data.ml100k.size", "data.ml100k_env.beats_global_mean", "ch2.fig_2_7.static_stays",
            "ch2.sampling.rank_stable", "ch2.online.offline_predicts_online"} <= set(claims["claim_id"])
    assert set(claims["chapter"]) >= {"data", "ch2", "ch3", "ch4", "ch5"}
    from recdyn.claims.registry import registry

    assert len(claims) == len(registry()) >= 75 and claims["thesis_lines"].str.startswith("L").all()
    assert set(claims["verdict"]) <= {"pass", "fail", "untestable"}
    explained = claims[claims["verdict"] != "pass"]
    assert explained["reason"].fillna("").str.strip().str.len().gt(0).all()
    untestable = explained[explained["verdict"] == "untestable"]
    assert (untestable["reason"].str.contains("synthetic") | untestable["reason"].str.contains("preset")).all()
    page = (figures / "claims.md").read_text()
    assert "untestable of" in page and "check the plumbing, not the thesis" in page
    assert "regenerated figures/data/overview_ml100k.*" in result.stderr
    assert "SYNTHETIC STAND-IN" in result.stderr  # start warning and end-of-run summary

    report = run_snakemake("report", "--cores", "1", "--config", "preset=smoke", workdir=tmp_path)
    assert report.returncode == 0, report.stderr[-3000:]
    html = (tmp_path / "report.html").read_text(errors="replace")
    assert "overview_ml100k" in html and "Provenance" in html

    rerun = run_snakemake("figures", "--cores", "2", "--config", "preset=smoke", workdir=tmp_path)
    assert rerun.returncode == 0
    assert "Nothing to be done" in rerun.stdout + rerun.stderr  # an up-to-date run recomputes nothing


def test_parsing_the_workflow_imports_no_torch():
    """Every Snakemake start (the main process, each cluster job's jobstep, every dry run) parses the
    Snakefile: the recdyn modules its rules import must not pull in torch (about 2.5 s of CPU each)."""
    import re
    import subprocess
    import sys

    sources = [ROOT / "Snakefile", *sorted((ROOT / "workflow" / "rules").glob("*.smk"))]
    modules = sorted({m for path in sources for m in re.findall(r"^(?:from|import) (recdyn[\w.]*)",
                                                                path.read_text(), flags=re.M)})
    assert "recdyn.sim.experiment" in modules and "recdyn.exposure.sweep_spec" in modules
    code = "import importlib, sys\n" + "".join(f"importlib.import_module({m!r})\n" for m in modules) + \
        "print(sorted(m for m in sys.modules if m == 'torch' or m.startswith('torch.')))"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT)
    assert done.stdout.strip() == "[]", f"parsing the workflow imports torch through {modules}"
