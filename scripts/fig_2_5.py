"""Rule fig_2_5: mean rating and RMSE of the recommended items per step (topics-dynamic)."""

import pandas as pd

from recdyn.logs import setup_logging
from recdyn.plots.ch2 import plot_over_steps, retrain_note
from recdyn.plots.common import save_figure
from recdyn.provenance import build_provenance
from recdyn.sim.analysis import step_bands

setup_logging(snakemake.log[0])
config = snakemake.config["ch2"]
online = pd.read_parquet(snakemake.input.online)
online = online[online["recommender"].isin(snakemake.params.recommenders)]
bands = {value: step_bands(online, value) for value in ("mean_rating", "rmse_observed")}
figure = plot_over_steps(bands, snakemake.params.env, retrain_note(config["retrain_every"]))
provenance = build_provenance(snakemake.config, {}, snakemake.input)
save_figure(figure, snakemake.output.pdf, snakemake.output.png, provenance, snakemake.output.provenance,
            dpi=snakemake.config["figures"]["dpi"])
