"""Rule fig_data_overview: plot a dataset summary; mark it if the data was a stand-in."""

from recdyn.io import read_json
from recdyn.logs import setup_logging
from recdyn.plots.common import save_figure
from recdyn.plots.data_overview import plot_data_overview
from recdyn.provenance import build_provenance, load_manifests

setup_logging(snakemake.log[0])
provenance = build_provenance(snakemake.config, load_manifests([snakemake.input.manifest]), snakemake.input)
figure = plot_data_overview(read_json(snakemake.input.summary))
save_figure(figure, snakemake.output.pdf, snakemake.output.png, provenance, snakemake.output.provenance,
            dpi=snakemake.config["figures"]["dpi"])
