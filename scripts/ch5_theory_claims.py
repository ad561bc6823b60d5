"""Rule claims_ch5_theory: Theorem 3, Figure 5.2, Proposition 3, Theorem 4, Lemma 8 and the hardmax solvers
(sections 5.2-5.6; recdyn.claims.ch5)."""

from recdyn.claims import write_claims
from recdyn.claims.ch5 import theory_claims
from recdyn.io import read_json
from recdyn.logs import setup_logging

setup_logging(snakemake.log[0])
panels = {name: read_json(snakemake.input[name]) for name in ("bc", "d", "e")}
write_claims(theory_claims(read_json(snakemake.input.hardmax), read_json(snakemake.input.softmax),
                           read_json(snakemake.input.fig_5_6), panels), snakemake.output[0])
