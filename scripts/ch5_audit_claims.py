"""Rule claims_ch5_audit: section 5.3 / 5.7 claims on the exposure-game sweep (recdyn.claims.ch5)."""

import pandas as pd

from recdyn.claims import data_label, write_claims
from recdyn.claims.ch5 import audit_claims
from recdyn.logs import setup_logging
from recdyn.provenance import load_manifests

setup_logging(snakemake.log[0])
manifests = load_manifests(snakemake.input.manifests)
runs = pd.read_parquet(snakemake.input.runs)
claims = audit_claims(runs, snakemake.params.cfg, lambda names: data_label(manifests, names), snakemake.params.preset)
write_claims(claims, snakemake.output[0])
