"""Rule ch2_online: one environment x one recommender x a chunk of online trials (section 2.6)."""

from recdyn.io import atomic_path, read_json
from recdyn.logs import limit_threads, setup_logging
from recdyn.sim.experiment import online_job

setup_logging(snakemake.log[0])
limit_threads(snakemake.threads)
table = online_job(snakemake.wildcards.env, snakemake.params.env_params, snakemake.wildcards.recommender,
                   read_json(snakemake.input.selection)["params"], snakemake.params.seeds, snakemake.params.total_ratings,
                   snakemake.input.get("model"), retrain_every=snakemake.params.retrain_every)
with atomic_path(snakemake.output[0]) as tmp:
    table.to_parquet(tmp, index=False)
