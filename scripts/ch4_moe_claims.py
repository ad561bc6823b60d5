"""Rule claims_ch4_moe: section 4.4's MoE claims and section 4.8's MoE sweep (recdyn.claims.ch4.moe_claims)."""

import pandas as pd

from recdyn.claims import data_label, write_claims
from recdyn.claims.ch4 import moe_claims
from recdyn.logs import setup_logging
from recdyn.provenance import load_manifests

setup_logging(snakemake.log[0])
runs = pd.read_parquet(snakemake.input.runs)
data = data_label(load_manifests(snakemake.input.manifests), ["amazoncat"])
write_claims(moe_claims(runs, data, snakemake.params.preset, majority=float(snakemake.params.majority)),
             snakemake.output[0])
