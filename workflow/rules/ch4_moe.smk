"""ch4_moe rules (filled in by its issue). Exposes CH4_MOE_OUTPUTS (figures/tables) and CH4_MOE_CLAIMS (claims CSVs)."""

CH4_MOE_OUTPUTS = []
CH4_MOE_CLAIMS = []
