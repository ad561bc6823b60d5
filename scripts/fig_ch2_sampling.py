"""Rules fig_2_3 and fig_2_4: nDCG@k / RMSE on the biased schemes against UNIFORM-INIT, with linear fits."""

import pandas as pd

from recdyn.logs import setup_logging
from recdyn.plots.ch2 import plot_sampling
from recdyn.plots.common import save_figure
from recdyn.provenance import build_provenance
from recdyn.sim.analysis import linear_fit

setup_logging(snakemake.log[0])
summary = pd.read_parquet(snakemake.input.summary)
metric = snakemake.params.metric
fits = {scheme: linear_fit(summary[f"{metric}_uniform"], summary[f"{metric}_{scheme}"])
        for scheme in ("ml100k-init", "ml100k-init-flip")}
figure = plot_sampling(summary, metric, fits, snakemake.config["ch2"]["tuning"]["k"])
provenance = build_provenance(snakemake.config, {}, snakemake.input)
save_figure(figure, snakemake.output.pdf, snakemake.output.png, provenance, snakemake.output.provenance,
            dpi=snakemake.config["figures"]["dpi"])
