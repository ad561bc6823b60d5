"""Rule ch2_select: the selected hyperparameters of every recommender on one environment, and (in
separate timing files) each selected point's mean fit and prediction seconds."""

from pathlib import PurePath

import pandas as pd

from recdyn.io import write_json
from recdyn.logs import setup_logging
from recdyn.sim.tuning import join_timings, select, selected_timing
from recdyn.timing import write_parquet

setup_logging(snakemake.log[0])
env = snakemake.wildcards.env
for n, recommender in enumerate(snakemake.params.recommenders):
    # Tuning chunks live in results/ch2/tuning/<env>/<recommender>/grid<chunk>.parquet.
    grids = [path for path in snakemake.input.grids if PurePath(path).parent.name == recommender]
    timings = [path for path in snakemake.input.timings if PurePath(path).parent.name == recommender]
    if not grids or len(grids) != len(timings):
        raise ValueError(f"ch2_select {env}: {len(grids)} grid and {len(timings)} timing chunks for {recommender}")
    table = pd.concat([pd.read_parquet(path) for path in grids], ignore_index=True)
    timing = pd.concat([pd.read_parquet(path) for path in timings], ignore_index=True)
    write_json(snakemake.output.selection[n], {**select(recommender, table), "env": env})
    write_json(snakemake.output.timing[n], {**selected_timing(recommender, join_timings(table, timing)), "env": env})
    write_parquet(table, snakemake.output.table[n])
