"""What a preset costs (issue 21, item 5): measured job times scaled to another preset's DAG.

``make estimate`` reads the benchmark files of a finished run (``results/benchmarks/<rule>/``,
CPU seconds per job; see :mod:`recdyn.timing`), counts the target preset's jobs per rule with a
Snakemake dry run, and estimates per rule

    CPU seconds (target) = CPU seconds measured x W(target) / W(measured),

where ``W`` is the rule's total work in a preset, in units :data:`WORK` states per rule from the
preset's sizes (e.g. one online trial costs its number of from-scratch fits; a libFM CV job its
points x folds x iterations x latent dimension). A rule not listed costs the same per job in both
presets (``W`` = its job count). Chapter 2's online and tuning jobs are scaled per (environment,
recommender), since their per-job costs differ by orders of magnitude between recommenders (jobs
that run every recommender of an environment, ``ch2.group_by_env``, are split into their recommenders'
task benchmark files where those exist, :func:`split_grouped`, else scaled per environment). The
estimate is as good as these proportionality rules: a guide for booking a cluster, not a promise.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np
import pandas as pd

from recdyn.fit.grid import expand_grid
from recdyn.sim.experiment import env_trial_chunks, retrain_interval

Config = Mapping[str, Any]

#: What the thesis says its experiments cost, per chapter.
THESIS_COST = {
    "ch2": "many thousands of compute hours (section 2.7)",
    "ch3": "not stated",
    "ch4": "not stated: runs of under five minutes each, hundreds of thousands of configurations (appendix)",
    "ch5": "final runs 72 machines x 4 cores x 5 h = 1,440 CPU hours; over 50,000 CPU hours with preliminary runs",
}


def chapter_of(rule: str) -> str:
    """The chapter a rule belongs to (data preparation and the environment fit count as ch2, whose
    ml-100k environment they build; tables of several chapters as 'all')."""
    for prefix, chapter in (("ch2", "ch2"), ("fig_2", "ch2"), ("claims_ch2", "ch2"), ("tab_ch2", "ch2"),
                            ("ch3", "ch3"), ("fig_3", "ch3"), ("tab_3", "ch3"), ("claims_ch3", "ch3"),
                            ("ch4", "ch4"), ("fig_4", "ch4"), ("tab_4", "ch4"), ("claims_ch4", "ch4"),
                            ("ch5", "ch5"), ("fig_5", "ch5"), ("claims_ch5", "ch5"), ("fit_", "ch2"),
                            ("tab_ml100k", "ch2")):
        if rule.startswith(prefix):
            return chapter
    return "data" if rule in ("acquire_dataset", "process_ml100k", "process_lastfm", "process_amazoncat",
                              "summarize_dataset", "plot_data_overview", "data_status", "claims_data") else "all"


# ---- work per job ----------------------------------------------------------------------------


def _online_steps(env: Config) -> int:
    params = env["params"]
    return math.ceil(max(env["total_ratings"] - params.get("initial_ratings", 100_000), 0)
                     / params.get("online_users", 200))


#: The recommender part of the benchmark name of a ch2 job that runs every recommender of an
#: environment (``ch2.group_by_env``; the workflow's CH2_ALL).
GROUPED = "all-recommenders"


def _grouped(config: Config) -> bool:
    return bool(config["ch2"].get("group_by_env", False))


def _group(config: Config, rule: str) -> list[str]:
    """The recommenders a grouped job of ``rule`` runs."""
    ch2 = config["ch2"]
    return list(ch2["online_recommenders"]) if rule == "ch2_online" else list(ch2["recommenders"])


def _online_work(config: Config, env: str, recommender: str) -> float:
    """One ch2 online job: trials per job x from-scratch fits per trial (the fits dominate); a
    grouped job, the sum over its recommenders."""
    if recommender == GROUPED:
        return sum(_online_work(config, env, rec) for rec in _group(config, "ch2_online"))
    ch2, spec = config["ch2"], config["ch2"]["envs"][env]
    every = retrain_interval(spec.get("retrain_every", ch2["retrain_every"]), recommender)
    chunks = env_trial_chunks(ch2, env)
    mean_trials = sum(map(len, chunks)) / len(chunks)  # per job
    return mean_trials * (1 + _online_steps(spec) / every)


def _tune_work(config: Config, env: str, recommender: str) -> float:
    """One ch2 tuning job: grid points per job x folds x training ratings; a grouped job, every
    point of every recommender's grid."""
    ch2 = config["ch2"]
    ratings = ch2["tuning"]["folds"] * ch2["envs"][env]["params"].get("initial_ratings", 100_000)
    if recommender == GROUPED:
        return sum(len(expand_grid(ch2["recommenders"][rec]["grid"])) or 1 for rec in _group(config, "ch2_tune")) * ratings
    points = min(ch2["tuning"]["points_per_job"], len(expand_grid(ch2["recommenders"][recommender]["grid"])) or 1)
    return points * ratings


def _mean(values) -> float:
    values = list(values)
    return sum(values) / len(values) if values else 1.0


def _fit_cv_work(config: Config) -> float:
    fit = config["fit"]["ml100k"]
    iters = _mean(v for grid in fit["methods"].values() for v in grid["num_iter"])
    return fit["points_per_job"] * fit["folds"] * iters * fit["latent_dim"]


def _dataset_users(config: Config, dataset: str) -> int:
    """Users of ``dataset`` after processing: its subsample size where the preset sets one, else the
    size the preset gives its stand-in (the real files' size in every preset)."""
    data = config["data"][dataset]
    return (data.get("subsample") or {}).get("n_users") or data["synthetic"]["n_users"]


def _ch5_sweep_work(config: Config) -> float:
    audit = config["ch5_audit"]
    sweep = audit["sweep"]
    games = sweep["games_per_job"] or len(sweep["ns"]) * len(sweep["taus"])
    users = _mean(n if n is not None else _dataset_users(config, dataset)
                  for dataset, n in audit["demand_users"].items())
    return games * sweep["inits"] * len(sweep["step_sizes"]) * sweep["max_iter"] * users * _mean(sweep["ns"])


#: Per-job work of the rules whose job cost depends on preset sizes (others: 1 per job).
WORK: dict[str, Callable[[Config], float]] = {
    "fit_cv": _fit_cv_work,
    "ch3_run": lambda c: c["ch3"]["reps_per_job"] * _mean(e["run"]["steps"] for e in c["ch3"]["envs"].values()),
    "ch3_corrections": lambda c: (c["ch3"]["table_3_1"]["runs_per_job"]
                                  * c["ch3"]["table_3_1"]["params"].get("n_users", 3000)
                                  * c["ch3"]["table_3_1"]["params"].get("steps", 30)),
    "ch4ts_synthetic": lambda c: c["ch4_twostage"]["seeds"] * c["ch4_twostage"]["synthetic"]["rounds"],
    "ch4ts_amazon": lambda c: c["ch4_twostage"]["seeds"] * c["ch4_twostage"]["amazon"]["rounds"],
    "ch4ts_tune": lambda c: c["ch4_twostage"]["seeds"] * c["ch4_twostage"]["synthetic"]["tune"]["rounds"],
    "ch4_moe_run": lambda c: (c["ch4_moe"]["steps"] * c["ch4_moe"]["batch_size"] * len(c["ch4_moe"]["feature_dims"])
                              * len(c["ch4_moe"]["embedding_dims"])),
    "ch5_audit_sweep": _ch5_sweep_work,
    "ch5_audit_fit": lambda c: c["ch5_audit"]["fit"]["epochs"] * (1 + c["ch5_audit"]["fit"]["cv"]["folds"]),
}
#: Rules whose jobs are scaled per (environment, recommender), from the job's benchmark name.
PER_ENV_RECOMMENDER = {"ch2_online": (re.compile(r"online_(?P<env>[^_]+)_(?P<rec>.+)_\d+$"), _online_work),
                       "ch2_tune": (re.compile(r"tune_(?P<env>[^_]+)_(?P<rec>.+)_\d+$"), _tune_work)}


def dry_run_job_counts(text: str) -> dict[str, int]:
    """Jobs per rule from the first 'Job stats' table of a Snakemake dry run's output."""
    counts: dict[str, int] = {}
    lines = text.splitlines()
    start = next(i for i, line in enumerate(lines) if line.strip() == "Job stats:")
    for line in lines[start + 3:]:
        fields = line.split()
        if len(fields) != 2 or fields[0] == "total":
            break
        counts[fields[0]] = int(fields[1])
    return counts


def _online_jobs(config: Config, rule: str) -> list[tuple[str, str]]:
    """(env, recommender) of every job of a per-(env, recommender) rule in ``config``'s DAG."""
    ch2 = config["ch2"]
    if rule == "ch2_online":
        chunks = {env: len(env_trial_chunks(ch2, env)) for env in ch2["envs"]}
        if _grouped(config):
            return [(env, GROUPED) for env in ch2["envs"] for _ in range(chunks[env])]
        return [(env, rec) for env in ch2["envs"] for rec in ch2["online_recommenders"] for _ in range(chunks[env])]
    if _grouped(config):
        return [(env, GROUPED) for env in ch2["envs"]]
    return [(env, rec) for env in ch2["envs"] for rec, spec in ch2["recommenders"].items()
            for _ in range(math.ceil(len(expand_grid(spec["grid"])) / ch2["tuning"]["points_per_job"]) or 1)]


def _job_cost(per_unit: Mapping[tuple[str, str], float], typical: float, config: Config, rule: str,
              key: tuple[str, str]) -> float:
    """CPU seconds of one target job of a per-(environment, recommender) rule. A recommender measured
    only inside grouped jobs costs its environment's grouped cost per unit of work; a grouped target
    job measured only as separate jobs, the sum of its recommenders."""
    env, rec = key
    work = PER_ENV_RECOMMENDER[rule][1]
    if rec == GROUPED and key not in per_unit:
        return sum(_job_cost(per_unit, typical, config, rule, (env, r)) for r in _group(config, rule))
    unit = per_unit.get(key, per_unit.get((env, GROUPED), typical))
    return unit * work(config, env, rec)


def split_grouped(benchmarks: pd.DataFrame, tasks: pd.DataFrame | None) -> pd.DataFrame:
    """Replace each grouped ch2 job (``ch2.group_by_env``) by its tasks where their benchmark files
    exist (:func:`recdyn.timing.task_benchmark`): a task's seconds are its own plus an equal share of
    what the job spent outside its tasks (start-up, data loading), so the job's total is kept and
    each (environment, recommender) gets its own measured cost."""
    if tasks is None or tasks.empty:
        return benchmarks
    parts, used = [], np.zeros(len(benchmarks), dtype=bool)
    for n, row in enumerate(benchmarks.itertuples(index=False)):
        mine = tasks[(tasks["rule"] == row.rule) & (tasks["group"] == row.job)]
        if row.rule not in PER_ENV_RECOMMENDER or mine.empty:
            continue
        used[n] = True
        rest = {col: (getattr(row, col) - mine[col].sum()) / len(mine) for col in ("seconds", "cpu_seconds")}
        parts.append(mine.assign(
            seconds=mine["seconds"] + max(rest["seconds"], 0.0),
            cpu_seconds=mine["cpu_seconds"] + max(rest["cpu_seconds"], 0.0)))
    return pd.concat([benchmarks[~used], *parts], ignore_index=True) if parts else benchmarks


def estimate(benchmarks: pd.DataFrame, measured: Config, target: Config, target_jobs: Mapping[str, int],
             tasks: pd.DataFrame | None = None) -> pd.DataFrame:
    """Per rule: measured jobs and CPU hours, the target's jobs, its scale factor and estimated CPU
    hours (``benchmarks`` as :func:`recdyn.timing.read_benchmarks` returns them; ``tasks``, its
    task files of grouped jobs, see :func:`split_grouped`)."""
    benchmarks = split_grouped(benchmarks, tasks)
    cpu = benchmarks["cpu_seconds"].where(benchmarks["cpu_seconds"] > 0, benchmarks["seconds"])
    benchmarks = benchmarks.assign(cpu=cpu)
    rows = []
    for rule, jobs in sorted(target_jobs.items()):
        done = benchmarks[benchmarks["rule"] == rule]
        measured_cpu = float(done["cpu"].sum())
        if rule in PER_ENV_RECOMMENDER and len(done):
            pattern, work = PER_ENV_RECOMMENDER[rule]
            keys = done["job"].str.extract(pattern)
            measured_cpu_per_job = done.assign(env=keys["env"], rec=keys["rec"]).groupby(["env", "rec"])["cpu"].mean()
            per_unit = {key: value / work(measured, *key) for key, value in measured_cpu_per_job.items()}
            typical = float(pd.Series(per_unit).median())  # for (env, recommender) pairs not measured
            total = sum(_job_cost(per_unit, typical, target, rule, key) for key in _online_jobs(target, rule))
            scale = total / (float(done["cpu"].mean()) * jobs) if jobs else float("nan")
        else:
            work = WORK.get(rule)
            scale = work(target) / work(measured) if work is not None else 1.0
            total = float(done["cpu"].mean()) * jobs * scale if len(done) else float("nan")
        jobs_run = done["group"].fillna(done["job"]).nunique() if "group" in done else len(done)
        rows.append({"rule": rule, "chapter": chapter_of(rule), "measured_jobs": int(jobs_run),
                     "measured_cpu_hours": measured_cpu / 3600, "target_jobs": int(jobs), "scale": scale,
                     "target_cpu_hours": total / 3600})
    return pd.DataFrame(rows)


def per_chapter(table: pd.DataFrame) -> pd.DataFrame:
    """CPU hours per chapter, measured and estimated, beside what the thesis says it spent."""
    grouped = table.groupby("chapter")[["measured_cpu_hours", "target_cpu_hours"]].sum(min_count=1)
    unmeasured = table[table["measured_jobs"] == 0].groupby("chapter")["rule"].size()
    grouped["rules_not_measured"] = unmeasured.reindex(grouped.index).fillna(0).astype(int)
    grouped["thesis"] = [THESIS_COST.get(chapter, "") for chapter in grouped.index]
    return grouped.reset_index()


def main(argv: list[str] | None = None) -> None:
    """``make estimate``: CPU hours of the target preset (default: paper), from this working
    directory's benchmark files."""
    import argparse
    import subprocess
    import sys
    import tempfile
    from pathlib import Path

    from recdyn.config import load_yaml, resolve_config
    from recdyn.io import read_json
    from recdyn.timing import BENCHMARK_DIR, read_benchmarks

    root = Path(__file__).resolve().parents[2]
    parser = argparse.ArgumentParser(description=main.__doc__.splitlines()[0])
    parser.add_argument("--target", default="paper", help="preset to estimate (default: paper)")
    parser.add_argument("--measured", default=None,
                        help="preset of the measured run (default: read from figures/data/tab_timing.provenance.json)")
    parser.add_argument("--benchmarks", default=str(BENCHMARK_DIR))
    args = parser.parse_args(argv)
    benchmarks = read_benchmarks(args.benchmarks)
    if benchmarks.empty:
        sys.exit(f"recdyn estimate: no benchmark files under {args.benchmarks}: run the pipeline first "
                 "(e.g. make figures PRESET=default)")
    measured = args.measured
    if measured is None:
        stamp = Path("figures/data/tab_timing.provenance.json")
        if not stamp.is_file():
            sys.exit(f"recdyn estimate: {stamp} is missing; say which preset made the benchmarks with --measured")
        measured = read_json(stamp)["preset"]
    user = load_yaml(root / "config" / "config.yaml")
    configs = {name: resolve_config({**user, "preset": name}, root / "config" / "presets") for name in (measured, args.target)}
    with tempfile.TemporaryDirectory() as scratch:
        dry = subprocess.run([sys.executable, "-m", "snakemake", "-s", str(root / "Snakefile"), "-d", scratch, "-n",
                              "figures", "--config", f"preset={args.target}"], capture_output=True, text=True)
    if dry.returncode != 0:
        sys.exit(f"recdyn estimate: the dry run of preset {args.target} failed:\n{dry.stderr[-2000:]}")
    table = estimate(benchmarks, configs[measured], configs[args.target], dry_run_job_counts(dry.stdout + dry.stderr),
                     tasks=read_benchmarks(args.benchmarks, tasks=True))
    pd.set_option("display.width", 200)
    print(f"CPU hours of preset '{args.target}', scaled from the benchmark files of a '{measured}' run "
          f"({len(benchmarks)} jobs, {benchmarks['cpu_seconds'].sum() / 3600:.2f} CPU hours measured):\n")
    top = table.sort_values("target_cpu_hours", ascending=False).head(15)
    print(top.to_string(index=False, float_format=lambda v: f"{v:,.2f}"))
    print("\nPer chapter:\n")
    print(per_chapter(table).to_string(index=False, float_format=lambda v: f"{v:,.1f}"))
    print(f"\nTotal: {table['target_cpu_hours'].sum():,.0f} CPU hours for {table['target_jobs'].sum()} jobs "
          "(scaling rules: recdyn.estimate.WORK)")


if __name__ == "__main__":
    main()
