"""Rule acquire_dataset: real (staged/downloaded) or synthetic files of one dataset."""

from pathlib import Path

from recdyn.data.acquire import acquire_dataset
from recdyn.logs import setup_logging

setup_logging(snakemake.log[0])
acquire_dataset(
    snakemake.wildcards.dataset,
    snakemake.params.spec_key,
    snakemake.params.data,
    Path(snakemake.params.raw_dir),
    Path(snakemake.output[0]),
    allow_download=snakemake.params.allow_download,
    timeout=snakemake.params.timeout,
)
