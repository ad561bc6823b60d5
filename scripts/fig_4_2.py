"""Rule fig_4_2: Figure 4.2 (right), the Amazon reward histogram, from ch4ts_amazon_rewards' table."""

import pandas as pd

from recdyn.logs import setup_logging
from recdyn.plots.ch4_twostage import plot_figure_4_2
from recdyn.plots.common import save_figure
from recdyn.provenance import build_provenance, load_manifests

setup_logging(snakemake.log[0])
figure = plot_figure_4_2(pd.read_csv(snakemake.input.histogram))
provenance = build_provenance(snakemake.config, load_manifests(snakemake.input.manifests), snakemake.input)
save_figure(figure, snakemake.output.pdf, snakemake.output.png, provenance, snakemake.output.provenance,
            dpi=snakemake.config["figures"]["dpi"])
