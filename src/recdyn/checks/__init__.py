"""Per-chapter checks of the thesis' claims against what the pipeline computed (see recdyn.claims)."""
