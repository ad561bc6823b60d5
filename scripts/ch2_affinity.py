"""Rule ch2_affinity: per-trial mean topic affinities after the TopPop runs (Figure 2.7 data)."""

import pandas as pd

from recdyn.io import atomic_path
from recdyn.logs import setup_logging
from recdyn.sim.experiment import trial_affinity

setup_logging(snakemake.log[0])
online = pd.read_parquet(snakemake.input[0])
table = trial_affinity(online[online["recommender"] == snakemake.params.recommender])
with atomic_path(snakemake.output[0]) as tmp:
    table.to_parquet(tmp, index=False)
