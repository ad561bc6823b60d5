"""Rule fit_cv: cross-validated RMSE of one chunk of libFM grid points on ML-100K (as libFM predicts
and of the extracted parameters); the fit times go to the rule's .timing. file."""

from recdyn.fit.environment import HYPERPARAMETERS, cv_points, load_ratings
from recdyn.logs import setup_logging
from recdyn.timing import write_with_timings

setup_logging(snakemake.log[0])
fit = snakemake.config["fit"]["ml100k"]
table = cv_points(load_ratings(snakemake.input), snakemake.wildcards.method, snakemake.params.points,
                  fit["latent_dim"], snakemake.params.folds, snakemake.params.seed)
write_with_timings(table, snakemake.output.cv, snakemake.output.timing,
                   keys=["method", *HYPERPARAMETERS, "latent_dim", "folds"])
