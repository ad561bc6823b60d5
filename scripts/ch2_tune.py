"""Rule ch2_tune: 5-fold CV of chunks of grid points on an environment's offline dataset (one task per
(recommender, chunk); several when ch2.group_by_env); the fit and prediction times go to each task's
.timing. file."""

import pandas as pd

from recdyn.devices import set_default_device
from recdyn.logs import limit_threads, setup_logging
from recdyn.sim.experiment import build_env
from recdyn.sim.offline import PARAM_PREFIX
from recdyn.sim.tuning import offline_ratings, tune_points
from recdyn.timing import task_benchmark, write_with_timings

setup_logging(snakemake.log[0])
set_default_device(snakemake.config["device"])  # AutoRec and CF-NADE
limit_threads(snakemake.threads)
env = build_env(snakemake.wildcards.env, snakemake.params.env_params, snakemake.input.get("model"))
offline = pd.read_parquet(snakemake.input.offline)
for task in snakemake.params.tasks:
    with task_benchmark(task["benchmark"]):  # grouped jobs only: this task's share of the job
        env.reset(snakemake.params.seed)  # the state that generated the offline dataset (the Oracle reads it)
        data = offline_ratings(offline, env)
        table = tune_points(task["recommender"], task["points"], data, env=env,
                            folds=snakemake.params.folds, seed=snakemake.params.seed, k=snakemake.params.k)
        write_with_timings(table, task["grid"], task["timing"],
                           keys=[c for c in table.columns if c.startswith(PARAM_PREFIX)])
