"""Rule tab_ch2_recommenders: tuned hyperparameters, 5-fold RMSE / nDCG@k and fit time per environment."""

from recdyn.io import read_json
from recdyn.logs import setup_logging
from recdyn.provenance import build_provenance, load_manifests
from recdyn.sim.tuning import selection_table
from recdyn.tables import save_table

setup_logging(snakemake.log[0])
table = selection_table([read_json(path) for path in snakemake.input.selections])
provenance = build_provenance(snakemake.config, load_manifests(snakemake.input.manifests), snakemake.input)
save_table(table, snakemake.output.csv, snakemake.output.md,
           "Chapter 2 recommenders: tuned hyperparameters and 5-fold offline metrics (sections 2.4-2.6)",
           provenance, snakemake.output.provenance)
