"""Rule fit_baselines: CV RMSE of the global-mean and bias-only baselines on the libFM folds."""

from recdyn.fit.environment import baselines_cv, load_ratings
from recdyn.io import atomic_path
from recdyn.logs import setup_logging

setup_logging(snakemake.log[0])
table = baselines_cv(load_ratings(snakemake.input), snakemake.params.folds, snakemake.params.seed)
with atomic_path(snakemake.output[0]) as tmp:
    table.to_parquet(tmp, index=False)
