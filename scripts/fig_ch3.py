"""Rules fig_3_2 .. fig_3_4: one chapter-3 quantity over time, per environment and learner."""

from pathlib import Path

import pandas as pd

from recdyn.logs import setup_logging
from recdyn.plots.ch3 import plot_over_time, with_relative_jaccard
from recdyn.plots.common import save_figure
from recdyn.provenance import build_provenance, load_manifests

setup_logging(snakemake.log[0])
runs = {Path(path).stem: with_relative_jaccard(pd.read_parquet(path)) for path in snakemake.input.runs}
figure = plot_over_time(runs, snakemake.params.value, snakemake.params.ylabel, logit=snakemake.params.logit)
provenance = build_provenance(snakemake.config, load_manifests(snakemake.input.manifests), snakemake.input)
save_figure(figure, snakemake.output.pdf, snakemake.output.png, provenance, snakemake.output.provenance,
            dpi=snakemake.config["figures"]["dpi"])
