"""Rules fig_2_1 and fig_2_6: offline nDCG@k / RMSE against online mean rating in one environment."""

import pandas as pd

from recdyn.logs import setup_logging
from recdyn.plots.ch2 import plot_offline_vs_online, retrain_note
from recdyn.plots.common import save_figure
from recdyn.provenance import build_provenance

setup_logging(snakemake.log[0])
config = snakemake.config["ch2"]
figure = plot_offline_vs_online(pd.read_parquet(snakemake.input.merged), snakemake.params.env,
                                config["tuning"]["k"], retrain_note(config["retrain_every"]))
provenance = build_provenance(snakemake.config, {}, snakemake.input)
save_figure(figure, snakemake.output.pdf, snakemake.output.png, provenance, snakemake.output.provenance,
            dpi=snakemake.config["figures"]["dpi"])
