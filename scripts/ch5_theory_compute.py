"""Rules ch5_theory_compute: one results file of thesis sections 5.2/5.5/5.6 (a Figure 5.2 panel, Figure 5.6,
the hardmax or the softmax checks), computed from the ``ch5_theory`` config section."""

from recdyn.exposure.theory import compute
from recdyn.io import write_json
from recdyn.logs import limit_threads, setup_logging

setup_logging(snakemake.log[0])
limit_threads(snakemake.threads)
write_json(snakemake.output[0], compute(snakemake.wildcards.what, snakemake.params.cfg))
