"""Rule ch4ts_synthetic: every system on the synthetic bandit for one (arms, d) (Table 4.2)."""

import pandas as pd

from recdyn.io import atomic_path
from recdyn.logs import limit_threads, setup_logging
from recdyn.twostage.experiment import hyper_from_table, synthetic_job

setup_logging(snakemake.log[0])
limit_threads(snakemake.threads)
cfg = snakemake.params.cfg
table = synthetic_job(cfg["synthetic"], arms=int(snakemake.wildcards.arms), d=int(snakemake.wildcards.dim),
                      hyper=hyper_from_table(pd.read_csv(snakemake.input.hyper)), base_seed=cfg["seed"],
                      seeds=cfg["seeds"], training=cfg["training"], n_checkpoints=cfg["checkpoints"])
with atomic_path(snakemake.output[0]) as tmp:
    table.to_parquet(tmp, index=False)
