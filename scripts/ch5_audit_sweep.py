"""Rule ch5_audit_sweep: local equilibria of every (n, tau) exposure game of one fitted model and
recommender seed, their Riemannian test and audit measures (thesis sections 5.3 and 5.7)."""

import numpy as np
import pandas as pd

from recdyn.devices import resolve_device
from recdyn.exposure.sweep import SweepSpec, demand, run_sweep
from recdyn.io import atomic_path, write_npz
from recdyn.logs import limit_threads, setup_logging

setup_logging(snakemake.log[0])
limit_threads(snakemake.threads)
wc, cfg = snakemake.wildcards, snakemake.params.cfg
seed, d = int(wc.seed), int(wc.d)
fitted = np.load(snakemake.input.model)
users, items = fitted[f"users_{seed}"], fitted[f"items_{seed}"]
keep = demand(users, cfg["demand_users"][wc.dataset], seed=cfg["sweep"]["init_seed"] + seed)
users = users[keep]
extra = {}
if wc.dataset == "ml100k":
    table = pd.read_parquet(snakemake.input.users).set_index("user_id")
    gender = table["gender"].reindex(fitted["user_ids"][keep])
    if gender.isna().any() or not gender.isin(["M", "F"]).all():
        raise ValueError(f"{snakemake.input.users}: every rated user needs gender M or F")
    extra["user_is_male"] = (gender == "M").to_numpy()
else:
    table = pd.read_parquet(snakemake.input.artists).set_index("artist_id")
    gender = table["gender"].reindex(fitted["item_ids"]).fillna("undefined")
    extra["item_is_male"] = (gender == "male").to_numpy()
    extra["item_gendered"] = gender.isin(["male", "female"]).to_numpy()
spec = SweepSpec(**cfg["sweep"])
runs, strategies = run_sweep(
    users, items, spec, nonnegative=wc.model == "nmf", seed=seed,
    labels={"dataset": wc.dataset, "model": wc.model, "d": d, "seed": seed},
    games=spec.chunks()[int(wc.chunk)], device=resolve_device(snakemake.config["device"]), **extra,
)
with atomic_path(snakemake.output.runs) as tmp:
    runs.to_parquet(tmp, index=False)
write_npz(snakemake.output.strategies, strategies, compress=True)
