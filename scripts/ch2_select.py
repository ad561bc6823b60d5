"""Rule ch2_select: the selected hyperparameters of one recommender on one environment."""

import pandas as pd

from recdyn.io import atomic_path, write_json
from recdyn.logs import setup_logging
from recdyn.sim.tuning import select

setup_logging(snakemake.log[0])
table = pd.concat([pd.read_parquet(path) for path in snakemake.input], ignore_index=True)
selection = select(snakemake.wildcards.recommender, table)
selection["env"] = snakemake.wildcards.env
write_json(snakemake.output.selection, selection)
with atomic_path(snakemake.output.table) as tmp:
    table.to_parquet(tmp, index=False)
