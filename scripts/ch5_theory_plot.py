"""Rules fig_5_2 and fig_5_6: draw a chapter 5 theory figure from its results files (no recomputation)."""

from pathlib import Path

from recdyn.io import read_json
from recdyn.logs import setup_logging
from recdyn.plots.ch5_theory import plot_fig_5_2, plot_fig_5_6
from recdyn.plots.common import save_figure
from recdyn.provenance import build_provenance

setup_logging(snakemake.log[0])
results = {Path(path).stem.removeprefix("fig_5_2_"): read_json(path) for path in snakemake.input}
if snakemake.params.figure == "5_2":
    figure = plot_fig_5_2(results)
else:
    figure = plot_fig_5_6(results["fig_5_6"])
provenance = build_provenance(snakemake.config, {}, snakemake.input)
save_figure(figure, snakemake.output.pdf, snakemake.output.png, provenance, snakemake.output.provenance,
            dpi=snakemake.config["figures"]["dpi"])
