"""Rule claims_ch3: chapter 3 claims (CAFL vs Feedback and Uniform, homogenization, Table 3.1)."""

from pathlib import Path

import pandas as pd

from recdyn.claims import NO_DATA, data_label, write_claims
from recdyn.claims.ch3 import cafl_claims, table_3_1_claims
from recdyn.logs import setup_logging
from recdyn.provenance import load_manifests

setup_logging(snakemake.log[0])
manifests = load_manifests(snakemake.input.manifests)
runs = {Path(path).stem: pd.read_parquet(path) for path in snakemake.input.runs}
data = {env: (data_label(manifests, ["ml100k"]) if env == "ml-100k" else NO_DATA) for env in runs}
table = pd.concat([pd.read_parquet(path) for path in snakemake.input.table], ignore_index=True)
preset = snakemake.config["preset"]
write_claims([*cafl_claims(runs, data, preset), *table_3_1_claims(table, preset)], snakemake.output[0])
