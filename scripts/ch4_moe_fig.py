"""Rule fig_4_5: Figure 4.5 (MoE versus random pools, precision@5 and recall@5 against s)."""

import pandas as pd

from recdyn.logs import setup_logging
from recdyn.plots.ch4_moe import plot_fig_4_5
from recdyn.plots.common import save_figure
from recdyn.provenance import build_provenance, load_manifests

setup_logging(snakemake.log[0])
summary = pd.read_csv(snakemake.input.summary)
figure = plot_fig_4_5(summary, snakemake.params.n_experts)
provenance = build_provenance(snakemake.config, load_manifests(snakemake.input.manifests), snakemake.input)
save_figure(figure, snakemake.output.pdf, snakemake.output.png, provenance, snakemake.output.provenance,
            dpi=snakemake.config["figures"]["dpi"])
