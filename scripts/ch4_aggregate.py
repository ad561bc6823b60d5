"""Rule ch4ts_aggregate: concatenate the per-job tables of one dataset, adding relative regret."""

import pandas as pd

from recdyn.io import atomic_path
from recdyn.logs import setup_logging

setup_logging(snakemake.log[0])
table = pd.concat([pd.read_parquet(path) for path in snakemake.input], ignore_index=True)
table["relative_regret"] = table["regret"] / table["random_regret"]
table["d_over_s"] = table["d"] / table["s"]
with atomic_path(snakemake.output[0]) as tmp:
    table.to_parquet(tmp, index=False)
