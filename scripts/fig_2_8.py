"""Rule fig_2_8: Spearman correlation of offline nDCG@k / RMSE with online mean rating, per environment."""

import pandas as pd

from recdyn.logs import setup_logging
from recdyn.plots.ch2 import plot_spearman
from recdyn.plots.common import save_figure
from recdyn.provenance import build_provenance, load_manifests

setup_logging(snakemake.log[0])
figure = plot_spearman(pd.read_parquet(snakemake.input.spearman), snakemake.config["ch2"]["tuning"]["k"])
provenance = build_provenance(snakemake.config, load_manifests(snakemake.input.manifests), snakemake.input)
save_figure(figure, snakemake.output.pdf, snakemake.output.png, provenance, snakemake.output.provenance,
            dpi=snakemake.config["figures"]["dpi"])
