"""Rule ch2_sampling_control: one recommender trained on each whole offline dataset of topics-static
and evaluated on one held-out, uniformly sampled set of pairs in none of them (section 2.5's control)."""

import pandas as pd

from recdyn.io import read_json
from recdyn.devices import set_default_device
from recdyn.logs import limit_threads, setup_logging
from recdyn.sim.experiment import build_env
from recdyn.sim.sampling_study import heldout_eval, heldout_set
from recdyn.sim.tuning import offline_ratings
from recdyn.timing import write_with_timings

setup_logging(snakemake.log[0])
set_default_device(snakemake.config["device"])  # AutoRec and CF-NADE
limit_threads(snakemake.threads)
env = build_env(snakemake.params.env, snakemake.params.env_params, snakemake.input.get("model"))
env.reset(snakemake.params.seed)
datasets = {scheme: offline_ratings(pd.read_parquet(path), env)
            for scheme, path in zip(snakemake.params.schemes, snakemake.input.offline)}
heldout = heldout_set(env, snakemake.params.heldout_size, list(datasets.values()), snakemake.params.seed)
recommender = snakemake.wildcards.recommender
table = heldout_eval(recommender, read_json(snakemake.input.selection)["params"], datasets, heldout, env=env,
                     seed=snakemake.params.seed, k=snakemake.params.k)
write_with_timings(table.assign(recommender=recommender), snakemake.output.control, snakemake.output.timing,
                   keys=["recommender", "train_scheme"])
