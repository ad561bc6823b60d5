"""Rule ch2_sampling_summary: per recommender, the 5-fold metrics on every scheme and the held-out
control (section 2.5), as one results table and the chapter's sampling table."""

import pandas as pd

from recdyn.io import atomic_path, read_json
from recdyn.logs import setup_logging
from recdyn.provenance import build_provenance
from recdyn.sim.sampling_study import scheme_summary
from recdyn.tables import save_table

setup_logging(snakemake.log[0])
cv = pd.concat([pd.read_parquet(path) for path in snakemake.input.cv], ignore_index=True)
# UNIFORM-INIT: the tuning's 5-fold means at the selected point (the same computation, not redone)
uniform = pd.DataFrame([{"recommender": s["recommender"], "scheme": "uniform", "rmse": s["rmse"], "ndcg": s["ndcg"]}
                        for s in map(read_json, snakemake.input.selections)])
cv = pd.concat([cv, uniform], ignore_index=True)
control = pd.concat([pd.read_parquet(path) for path in snakemake.input.control], ignore_index=True)
summary = scheme_summary(cv, control)
with atomic_path(snakemake.output.summary) as tmp:
    summary.to_parquet(tmp, index=False)
provenance = build_provenance(snakemake.config, {}, snakemake.input)
save_table(summary, snakemake.output.csv, snakemake.output.md,
           "Section 2.5: 5-fold nDCG@k and RMSE per sampling scheme (topics-static, hyperparameters tuned on "
           "UNIFORM-INIT) and the control: trained on each whole dataset, evaluated on held-out uniform pairs",
           provenance, snakemake.output.provenance)
