"""ch4_twostage rules (filled in by its issue). Exposes CH4_TWOSTAGE_OUTPUTS (figures/tables) and CH4_TWOSTAGE_CLAIMS (claims CSVs)."""

CH4_TWOSTAGE_OUTPUTS = []
CH4_TWOSTAGE_CLAIMS = []
