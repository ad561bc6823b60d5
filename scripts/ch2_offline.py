"""Rule ch2_offline: the offline dataset of one environment (trial-0 seed), as a tidy table."""

import pandas as pd

from recdyn.io import atomic_path
from recdyn.logs import setup_logging
from recdyn.sim.experiment import build_env

setup_logging(snakemake.log[0])
env = build_env(snakemake.wildcards.env, snakemake.params.env_params, snakemake.input.get("model"))
data = env.reset(snakemake.params.seed)
table = pd.DataFrame({"user": data.users, "item": data.items, "rating": data.ratings})
with atomic_path(snakemake.output[0]) as tmp:
    table.to_parquet(tmp, index=False)
