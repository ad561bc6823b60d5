"""Rule claims_ch4_moe: section 4.4's claim that MoE beats random pools for most configurations."""

import pandas as pd

from recdyn.claims import data_label, write_claims
from recdyn.logs import setup_logging
from recdyn.moe.claims import moe_claims
from recdyn.provenance import load_manifests

setup_logging(snakemake.log[0])
summary = pd.read_csv(snakemake.input.summary)
data = data_label(load_manifests(snakemake.input.manifests), ["amazoncat"])
write_claims(moe_claims(summary, data, majority=float(snakemake.params.majority)), snakemake.output[0])
