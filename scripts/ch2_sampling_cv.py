"""Rule ch2_sampling_cv: 5-fold offline metrics of one recommender (hyperparameters tuned on
UNIFORM-INIT) on one sampling scheme's offline dataset of topics-static (section 2.5)."""

import pandas as pd

from recdyn.io import read_json
from recdyn.devices import set_default_device
from recdyn.logs import limit_threads, setup_logging
from recdyn.sim.experiment import build_env
from recdyn.sim.sampling_study import scheme_cv
from recdyn.sim.tuning import offline_ratings
from recdyn.timing import write_with_timings

setup_logging(snakemake.log[0])
set_default_device(snakemake.config["device"])  # AutoRec and CF-NADE
limit_threads(snakemake.threads)
env = build_env(snakemake.params.env, snakemake.params.env_params, snakemake.input.get("model"))
env.reset(snakemake.params.seed)  # the state behind every scheme's dataset (the Oracle reads it)
data = offline_ratings(pd.read_parquet(snakemake.input.offline), env)
recommender = snakemake.wildcards.recommender
table = scheme_cv(recommender, read_json(snakemake.input.selection)["params"], {snakemake.wildcards.scheme: data},
                  env=env, folds=snakemake.params.folds, seed=snakemake.params.seed, k=snakemake.params.k)
write_with_timings(table.assign(recommender=recommender), snakemake.output.cv, snakemake.output.timing,
                   keys=["recommender", "scheme", "fold"])
