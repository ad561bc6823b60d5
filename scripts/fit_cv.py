"""Rule fit_cv: cross-validated RMSE of one chunk of libFM grid points on ML-100K."""

from recdyn.fit.environment import cv_points, load_ratings
from recdyn.io import atomic_path
from recdyn.logs import setup_logging

setup_logging(snakemake.log[0])
fit = snakemake.config["fit"]["ml100k"]
table = cv_points(load_ratings(snakemake.input), snakemake.wildcards.method, snakemake.params.points,
                  fit["latent_dim"], snakemake.params.folds, snakemake.params.seed)
with atomic_path(snakemake.output[0]) as tmp:
    table.to_parquet(tmp, index=False)
