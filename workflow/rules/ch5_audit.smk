"""ch5_audit rules (filled in by its issue). Exposes CH5_AUDIT_OUTPUTS (figures/tables) and CH5_AUDIT_CLAIMS (claims CSVs)."""

CH5_AUDIT_OUTPUTS = []
CH5_AUDIT_CLAIMS = []
