"""Rule tab_ch2_recommenders: tuned hyperparameters, 5-fold RMSE / nDCG@k and fit time per environment."""

from recdyn.io import read_json
from recdyn.logs import setup_logging
from recdyn.provenance import build_provenance, load_manifests
from recdyn.sim.reference import SOURCE, add_authors_columns, comparable_envs
from recdyn.sim.tuning import selection_table
from recdyn.tables import save_table

setup_logging(snakemake.log[0])
selections = [read_json(path) for path in snakemake.input.selections]
comparable = comparable_envs({env: spec.get("params", {}) for env, spec in snakemake.config["ch2"]["envs"].items()})
table = add_authors_columns(selection_table(selections), comparable, k=int(selections[0]["k"]))
provenance = build_provenance(snakemake.config, load_manifests(snakemake.input.manifests), snakemake.input)
save_table(table, snakemake.output.csv, snakemake.output.md,
           "Chapter 2 recommenders: tuned hyperparameters and 5-fold offline metrics (sections 2.4-2.6)",
           provenance, snakemake.output.provenance,
           notes=[f"`authors_*`: the thesis authors' own 5-fold run with their hyperparameters ({SOURCE}); "
                  "blank where they reported none or the environment is configured differently from theirs. "
                  "See recdyn.sim.reference."])
