"""Data layer: dataset registry, download/staging, synthetic stand-ins and loaders."""
