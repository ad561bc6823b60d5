"""Rule fit_environment: select the CV grid point whose extracted parameters predict best and refit it
on all of ML-100K."""

import logging

import pandas as pd

from recdyn.fit.environment import fit_selected, load_ratings, rmse, select_point
from recdyn.io import write_json
from recdyn.logs import setup_logging
from recdyn.timing import drop_timings, write_parquet

setup_logging(snakemake.log[0])
cv_table = drop_timings(pd.concat([pd.read_parquet(path) for path in snakemake.input.cv], ignore_index=True))
selection = select_point(cv_table, snakemake.params.method)
data = load_ratings(snakemake.input.data)
model = fit_selected(data, selection, snakemake.params.seed)
selection["train_rmse"] = rmse(model.predict(data.users, data.items), data.ratings)
logging.getLogger("fit_environment").info("selected %s", selection)
model.save(snakemake.output.params)
write_json(snakemake.output.selection, selection)
write_parquet(cv_table, snakemake.output.cv_table)
