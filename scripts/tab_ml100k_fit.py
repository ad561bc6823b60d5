"""Rule tab_ml100k_fit: the table of cross-validated RMSE of the ml-100k environment fit."""

import pandas as pd

from recdyn.fit.environment import fit_table
from recdyn.io import read_json
from recdyn.logs import setup_logging
from recdyn.provenance import build_provenance, load_manifests
from recdyn.tables import save_table

setup_logging(snakemake.log[0])
table = fit_table(pd.read_parquet(snakemake.input.cv_table), pd.read_parquet(snakemake.input.baselines),
                  read_json(snakemake.input.selection))
provenance = build_provenance(snakemake.config, load_manifests([snakemake.input.manifest]), snakemake.input)
save_table(table, snakemake.output.csv, snakemake.output.md,
           "ML-100K environment fit (thesis section 2.3): cross-validated RMSE", provenance,
           snakemake.output.provenance)
