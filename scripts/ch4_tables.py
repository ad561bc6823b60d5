"""Rules tab_4_1 .. tab_4_4: hyperparameter grids with the selection, and the evaluated configurations."""

import pandas as pd

from recdyn.logs import setup_logging
from recdyn.provenance import build_provenance, load_manifests
from recdyn.tables import save_table
from recdyn.twostage.tables import configurations_table, grid_table

setup_logging(snakemake.log[0])
which = snakemake.params.table
if which in ("4.1", "4.3"):
    tuning = pd.concat([pd.read_parquet(path) for path in snakemake.input.tuning], ignore_index=True)
    table = grid_table(tuning, pd.read_csv(snakemake.input.hyper))
else:
    table = configurations_table(pd.read_parquet(snakemake.input.runs), snakemake.params.dataset)
provenance = build_provenance(snakemake.config, load_manifests(snakemake.input.get("manifests", [])), snakemake.input)
save_table(table, snakemake.output.csv, snakemake.output.md, snakemake.params.title, provenance,
           snakemake.output.provenance)
