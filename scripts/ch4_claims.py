"""Rule claims_ch4_twostage: chapter 4 claims except the MoE ones (recdyn.claims.ch4.twostage_claims)."""

import pandas as pd

from recdyn.claims import NO_DATA, data_label, write_claims
from recdyn.claims.ch4 import twostage_claims
from recdyn.io import read_json
from recdyn.logs import setup_logging
from recdyn.provenance import load_manifests

setup_logging(snakemake.log[0])
manifests = load_manifests(snakemake.input.manifests)
data = {"synthetic": NO_DATA, "amazon": data_label(manifests, ["amazoncat"])}
tuning = {name: pd.concat([pd.read_parquet(path) for path in getattr(snakemake.input, f"tuning_{name}")],
                         ignore_index=True) for name in ("synthetic", "amazon")}
selected = {name: pd.read_csv(getattr(snakemake.input, f"hyper_{name}")) for name in ("synthetic", "amazon")}
claims = twostage_claims(pd.read_parquet(snakemake.input.synthetic), pd.read_parquet(snakemake.input.amazon),
                         pd.read_csv(snakemake.input.supervised), pd.read_csv(snakemake.input.bandit),
                         read_json(snakemake.input.rewards), pd.read_csv(snakemake.input.histogram), tuning, selected,
                         snakemake.params.cfg, data, snakemake.params.preset)
write_claims(claims, snakemake.output[0])
