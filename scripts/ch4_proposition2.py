"""Rule ch4ts_proposition2: Proposition 2's supervised and bandit constructions, checked numerically."""

from recdyn.io import atomic_path
from recdyn.logs import limit_threads, setup_logging
from recdyn.twostage.proposition2 import bandit_check, supervised_check

setup_logging(snakemake.log[0])
limit_threads(snakemake.threads)
cfg = snakemake.params.cfg
prop = cfg["proposition2"]
with atomic_path(snakemake.output.supervised) as tmp:
    supervised_check().to_csv(tmp, index=False)
bandit = bandit_check(n_rounds=prop["rounds"], batch=prop["seeds"], seed=cfg["seed"], warm_rounds=prop["warm_rounds"],
                      noise=prop["noise"], lam=prop["lam"], alpha=prop["alpha"])
with atomic_path(snakemake.output.bandit) as tmp:
    bandit.to_csv(tmp, index=False)
