"""Rule ch5_audit_fit: cross-validate then fit one rating model (PMF/NMF/MF, one d) for every
recommender seed (thesis sections 5.3 and 5.7)."""

import numpy as np
import pandas as pd

from recdyn.exposure.models import cross_validate, fit_model, rating_data
from recdyn.io import atomic_path, write_npz
from recdyn.logs import limit_threads, setup_logging

setup_logging(snakemake.log[0])
limit_threads(snakemake.threads)
wc, cfg = snakemake.wildcards, snakemake.params.cfg
columns = {"ml100k": ("user_id", "item_id"), "lastfm": ("user_id", "artist_id")}[wc.dataset]
data = rating_data(pd.read_parquet(snakemake.input.ratings), *columns)
fit = cfg["fit"]
train = {k: fit[k] for k in ("epochs", "batch_size", "init_std")} | {"precision": fit.get("precision", "float64")}
cv = cross_validate(data, wc.model, int(wc.d), fit["cv"]["grid"], folds=fit["cv"]["folds"],
                    holdout=fit["cv"]["holdout"], seed=fit["cv"]["seed"], **train)
best = cv.iloc[0]
arrays = {"user_ids": data.user_ids, "item_ids": data.item_ids, "seeds": np.asarray(cfg["seeds"])}
for seed in cfg["seeds"]:
    model = fit_model(data, wc.model, int(wc.d), reg=float(best["reg"]), lr=float(best["lr"]), seed=int(seed), **train)
    arrays[f"users_{seed}"], arrays[f"items_{seed}"] = model.users, model.items
with atomic_path(snakemake.output.cv) as tmp:
    cv.assign(dataset=wc.dataset, model=wc.model, d=int(wc.d)).to_csv(tmp, index=False)
write_npz(snakemake.output.model, arrays, compress=True)
