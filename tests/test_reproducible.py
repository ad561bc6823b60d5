"""Two clean runs of the same config give byte-identical figures and results (issue 20, item 9).

Measured wall times are the one thing that cannot repeat; they live only in files whose name contains
``timing`` (:mod:`recdyn.timing`), which the comparison skips.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from conftest import run_snakemake, tree_hashes

from recdyn.timing import is_timing_column, is_timing_file, split_timings, timing_path

COMPARED = ("figures", "results")
#: A data figure, the environment fit table, chapter 2 tuning tables and Figure 2.7 (online trials),
#: Table 3.1 (torch GMF) and one chapter 3 CAFL run: about a minute per run on 2 cores.
TARGETS = (
    "figures/data/overview_ml100k.pdf",
    "figures/data/tab_ml100k_fit.md",
    "results/ch2/tuning/topics-static/toppop.parquet",
    "figures/ch2/fig_2_7.pdf",
    "figures/ch3/table_3_1.md",
    "results/ch3/runs/beta-rank/cafl/chunk0.parquet",
)


def differing(first: dict[str, str], second: dict[str, str]) -> list[str]:
    """Paths whose hashes differ or that exist in only one of two :func:`tree_hashes`."""
    return sorted(path for path in first.keys() | second.keys() if first.get(path) != second.get(path))


def test_timing_files_sit_beside_their_results():
    table = pd.DataFrame({"param_a": [1, 2], "rmse": [0.5, 0.4], "fit_seconds": [0.1, 0.2], "seconds": [1.0, 2.0]})
    results, timings = split_timings(table, ["param_a", "missing"])
    assert results.columns.tolist() == ["param_a", "rmse"]
    assert timings.columns.tolist() == ["param_a", "fit_seconds", "seconds"]
    assert timing_path("results/ch2/tuning/x/grid0.parquet") == "results/ch2/tuning/x/grid0.timing.parquet"
    assert not is_timing_column("n_seconds_budget") and is_timing_column("recommend_seconds")


def test_tree_hashes_skip_timing_files(tmp_path):
    for name, text in (("figures/a.csv", "1"), ("results/b/c.parquet", "2"), ("results/b/c.timing.parquet", "3"),
                       ("figures/t.timing.md", "4"), ("logs/x.log", "5"),
                       ("results/benchmarks/fit_cv/cv_sgd_0.tsv", "6")):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text)
    assert sorted(tree_hashes(tmp_path)) == ["figures/a.csv", "results/b/c.parquet"]
    other = dict(tree_hashes(tmp_path), **{"figures/a.csv": "0"})
    assert differing(tree_hashes(tmp_path), other) == ["figures/a.csv"]


def _result_columns(root: Path) -> dict[str, list[str]]:
    columns = {}
    for folder in COMPARED:
        for path in (root / folder).rglob("*"):
            if is_timing_file(path.relative_to(root)):
                continue
            if path.suffix == ".parquet":
                columns[str(path)] = list(pd.read_parquet(path).columns)
            elif path.suffix == ".csv":
                columns[str(path)] = list(pd.read_csv(path, nrows=0).columns)
            elif path.suffix == ".json":
                content = json.loads(path.read_text())
                columns[str(path)] = list(content) if isinstance(content, dict) else []
    return columns


@pytest.mark.slow
def test_two_clean_runs_are_byte_identical(tmp_path):
    runs = [tmp_path / "first", tmp_path / "second"]
    for workdir in runs:
        workdir.mkdir()
        result = run_snakemake(*TARGETS, "--cores", "2", "--config", "preset=smoke", workdir=workdir, timeout=900)
        assert result.returncode == 0, result.stderr[-5000:]
    first, second = (tree_hashes(workdir) for workdir in runs)
    assert len(first) > 25
    assert differing(first, second) == []
    # Wall times are measured, but only in timing files.
    assert (runs[0] / "results/ch2/tuning/topics-static/toppop/grid0.timing.parquet").is_file()
    assert (runs[0] / "figures/data/tab_ml100k_fit.timing.csv").is_file()
    timed = {path: [c for c in names if is_timing_column(c) or c == "created"]
             for path, names in _result_columns(runs[0]).items()}
    assert {path: names for path, names in timed.items() if names} == {}
