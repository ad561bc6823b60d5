"""Rule tab_ch2_recommenders: tuned hyperparameters and 5-fold RMSE / nDCG@k per environment, and the
selected points' fit and prediction times in a separate timing table."""

from recdyn.io import read_json
from recdyn.logs import setup_logging
from recdyn.provenance import build_provenance, load_manifests
from recdyn.sim.reference import SOURCE, add_authors_columns, comparable_envs
from recdyn.sim.tuning import selection_table, timing_table
from recdyn.tables import save_table

setup_logging(snakemake.log[0])
selections = [read_json(path) for path in snakemake.input.selections]
comparable = comparable_envs({env: spec.get("params", {}) for env, spec in snakemake.config["ch2"]["envs"].items()})
table = add_authors_columns(selection_table(selections), comparable, k=int(selections[0]["k"]))
manifests = load_manifests(snakemake.input.manifests)
provenance = build_provenance(snakemake.config, manifests, [*snakemake.input.selections, *snakemake.input.manifests])
save_table(table, snakemake.output.csv, snakemake.output.md,
           "Chapter 2 recommenders: tuned hyperparameters and 5-fold offline metrics (sections 2.4-2.6)",
           provenance, snakemake.output.provenance,
           notes=[f"`authors_*`: the thesis authors' own 5-fold run with their hyperparameters ({SOURCE}); "
                  "blank where they reported none or the environment is configured differently from theirs. "
                  "See recdyn.sim.reference.",
                  "Fit and prediction times of the selected points: `table_recommenders.timing.md`."])
timing_provenance = build_provenance(snakemake.config, manifests, [*snakemake.input.timings, *snakemake.input.manifests])
save_table(timing_table([read_json(path) for path in snakemake.input.timings]), snakemake.output.timing_csv,
           snakemake.output.timing_md,
           "Chapter 2 recommenders: mean seconds per fold to fit and to predict the held-out fold at the "
           "selected hyperparameters (sections 2.4-2.6)",
           timing_provenance, snakemake.output.timing_provenance,
           notes=["Bayes MF's Gibbs chain runs in its fit; its predictions average the samples. Seconds "
                  "measured on the machine that ran the `ch2_tune` jobs; they differ between runs (timing "
                  "files are the only outputs that do)."])
