"""Rule fig_2_7: plot the mean topic affinities (topics-dynamic vs topics-static)."""

import pandas as pd

from recdyn.logs import setup_logging
from recdyn.plots.ch2 import plot_fig_2_7
from recdyn.plots.common import save_figure
from recdyn.provenance import build_provenance

setup_logging(snakemake.log[0])
figure = plot_fig_2_7(pd.read_parquet(snakemake.input.dynamic), pd.read_parquet(snakemake.input.static))
provenance = build_provenance(snakemake.config, {}, snakemake.input)
save_figure(figure, snakemake.output.pdf, snakemake.output.png, provenance, snakemake.output.provenance,
            dpi=snakemake.config["figures"]["dpi"])
