"""Concatenate parquet tables (job chunks) into one, atomically."""

import pandas as pd

from recdyn.io import atomic_path
from recdyn.logs import setup_logging

setup_logging(snakemake.log[0])
table = pd.concat([pd.read_parquet(path) for path in snakemake.input], ignore_index=True)
with atomic_path(snakemake.output[0]) as tmp:
    table.to_parquet(tmp, index=False)
