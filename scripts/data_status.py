"""Rule data_status: where each dataset's data will come from, and whether it verifies."""

from pathlib import Path

from recdyn.data.staging import CACHE_NAME
from recdyn.data.status import status_table
from recdyn.logs import setup_logging
from recdyn.provenance import build_provenance
from recdyn.tables import save_table

setup_logging(snakemake.log[0])
keys = snakemake.params.spec_keys
table = status_table({"data": snakemake.params.data}, Path(snakemake.params.raw_dir), list(keys), keys.get,
                     Path(snakemake.input.staged[0]).parent / CACHE_NAME)
save_table(table, snakemake.output.csv, snakemake.output.md, "Data sources and their verification",
           build_provenance(snakemake.config, {}, snakemake.input), snakemake.output.provenance)
