"""Rule ch3_run: repetitions of one learner in one environment (thesis section 3.4); the fit times go
to the rule's .timing. file."""

import pandas as pd

from recdyn.cafl.experiment import run_cafl
from recdyn.logs import limit_threads, setup_logging
from recdyn.sim.experiment import build_env
from recdyn.timing import write_with_timings

setup_logging(snakemake.log[0])
limit_threads(snakemake.threads)
env = build_env(snakemake.wildcards.env, snakemake.params.env_params, snakemake.input.get("model"))
tables = [run_cafl(env, learner=snakemake.wildcards.learner, seed=seed, **snakemake.params.run)
          for seed in snakemake.params.seeds]
table = pd.concat(tables, ignore_index=True).assign(env=snakemake.wildcards.env)
write_with_timings(table, snakemake.output.runs, snakemake.output.timing, keys=["env", "learner", "seed", "step"])
