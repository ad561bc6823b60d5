"""Rule ch3_run: repetitions of one learner in one environment (thesis section 3.4)."""

import pandas as pd

from recdyn.cafl.experiment import run_cafl
from recdyn.io import atomic_path
from recdyn.logs import limit_threads, setup_logging
from recdyn.sim.experiment import build_env

setup_logging(snakemake.log[0])
limit_threads(snakemake.threads)
env = build_env(snakemake.wildcards.env, snakemake.params.env_params, snakemake.input.get("model"))
tables = [run_cafl(env, learner=snakemake.wildcards.learner, seed=seed, **snakemake.params.run)
          for seed in snakemake.params.seeds]
table = pd.concat(tables, ignore_index=True).assign(env=snakemake.wildcards.env)
with atomic_path(snakemake.output[0]) as tmp:
    table.to_parquet(tmp, index=False)
