"""Rule ch4_moe_summary: all Figure 4.5 runs as one table, and mean / standard error over seeds."""

import pandas as pd

from recdyn.io import atomic_path
from recdyn.logs import setup_logging
from recdyn.moe.evaluate import summarize_over_seeds

setup_logging(snakemake.log[0])
runs = pd.concat([pd.read_parquet(path) for path in snakemake.input], ignore_index=True)
with atomic_path(snakemake.output.runs) as tmp:
    runs.to_parquet(tmp, index=False)
with atomic_path(snakemake.output.summary) as tmp:
    summarize_over_seeds(runs).to_csv(tmp, index=False)
