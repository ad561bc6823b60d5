"""Rule tab_3_1: Table 3.1 from the runs, beside the thesis' numbers."""

import pandas as pd

from recdyn.cafl.corrections import summarize_table_3_1
from recdyn.logs import setup_logging
from recdyn.provenance import build_provenance
from recdyn.tables import save_table

setup_logging(snakemake.log[0])
runs = pd.concat([pd.read_parquet(path) for path in snakemake.input], ignore_index=True)
table = summarize_table_3_1(runs).reset_index().rename(columns={"index": "method"})
provenance = build_provenance(snakemake.config, {}, snakemake.input)
save_table(table, snakemake.output.csv, snakemake.output.md,
           "Table 3.1: corrections for feedback loops in the Chaney et al. simulation (MSE, MAE)",
           provenance, snakemake.output.provenance)
