"""Rule ch2_online: one environment x one recommender (several, one after the other, when
ch2.group_by_env) x a chunk of online trials (section 2.6); the per-step fit and recommendation
times go to each recommender's .timing. file, and a grouped job's share per recommender to its task
benchmark files (recdyn.timing.task_benchmark)."""

from recdyn.devices import set_default_device
from recdyn.io import read_json
from recdyn.logs import limit_threads, setup_logging
from recdyn.sim.experiment import online_job
from recdyn.timing import task_benchmark, write_with_timings

setup_logging(snakemake.log[0])
set_default_device(snakemake.config["device"])  # AutoRec and CF-NADE
limit_threads(snakemake.threads)
recommenders = snakemake.params.recommenders
benchmarks = snakemake.params.get("task_benchmarks", [None] * len(recommenders))  # grouped jobs only
for n, recommender in enumerate(recommenders):
    with task_benchmark(benchmarks[n]):
        table = online_job(snakemake.wildcards.env, snakemake.params.env_params, recommender,
                           read_json(snakemake.input.selection[n])["params"], snakemake.params.seeds,
                           snakemake.params.total_ratings, snakemake.input.get("model"),
                           retrain_every=snakemake.params.retrain_every[n])
        write_with_timings(table, snakemake.output.trials[n], snakemake.output.timing[n],
                           keys=["env", "recommender", "trial", "seed", "step"])
