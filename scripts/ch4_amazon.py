"""Rule ch4ts_amazon: every system on the AmazonCat bandit for one (arms, s) (Table 4.4)."""

import pandas as pd

from recdyn.io import atomic_path
from recdyn.logs import limit_threads, setup_logging
from recdyn.twostage.amazon import load_amazon
from recdyn.twostage.experiment import amazon_job, hyper_from_table

setup_logging(snakemake.log[0])
limit_threads(snakemake.threads)
cfg = snakemake.params.cfg
part = cfg["amazon"]
data = load_amazon(snakemake.params.folder, part["n_features"], tuple(part["category_ranks"]))
table = amazon_job(part, data, arms=int(snakemake.wildcards.arms), s=int(snakemake.wildcards.s),
                   hyper=hyper_from_table(pd.read_csv(snakemake.input.hyper)), base_seed=cfg["seed"],
                   seeds=cfg["seeds"], training=cfg["training"], n_checkpoints=cfg["checkpoints"])
with atomic_path(snakemake.output[0]) as tmp:
    table.to_parquet(tmp, index=False)
