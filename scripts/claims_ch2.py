"""Rule claims_ch2: chapter 2 claims (section 2.5's sampling study, section 2.6's offline-versus-online
study with Figures 2.1 and 2.5-2.8, and its side checks), one row per spec of recdyn.claims.ch2."""

import pandas as pd

from recdyn.claims import NO_DATA, data_label, write_claims
from recdyn.claims.ch2 import (DYNAMIC, STATIC, affinity_claims, correlation_claims, dynamics_claims,
                               in_spec_order, online_claims, sampling_claims, side_check_claims, trial_table)
from recdyn.logs import setup_logging
from recdyn.provenance import load_manifests

setup_logging(snakemake.log[0])
params, inputs = snakemake.params, snakemake.input
preset = snakemake.config["preset"]
merged, spearman = pd.read_parquet(inputs.merged), pd.read_parquet(inputs.spearman)
online = {DYNAMIC: pd.read_parquet(inputs.online_dynamic), STATIC: pd.read_parquet(inputs.online_static)}
autorec_trials = trial_table(pd.read_parquet(inputs.online_autorec))
manifests = load_manifests(inputs.manifests)
fig_2_8_data = f"{NO_DATA}, {data_label(manifests, ['ml100k'])}" if "ml100k" in manifests else NO_DATA
claims = [
    *sampling_claims(pd.read_parquet(inputs.sampling), params.thresholds["rank_corr_min"], preset=preset, k=params.k),
    *correlation_claims(merged, spearman, data_fig_2_8=fig_2_8_data),
    *online_claims(merged, online, toppop_static_max=params.thresholds["toppop_static_max"],
                   toppop_dynamic_min=params.thresholds["toppop_dynamic_min"], preset=preset),
    *dynamics_claims(online[DYNAMIC], merged, preset=preset, recommenders=params.fig_2_5),
    *affinity_claims(pd.read_parquet(inputs.dynamic), pd.read_parquet(inputs.static),
                     threshold=params.threshold, min_topics=params.min_topics),
    *side_check_claims(pd.read_parquet(inputs.autorec),
                       autorec_trials["autorec"].dropna() if "autorec" in autorec_trials else [],
                       pd.read_parquet(inputs.llorma), merged, preset=preset),
]
write_claims(in_spec_order(claims), snakemake.output[0])
