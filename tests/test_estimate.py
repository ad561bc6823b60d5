"""make estimate: measured CPU seconds scaled to another preset by each rule's stated work."""

import time
from pathlib import Path

import pandas as pd
import pytest

from recdyn.config import resolve_config
from recdyn.estimate import chapter_of, dry_run_job_counts, estimate, per_chapter, split_grouped
from recdyn.timing import read_benchmarks, task_benchmark

PRESETS = Path(__file__).resolve().parents[1] / "config" / "presets"


@pytest.fixture(scope="module")
def configs():
    return {name: resolve_config({"preset": name}, PRESETS) for name in ("smoke", "default", "paper")}


def test_job_counts_from_a_dry_run():
    text = "Building DAG\nJob stats:\njob       count\n-------  -------\nfit_cv        22\nch2_online   770\ntotal       792\n"
    assert dry_run_job_counts(text) == {"fit_cv": 22, "ch2_online": 770}


def test_scaling_by_stated_work(configs):
    smoke, paper = configs["smoke"], configs["paper"]
    bench = pd.DataFrame({"rule": ["fit_cv", "fit_cv", "tab_3_1"], "job": ["cv_sgd_0", "cv_mcmc_0", "tab"],
                          "seconds": [10.0, 30.0, 2.0], "cpu_seconds": [10.0, 30.0, 2.0], "max_rss_mb": [1.0] * 3})
    table = estimate(bench, smoke, paper, {"fit_cv": 22, "tab_3_1": 1}).set_index("rule")
    fit_s, fit_p = smoke["fit"]["ml100k"], paper["fit"]["ml100k"]
    iters = lambda f: sum(v for g in f["methods"].values() for v in g["num_iter"]) / sum(  # noqa: E731
        len(g["num_iter"]) for g in f["methods"].values())
    work = lambda f: f["points_per_job"] * f["folds"] * iters(f) * f["latent_dim"]  # noqa: E731
    assert table.loc["fit_cv", "scale"] == pytest.approx(work(fit_p) / work(fit_s))
    assert table.loc["fit_cv", "target_cpu_hours"] == pytest.approx(20.0 * 22 * work(fit_p) / work(fit_s) / 3600)
    assert table.loc["tab_3_1", "scale"] == 1.0 and table.loc["tab_3_1", "target_cpu_hours"] == pytest.approx(2 / 3600)


def test_online_jobs_scale_per_environment_and_recommender(configs):
    default, paper = configs["default"], configs["paper"]
    bench = pd.DataFrame({"rule": "ch2_online", "job": ["online_topics-static_toppop_0", "online_topics-static_llorma_0"],
                          "seconds": [1.0, 100.0], "cpu_seconds": [1.0, 100.0], "max_rss_mb": 1.0})
    table = estimate(bench, default, paper, {"ch2_online": 770}).set_index("rule")
    # toppop retrains every step in both presets; llorma every 100 steps by default, every step in the paper
    assert table.loc["ch2_online", "target_cpu_hours"] > 100 * 770 / 3600
    chapters = per_chapter(table.reset_index())
    assert chapters.loc[chapters["chapter"] == "ch2", "thesis"].item().startswith("many thousands")


def test_online_trials_per_environment(configs):
    """ch2.envs.<env>.trials overrides ch2.trials: more jobs for that environment, and a measured
    job's cost is per trial (a chunk of 2 trials costs 2/3 of a chunk of 3)."""
    default = configs["default"]
    base = {**default, "ch2": {**default["ch2"], "trials": 3, "trials_per_job": 3, "group_by_env": False,
                               "online_recommenders": ["llorma"],
                               "envs": {"topics-static": default["ch2"]["envs"]["topics-static"]}}}
    five = {**base, "ch2": {**base["ch2"], "envs": {"topics-static": {**base["ch2"]["envs"]["topics-static"],
                                                                       "trials": 5}}}}
    bench = pd.DataFrame({"rule": "ch2_online", "job": ["online_topics-static_llorma_0"],
                          "seconds": [90.0], "cpu_seconds": [90.0], "max_rss_mb": 1.0})
    three_cost = estimate(bench, base, base, {"ch2_online": 1}).set_index("rule").loc["ch2_online", "target_cpu_hours"]
    five_cost = estimate(bench, base, five, {"ch2_online": 2}).set_index("rule").loc["ch2_online", "target_cpu_hours"]
    assert three_cost == pytest.approx(90.0 / 3600)
    assert five_cost == pytest.approx(5 / 3 * 90.0 / 3600)


def test_grouped_smoke_jobs_scale_to_separate_jobs_and_back(configs):
    """A smoke run's ch2 jobs run every recommender of an environment (group_by_env); their cost
    is spread over the recommenders by work, and a grouped target sums its recommenders."""
    smoke, default = configs["smoke"], configs["default"]
    assert smoke["ch2"]["group_by_env"] and not configs["paper"]["ch2"]["group_by_env"]
    envs = list(smoke["ch2"]["envs"])
    bench = pd.DataFrame({"rule": "ch2_online", "job": [f"online_{env}_all-recommenders_0" for env in envs],
                          "seconds": 10.0, "cpu_seconds": 10.0, "max_rss_mb": 1.0})
    up = estimate(bench, smoke, default, {"ch2_online": 77}).set_index("rule")
    assert 0 < up.loc["ch2_online", "target_cpu_hours"] < float("inf")
    # same preset both ways: the measured cost comes back exactly
    same = estimate(bench, smoke, smoke, {"ch2_online": len(envs)}).set_index("rule")
    assert same.loc["ch2_online", "target_cpu_hours"] == pytest.approx(10.0 * len(envs) / 3600)
    # separate default jobs estimated for a grouped target: the sum over each group
    split = pd.DataFrame({"rule": "ch2_online", "job": ["online_topics-static_toppop_0", "online_topics-static_random_0"],
                          "seconds": [2.0, 4.0], "cpu_seconds": [2.0, 4.0], "max_rss_mb": 1.0})
    down = estimate(split, default, smoke, {"ch2_online": len(envs)}).set_index("rule")
    assert down.loc["ch2_online", "target_cpu_hours"] > 0


def test_chapters_of_rules():
    assert [chapter_of(r) for r in ("ch2_online", "fit_cv", "fig_5_3", "ch4ts_amazon", "process_lastfm", "figures")] == \
        ["ch2", "ch2", "ch5", "ch4", "data", "all"]


def test_grouped_jobs_split_into_their_measured_tasks(configs, tmp_path):
    """A grouped job's task benchmark files give each recommender its own measured cost: the job's
    time outside its tasks is shared evenly, the total is kept, and a costly recommender stays costly."""
    root = tmp_path / "benchmarks"
    job = "online_topics-static_all-recommenders_0"
    (root / "ch2_online").mkdir(parents=True)
    (root / "ch2_online" / f"{job}.tsv").write_text("s\th:m:s\tmax_rss\tcpu_time\n30.0\t0:00:30\t100\t30.0\n")
    for rec, spin in (("toppop", 0.0), ("llorma", 0.3)):
        with task_benchmark(root / "ch2_online" / "tasks" / job / f"online_topics-static_{rec}_0.task.tsv"):
            end = time.process_time() + spin
            while time.process_time() < end:
                pass
    jobs, tasks = read_benchmarks(root), read_benchmarks(root, tasks=True)
    assert list(jobs["job"]) == [job]  # task files are not jobs (tab_timing counts each job once)
    assert set(tasks["job"]) == {"online_topics-static_toppop_0", "online_topics-static_llorma_0"}
    split = split_grouped(jobs, tasks).set_index("job")
    assert split["cpu_seconds"].sum() == pytest.approx(30.0)
    assert split.loc["online_topics-static_llorma_0", "cpu_seconds"] > split.loc["online_topics-static_toppop_0", "cpu_seconds"] + 0.2
    default = configs["default"]
    table = estimate(jobs, configs["smoke"], default, {"ch2_online": 77}, tasks=tasks).set_index("rule")
    assert table.loc["ch2_online", "measured_jobs"] == 1
