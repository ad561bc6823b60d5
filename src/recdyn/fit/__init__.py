"""Environment fitting (libFM through wpyfm)."""
