"""Rule acquire_dataset: real (staged/downloaded) or synthetic files of one dataset."""

from pathlib import Path

from recdyn.data.acquire import acquire_dataset
from recdyn.data.registry import get_spec
from recdyn.data.staging import update_state_file
from recdyn.logs import setup_logging

setup_logging(snakemake.log[0])
dataset, spec_key, raw_dir = snakemake.wildcards.dataset, snakemake.params.spec_key, Path(snakemake.params.raw_dir)
acquire_dataset(
    dataset,
    spec_key,
    snakemake.params.data,
    raw_dir,
    Path(snakemake.output[0]),
    allow_download=snakemake.params.allow_download,
    timeout=snakemake.params.timeout,
    after_acquire=lambda: update_state_file(dataset, get_spec(spec_key), raw_dir,
                                            Path(snakemake.input.staged).parent),
)
