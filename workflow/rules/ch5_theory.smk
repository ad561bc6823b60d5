"""ch5_theory rules (filled in by its issue). Exposes CH5_THEORY_OUTPUTS (figures/tables) and CH5_THEORY_CLAIMS (claims CSVs)."""

CH5_THEORY_OUTPUTS = []
CH5_THEORY_CLAIMS = []
