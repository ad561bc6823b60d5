"""Rule tab_ml100k_fit: the table of cross-validated RMSE of the ml-100k environment fit, and the fit
times in a separate timing table."""

import pandas as pd

from recdyn.fit.environment import fit_table, timing_table
from recdyn.io import read_json
from recdyn.logs import setup_logging
from recdyn.provenance import build_provenance, load_manifests
from recdyn.tables import save_table

setup_logging(snakemake.log[0])
selection = read_json(snakemake.input.selection)
table = fit_table(pd.read_parquet(snakemake.input.cv_table), pd.read_parquet(snakemake.input.baselines), selection)
manifests = load_manifests([snakemake.input.manifest])
inputs = [snakemake.input.cv_table, snakemake.input.baselines, snakemake.input.selection, snakemake.input.manifest]
provenance = build_provenance(snakemake.config, manifests, inputs)
save_table(table, snakemake.output.csv, snakemake.output.md,
           "ML-100K environment fit (thesis section 2.3): cross-validated RMSE", provenance,
           snakemake.output.provenance,
           notes=["`rmse_mean`/`rmse_std`: mean and standard deviation over folds of the RMSE of the "
                  "predictions libFM returns for the held-out ratings (MCMC: the posterior average over all "
                  "Gibbs samples; SGD: the final parameters). `env_rmse_mean`/`env_rmse_std`: the same for the "
                  "single parameter set an environment is built from, predictions clipped to [1, 5] (MCMC: the "
                  "last Gibbs sample; SGD and the baselines: the same numbers). The selected point has the "
                  "lowest `env_rmse_mean`: it is the environment's quality. Fit times: "
                  "`tab_ml100k_fit.timing.md`."])
timings = pd.concat([pd.read_parquet(path) for path in snakemake.input.timings], ignore_index=True)
timing_provenance = build_provenance(snakemake.config, manifests, [*snakemake.input.timings, snakemake.input.manifest])
save_table(timing_table(timings), snakemake.output.timing_csv, snakemake.output.timing_md,
           "ML-100K environment fit (thesis section 2.3): mean wall time of one fold's libFM fit",
           timing_provenance, snakemake.output.timing_provenance,
           notes=["Seconds measured on the machine that ran the `fit_cv` jobs; they differ between runs "
                  "(timing files are the only outputs that do)."])
