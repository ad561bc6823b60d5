"""Plotting: reads computed results, never recomputes them."""
