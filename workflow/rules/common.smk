"""Shared helpers: dataset list, resources from the preset, run announcements."""

import sys
import time

from recdyn.data.registry import get_spec
from recdyn.data import staging
from recdyn import run_summary
from recdyn.io import remove_orphans
from recdyn.fit.grid import grid_chunks
from recdyn.recommenders.defaults import named_defaults
from recdyn.sim.experiment import env_trial_chunks, retrain_interval, trial_chunks, trial_seeds
from recdyn.timing import task_benchmark_path

RUN_STARTED = time.time()
RAW_DIR = Path(config["data"]["raw_dir"])
DATASETS = ["ml100k", "lastfm", "amazoncat"]
ENV = "../../envs/recdyn.yaml"


def res(family: str) -> dict:
    """Resources of a family of rules, from the preset's ``resources.<family>`` over ``resources.default``."""
    merged = dict(config["resources"]["default"])
    merged.update(config["resources"].get(family, {}))
    return merged


def spec_key(dataset: str) -> str:
    """Registry key of a dataset: LastFM has the Shakespeare et al. and the raw variant."""
    if dataset == "lastfm" and config["data"]["lastfm"]["variant"] == "raw":
        return "lastfm_raw"
    return dataset


def staged_state(dataset: str) -> str:
    """data/staged/<dataset>.json: what is staged for the dataset (paths, SHA-256), rewritten while
    the DAG is built only when that changed. Acquisition and processing take it as an input, so
    staging, replacing or corrupting real data reruns them (recdyn.data.staging)."""
    return str(staging.update_state_file(dataset, get_spec(spec_key(dataset)), RAW_DIR))


RUN_DATASETS: list[str] = []  # datasets acquired by this run (filled at its start)


def announce_data_sources() -> None:
    """Start of a run: remove what killed jobs left behind, then say where the data of each dataset
    this run acquires will come from (warning where a synthetic stand-in may be used)."""
    removed = remove_orphans(["data/interim", "data/processed", "data/raw", "results", "figures"])
    if removed:
        print(f"recdyn: removed {len(removed)} temporary file(s) left by interrupted jobs", file=sys.stderr)
    RUN_DATASETS[:] = run_summary.datasets_acquired(workflow.dag.needrun_jobs())
    run_summary.announce_sources(config, RAW_DIR, RUN_DATASETS, spec_key)


def print_run_summary(failed: bool = False) -> None:
    """End of run: failed jobs and their logs, the acquired datasets' sources, regenerated
    figures/tables with their data sources, claims passing."""
    scheduler = getattr(workflow, "scheduler", None)
    failures = run_summary.failed_jobs(scheduler.failed) if failed and scheduler is not None else []
    run_summary.print_summary(Path("figures"), Path("results/claims.csv"), RUN_STARTED, failed=failures,
                              run_failed=failed, datasets=RUN_DATASETS)


PROCESSED_FILES = {
    "ml100k": ["ratings.parquet", "users.parquet", "items.parquet"],
    "lastfm": ["plays.parquet", "artists.parquet", "users.parquet"],
    "amazoncat": ["features.npy", "labels.npz"],
}


def processed(dataset: str) -> list[str]:
    """Tidy outputs of one dataset, plus its manifest (source, checksums)."""
    return [f"data/processed/{dataset}/{name}" for name in [*PROCESSED_FILES[dataset], "manifest.json"]]


def manifest(dataset: str) -> str:
    return f"data/processed/{dataset}/manifest.json"


CH2 = config["ch2"]
CH2_ENVS = list(CH2["envs"])
CH2_RECOMMENDERS = list(CH2["recommenders"])
CH2_ONLINE = list(CH2["online_recommenders"])
if set(CH2_ONLINE) - set(CH2_RECOMMENDERS):
    raise SystemExit(f"recdyn: ch2.online_recommenders {sorted(set(CH2_ONLINE) - set(CH2_RECOMMENDERS))} "
                     f"are not in ch2.recommenders (which defines their grids)")


def ch2_chunks(env: str) -> list[list[int]]:
    """Trial indices of each online job (chunk) of an environment."""
    return env_trial_chunks(CH2, env)


# ch2.group_by_env: one tuning job per environment and one online job per (environment, trial chunk)
# run every recommender in turn (small presets, where start-up would dominate many tiny jobs).
CH2_GROUPED = bool(CH2.get("group_by_env", False))
CH2_ALL = "all-recommenders"  # the recommender part of a grouped job's benchmark name (recdyn.estimate)
# ch2.defaults: the values of every hyperparameter outside the grids (reclab: the thesis' values).
CH2_TUNE_CHUNKS = {
    name: grid_chunks(spec["grid"], CH2["tuning"]["points_per_job"], named_defaults(CH2["defaults"], name))
    for name, spec in CH2["recommenders"].items()
}
ML100K_MODEL = "results/ch2/ml100k_env/env_params.npz"


SAMPLING_ENV = CH2["sampling"]["env"]
CONTROL_SCHEMES = ["uniform", "ml100k-init"]  # section 2.5's control: train on each, test on held-out uniform pairs
CH2_CHECKS = CH2["side_checks"]


def check_model(check: dict) -> dict:
    """The fitted ml-100k model when a side check runs in the ml-100k environment."""
    return {"model": ML100K_MODEL} if check["env"] == "ml-100k" else {}


def sampling_model(wildcards) -> dict:
    """The fitted ml-100k model when the sampling study runs in the ml-100k environment."""
    return {"model": ML100K_MODEL} if SAMPLING_ENV == "ml-100k" else {}


def ch4ts_data_inputs(wildcards) -> list[str]:
    """AmazonCat files for the chapter 4 bandit jobs on Amazon, nothing for the synthetic ones."""
    return processed("amazoncat") if wildcards.dataset == "amazon" else []


def env_model(wildcards) -> dict:
    """The fitted model file for the ml-100k environment (no input for the others)."""
    return {"model": ML100K_MODEL} if wildcards.env == "ml-100k" else {}


def ch2_online_chunks(wildcards) -> list[str]:
    return expand(
        "results/ch2/online/{env}/{recommender}/chunk{chunk}.parquet",
        env=wildcards.env,
        recommender=CH2_ONLINE,
        chunk=range(len(ch2_chunks(wildcards.env))),
    )


#: (recommender, chunk) of every tuning chunk of one environment, and the matching output paths.
CH2_TUNE_KEYS = [(rec, chunk) for rec in CH2_RECOMMENDERS for chunk in range(len(CH2_TUNE_CHUNKS[rec]))]
CH2_TUNE_OUTPUTS = [f"results/ch2/tuning/{{env}}/{rec}/grid{chunk}.parquet" for rec, chunk in CH2_TUNE_KEYS]


def ch2_tune_task(recommender: str, chunk: int, grid: str, timing: str, env: str | None = None) -> dict:
    """One tuning task of a ch2_tune job: a chunk of a recommender's grid and where it goes; with
    ``env`` (a grouped job), also where the task's own benchmark goes (recdyn.timing.task_benchmark)."""
    benchmark = (None if env is None else
                 task_benchmark_path("ch2_tune", f"tune_{env}_{CH2_ALL}_0", f"tune_{env}_{recommender}_{chunk}"))
    return {"recommender": recommender, "points": CH2_TUNE_CHUNKS[recommender][chunk], "grid": grid, "timing": timing,
            "benchmark": benchmark}


def ch2_online_task_benchmarks(wildcards) -> list[str]:
    """Where each recommender's part of a grouped ch2_online job writes its own benchmark."""
    job = f"online_{wildcards.env}_{CH2_ALL}_{wildcards.chunk}"
    return [task_benchmark_path("ch2_online", job, f"online_{wildcards.env}_{rec}_{wildcards.chunk}") for rec in CH2_ONLINE]


def ch2_retrain_every(env: str, recommender: str) -> int:
    """Steps between retrains of a recommender's online trials in an environment."""
    return retrain_interval(CH2["envs"][env].get("retrain_every", CH2["retrain_every"]), recommender)


def ch2_env_tune_chunks(wildcards) -> list[str]:
    """Every tuning chunk of every recommender on one environment, recommender by recommender."""
    return [path.format(env=wildcards.env) for path in CH2_TUNE_OUTPUTS]


CH3 = config["ch3"]
CH3_ENVS = list(CH3["envs"])
CH3_CHUNKS = trial_chunks(CH3["repetitions"], CH3["reps_per_job"])
CH3_TABLE_CHUNKS = -(-CH3["table_3_1"]["runs"] // CH3["table_3_1"]["runs_per_job"])
