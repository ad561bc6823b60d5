"""Rule claims_ch2: chapter 2 claims (Figure 2.7, section 2.5's sampling study, section 2.6's
offline-versus-online study and its side checks)."""

import pandas as pd

from recdyn.checks.ch2 import affinity_claims, online_claims, sampling_claims, side_check_claims
from recdyn.claims import write_claims
from recdyn.logs import setup_logging

setup_logging(snakemake.log[0])
params = snakemake.params
merged = pd.read_parquet(snakemake.input.merged)
autorec_env = params.autorec_env
autorec_online = merged.loc[(merged["env"] == autorec_env) & (merged["recommender"] == "autorec"), "mean_rating"]
claims = [
    *affinity_claims(pd.read_parquet(snakemake.input.dynamic), pd.read_parquet(snakemake.input.static),
                     threshold=params.threshold, min_topics=params.min_topics),
    *sampling_claims(pd.read_parquet(snakemake.input.sampling), params.thresholds["rank_corr_min"]),
    *online_claims(merged, pd.read_parquet(snakemake.input.spearman),
                   toppop_static_max=params.thresholds["toppop_static_max"],
                   toppop_dynamic_min=params.thresholds["toppop_dynamic_min"]),
    *side_check_claims(pd.read_parquet(snakemake.input.autorec),
                       float(autorec_online.iloc[0]) if len(autorec_online) else float("nan"),
                       pd.read_parquet(snakemake.input.llorma)),
]
write_claims(claims, snakemake.output[0])
