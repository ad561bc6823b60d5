"""Rule ch2_affinity: per-trial mean topic affinities after the Figure 2.7 recommender's runs."""

import pandas as pd

from recdyn.io import atomic_path
from recdyn.logs import setup_logging
from recdyn.sim.experiment import number_trials, trial_affinity

setup_logging(snakemake.log[0])
online = number_trials(pd.concat([pd.read_parquet(path) for path in snakemake.input], ignore_index=True))
table = trial_affinity(online)
with atomic_path(snakemake.output[0]) as tmp:
    table.to_parquet(tmp, index=False)
