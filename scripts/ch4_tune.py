"""Rule ch4ts_tune: single-stage hyperparameter sweep of one learner kind (Tables 4.1/4.3, section 4.8)."""

import pandas as pd

from recdyn.io import atomic_path
from recdyn.logs import limit_threads, setup_logging
from recdyn.twostage.amazon import load_amazon
from recdyn.twostage.experiment import run_tuning
from recdyn.twostage.problems import AmazonProblem, SyntheticProblem

setup_logging(snakemake.log[0])
limit_threads(snakemake.threads)
cfg = snakemake.params.cfg
dataset, kind = snakemake.wildcards.dataset, snakemake.wildcards.kind
part = cfg[dataset]
tune = part["tune"]
if dataset == "synthetic":
    make = lambda: SyntheticProblem(tune["arms"], tune["d"], tune["noise_std"])  # noqa: E731
    s = tune["d"]  # "no misspecification (d = s)"
else:
    data = load_amazon(snakemake.params.folder, part["n_features"], tuple(part["category_ranks"]))
    make = lambda: AmazonProblem(data, tune["arms"], part["target"])  # noqa: E731
    s = tune["s"]
table = run_tuning(make, kind, part["grid"][kind], s=s, n_rounds=tune["rounds"], seeds=cfg["seeds"],
                   base_seed=cfg["seed"], key=dataset)
table.insert(0, "dataset", dataset)
with atomic_path(snakemake.output[0]) as tmp:
    table.to_parquet(tmp, index=False)
