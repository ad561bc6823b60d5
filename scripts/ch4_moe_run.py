"""Rule ch4_moe_run: train and evaluate the MoE and random-pool models of Figure 4.5 for one
training-set size c, number of experts N and seed, over all (s, d_e) (thesis sections 4.4, 4.8)."""

import logging

import numpy as np
import pandas as pd

from recdyn.io import atomic_path
from recdyn.logs import limit_threads, setup_logging
from recdyn.moe.data import offline_dataset, split_users
from recdyn.moe.train import MODELS, TrainSettings, derive_seed, fit_configurations
from recdyn.twostage.amazon import load_amazon

setup_logging(snakemake.log[0])
limit_threads(snakemake.threads)
cfg = snakemake.params.cfg
c, n_experts, run = int(snakemake.wildcards.c), int(snakemake.wildcards.n), int(snakemake.wildcards.seed)
seed = int(cfg["seed"]) + run
folder = snakemake.input.manifest.rsplit("/", 1)[0]
amazon = load_amazon(folder, int(cfg["n_features"]), tuple(cfg["category_ranks"]))
train_pool, test_users = split_users(amazon.n_items, int(cfg["test_size"]), int(cfg["split_seed"]))
data = offline_dataset(amazon.features, amazon.labels, per_arm=c, test_users=test_users, train_pool=train_pool,
                       seed=derive_seed(seed, 0, c))
logging.getLogger(__name__).info("c=%d N=%d seed=%d: %d training examples (%.2f%% positive), %d test users",
                                 c, n_experts, seed, data.train_users.size, 100 * data.train_rewards.mean(),
                                 data.test_users.size)
settings = {kind: TrainSettings.from_config(cfg["models"][kind], cfg["steps"], cfg["batch_size"]) for kind in MODELS}
rows = fit_configurations(data, seed=seed, feature_dims=cfg["feature_dims"], embedding_dims=cfg["embedding_dims"],
                          n_experts=n_experts, settings=settings, device=snakemake.config["device"],
                          eval_batch=int(cfg["eval_batch"]), top_k=int(cfg["top_k"]))
table = pd.DataFrame(rows).assign(c=c, seed=seed, run=run, n_train=data.train_users.size,
                                  n_test=data.test_users.size, train_positive_rate=float(np.mean(data.train_rewards)))
with atomic_path(snakemake.output[0]) as tmp:
    table.to_parquet(tmp, index=False)
