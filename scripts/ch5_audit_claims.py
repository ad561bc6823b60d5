"""Rule claims_ch5_audit: section 5.3 claims on the exposure-game sweep."""

import pandas as pd

from recdyn.claims import data_label, write_claims
from recdyn.exposure.claims import audit_claims
from recdyn.logs import setup_logging
from recdyn.provenance import load_manifests

setup_logging(snakemake.log[0])
manifests = load_manifests(snakemake.input.manifests)
runs = pd.read_parquet(snakemake.input.runs)
claims = audit_claims(runs, snakemake.params.cfg["claims"]["collapse_tol"], lambda names: data_label(manifests, names))
write_claims(claims, snakemake.output[0])
