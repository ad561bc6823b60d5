"""Rule claims_ch2: chapter 2 claims."""

import pandas as pd

from recdyn.checks.ch2 import affinity_claims
from recdyn.claims import write_claims
from recdyn.logs import setup_logging

setup_logging(snakemake.log[0])
claims = affinity_claims(pd.read_parquet(snakemake.input.dynamic), pd.read_parquet(snakemake.input.static),
                         threshold=snakemake.params.threshold, min_topics=snakemake.params.min_topics)
write_claims(claims, snakemake.output[0])
