"""Rule claims_data: the data-layer claims (dataset shapes, fitted environment beats baselines)."""

import pandas as pd

from recdyn.claims import write_claims
from recdyn.claims.data import data_claims
from recdyn.io import read_json
from recdyn.logs import setup_logging
from recdyn.provenance import load_manifests

setup_logging(snakemake.log[0])
summaries = {read_json(path)["dataset"]: read_json(path) for path in snakemake.input.summaries}
claims = data_claims(
    summaries=summaries,
    selection=read_json(snakemake.input.selection),
    baselines=pd.read_parquet(snakemake.input.baselines),
    manifests=load_manifests(snakemake.input.manifests),
    fit_margin=snakemake.params.margin,
    amazoncat_uncovered_max=snakemake.params.amazoncat_none_max,
)
write_claims(claims, snakemake.output[0])
