"""Rule ch4ts_select: the selected hyperparameters per learner kind (lowest mean regret, section 4.8)."""

import pandas as pd

from recdyn.io import atomic_path
from recdyn.logs import setup_logging
from recdyn.twostage.experiment import select_hyper

setup_logging(snakemake.log[0])
tuning = pd.concat([pd.read_parquet(path) for path in snakemake.input], ignore_index=True)
selected = select_hyper(tuning)
with atomic_path(snakemake.output[0]) as tmp:
    selected.to_csv(tmp, index=False)
