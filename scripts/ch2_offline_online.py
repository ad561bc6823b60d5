"""Rule ch2_offline_online: tuned offline metrics joined with the online mean ratings, and the
per-environment Spearman correlations (section 2.6, Figures 2.1, 2.6, 2.8)."""

import pandas as pd

from recdyn.io import atomic_path, read_json
from recdyn.logs import setup_logging
from recdyn.sim.analysis import offline_online, offline_table, online_summary, spearman_by_env

setup_logging(snakemake.log[0])
offline = offline_table([read_json(path) for path in snakemake.input.selections])
online = pd.concat([pd.read_parquet(path) for path in snakemake.input.online], ignore_index=True)
merged = offline_online(offline, online_summary(online))
for table, path in ((merged, snakemake.output.merged), (spearman_by_env(merged), snakemake.output.spearman)):
    with atomic_path(path) as tmp:
        table.to_parquet(tmp, index=False)
