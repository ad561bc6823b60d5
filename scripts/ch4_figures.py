"""Rules fig_4_3, fig_4_4, fig_4_6, fig_4_7, fig_4_8: plots from the aggregated two-stage runs."""

import pandas as pd

from recdyn.logs import setup_logging
from recdyn.plots.ch4_twostage import plot_figure_4_3, plot_figure_4_4, plot_relative_by_nominators
from recdyn.plots.common import save_figure
from recdyn.provenance import build_provenance, load_manifests

setup_logging(snakemake.log[0])
cfg = snakemake.params.cfg
which = snakemake.params.figure
table = pd.read_parquet(snakemake.input.runs)
if which == "4.3":
    figure = plot_figure_4_3(table, **cfg["synthetic"]["figure"])
elif which == "4.4":
    figure = plot_figure_4_4(table, **cfg["amazon"]["figure"])
else:
    figure = plot_relative_by_nominators(table, int(snakemake.params.nominators))
manifests = load_manifests(snakemake.input.get("manifests", []))
provenance = build_provenance(snakemake.config, manifests, snakemake.input)
save_figure(figure, snakemake.output.pdf, snakemake.output.png, provenance, snakemake.output.provenance,
            dpi=snakemake.config["figures"]["dpi"])
