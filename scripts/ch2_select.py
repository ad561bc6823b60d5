"""Rule ch2_select: the selected hyperparameters of one recommender on one environment, and (in a
separate timing file) the selected point's mean fit and prediction seconds."""

import pandas as pd

from recdyn.io import write_json
from recdyn.logs import setup_logging
from recdyn.sim.tuning import join_timings, select, selected_timing
from recdyn.timing import write_parquet

setup_logging(snakemake.log[0])
table = pd.concat([pd.read_parquet(path) for path in snakemake.input.grids], ignore_index=True)
timings = pd.concat([pd.read_parquet(path) for path in snakemake.input.timings], ignore_index=True)
recommender, env = snakemake.wildcards.recommender, snakemake.wildcards.env
write_json(snakemake.output.selection, {**select(recommender, table), "env": env})
write_json(snakemake.output.timing, {**selected_timing(recommender, join_timings(table, timings)), "env": env})
write_parquet(table, snakemake.output.table)
