"""Rule summarize_dataset: the numbers behind a data overview figure."""

from pathlib import Path

from recdyn.data.process import summarize_processed
from recdyn.io import write_json
from recdyn.logs import setup_logging

setup_logging(snakemake.log[0])
folder = Path(snakemake.input[0]).parent
write_json(snakemake.output[0], summarize_processed(snakemake.wildcards.dataset, folder))
