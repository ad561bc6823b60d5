"""Rule claims_ch4_twostage: chapter 4 two-stage claims (section 4.3, Proposition 2, Figure 4.2)."""

import pandas as pd

from recdyn.claims import data_label, write_claims
from recdyn.io import read_json
from recdyn.logs import setup_logging
from recdyn.provenance import load_manifests
from recdyn.twostage.checks import twostage_claims

setup_logging(snakemake.log[0])
manifests = load_manifests(snakemake.input.manifests)
data = {"synthetic": "simulated (no dataset)", "amazon": data_label(manifests, ["amazoncat"])}
claims = twostage_claims(pd.read_parquet(snakemake.input.synthetic), pd.read_parquet(snakemake.input.amazon),
                         pd.read_csv(snakemake.input.supervised), pd.read_csv(snakemake.input.bandit),
                         read_json(snakemake.input.rewards), snakemake.params.cfg, data)
write_claims(claims, snakemake.output[0])
