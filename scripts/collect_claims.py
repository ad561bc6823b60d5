"""Rule claims: every chapter's claims into results/claims.csv and figures/claims.md; every claim of the
registry (recdyn.claims.registry) must have its row."""

from recdyn.claims import claims_markdown, read_claims
from recdyn.claims.registry import check_complete
from recdyn.io import atomic_path, write_json
from recdyn.logs import setup_logging
from recdyn.provenance import build_provenance, load_manifests
from recdyn.tables import provenance_line

setup_logging(snakemake.log[0])
claims = read_claims(snakemake.input.claims)
check_complete(claims)
provenance = build_provenance(snakemake.config, load_manifests(snakemake.input.manifests), snakemake.input)
footer = provenance_line(provenance)
with atomic_path(snakemake.output.csv) as tmp:
    claims.to_csv(tmp, index=False)
with atomic_path(snakemake.output.md) as tmp:
    tmp.write_text(claims_markdown(claims, footer, preset=snakemake.config["preset"]), encoding="utf-8")
write_json(snakemake.output.provenance, provenance)
