"""Rule claims_ch3: chapter 3 claims (CAFL vs Feedback/Uniform, homogenization, Table 3.1 order)."""

from pathlib import Path

import pandas as pd

from recdyn.checks.ch3 import cafl_claims, table_3_1_claim
from recdyn.claims import data_label, write_claims
from recdyn.logs import setup_logging
from recdyn.provenance import load_manifests

setup_logging(snakemake.log[0])
manifests = load_manifests(snakemake.input.manifests)
runs = {Path(path).stem: pd.read_parquet(path) for path in snakemake.input.runs}
data = {env: (data_label(manifests, ["ml100k"]) if env == "ml-100k" else "simulated (no dataset)") for env in runs}
summary = pd.read_csv(snakemake.input.table).set_index("method")
write_claims([*cafl_claims(runs, data), table_3_1_claim(summary)], snakemake.output[0])
