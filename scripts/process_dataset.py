"""Rules process_<dataset>: validate the files and write tidy tables plus a manifest."""

from pathlib import Path

from recdyn.data.process import process_dataset
from recdyn.logs import setup_logging

setup_logging(snakemake.log[0])
process_dataset(
    Path(snakemake.input[0]),
    Path(snakemake.output[-1]).parent,
    subsample=snakemake.params.get("subsample"),
)
