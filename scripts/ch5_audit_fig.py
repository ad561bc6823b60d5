"""Rules fig_5_3, 5_4, 5_5, 5_7, 5_8, 5_9, 5_10, 5_11: chapter 5 audit figures from the sweep's runs table."""

import pandas as pd

from recdyn.logs import setup_logging
from recdyn.plots.ch5_audit import plot_clustering, plot_creator_gender, plot_user_gender
from recdyn.plots.common import save_figure
from recdyn.provenance import build_provenance, load_manifests

setup_logging(snakemake.log[0])
p = snakemake.params
runs = pd.read_parquet(snakemake.input.runs)
if p.kind == "clustering":
    figure = plot_clustering(runs, p.admit, p.models)
elif p.kind == "user_gender":
    figure = plot_user_gender(runs, p.admit, p.models, p.baseline)
elif p.kind == "creator_gender":
    figure = plot_creator_gender(runs, p.admit, p.models)
else:
    raise ValueError(f"unknown chapter 5 audit figure kind {p.kind!r}")
provenance = build_provenance(snakemake.config, load_manifests(snakemake.input.manifests), snakemake.input)
save_figure(figure, snakemake.output.pdf, snakemake.output.png, provenance, snakemake.output.provenance,
            dpi=snakemake.config["figures"]["dpi"])
