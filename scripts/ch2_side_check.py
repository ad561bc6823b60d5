"""Rules ch2_check_autorec and ch2_check_llorma: the side checks of section 2.6."""

import pandas as pd

from recdyn.io import read_json
from recdyn.devices import set_default_device
from recdyn.logs import limit_threads, setup_logging
from recdyn.sim.experiment import build_env
from recdyn.sim.side_checks import more_data_check, single_step_after_uniform
from recdyn.sim.tuning import offline_ratings
from recdyn.timing import write_with_timings

setup_logging(snakemake.log[0])
set_default_device(snakemake.config["device"])  # AutoRec and CF-NADE
limit_threads(snakemake.threads)
params = read_json(snakemake.input.selection)["params"]
check = snakemake.params.check
if check["kind"] == "single_step":
    table = single_step_after_uniform(check["env"], snakemake.params.env_params, check["recommender"], params,
                                      initial_ratings=check["initial_ratings"], seeds=snakemake.params.seeds,
                                      model_path=snakemake.input.get("model"))
else:
    env = build_env(check["env"], snakemake.params.env_params, snakemake.input.get("model"))
    data = offline_ratings(pd.read_parquet(snakemake.input.offline), env)
    table = more_data_check(check["env"], snakemake.params.env_params, check["recommender"], params, data,
                            seed=snakemake.params.seeds[0], folds=snakemake.params.folds, k=snakemake.params.k,
                            heldout_size=check["heldout_size"], model_path=snakemake.input.get("model"))
write_with_timings(table, snakemake.output.check, snakemake.output.get("timing"),
                   keys=["env", "recommender", "train", "seed"])
