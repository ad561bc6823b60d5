"""Rule ch2_online_table: one environment's online trials (all recommenders, all job chunks) as one
table, trials numbered across chunks (:func:`recdyn.sim.experiment.number_trials`)."""

import pandas as pd

from recdyn.io import atomic_path
from recdyn.logs import setup_logging
from recdyn.sim.experiment import number_trials

setup_logging(snakemake.log[0])
table = number_trials(pd.concat([pd.read_parquet(path) for path in snakemake.input], ignore_index=True))
with atomic_path(snakemake.output[0]) as tmp:
    table.to_parquet(tmp, index=False)
