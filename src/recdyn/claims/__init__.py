"""Every claim of the thesis the pipeline checks, from one registry (issue 22).

- :mod:`recdyn.claims.core`: the claim row, its verdicts (pass / fail / untestable, with a reason),
  writing, reading and rendering the claims table;
- :mod:`recdyn.claims.registry`: the registry of every claim (:func:`registry`);
- :mod:`recdyn.claims.stats`: noise-aware comparisons across seeds and repetitions;
- :mod:`recdyn.claims.data`, :mod:`~recdyn.claims.ch2`, :mod:`~recdyn.claims.ch3`,
  :mod:`~recdyn.claims.ch4`, :mod:`~recdyn.claims.ch5`: each chapter's specs and checks.
"""

from recdyn.claims.core import (CHAPTERS, COLUMNS, NO_DATA, VERDICTS, Claim, claims_markdown, data_label,
                                is_synthetic, read_claims, verdict_counts, verdict_of, write_claims)

__all__ = ["CHAPTERS", "COLUMNS", "NO_DATA", "VERDICTS", "Claim", "claims_markdown", "data_label", "is_synthetic",
           "read_claims", "verdict_counts", "verdict_of", "write_claims"]
