"""Hyperparameter grids from the presets: cartesian products, split into jobs for the cluster."""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from typing import Any


def expand_grid(grid: Mapping[str, Sequence[Any]]) -> list[dict[str, Any]]:
    """All combinations of a ``{name: [values]}`` grid, in a fixed order (keys sorted)."""
    names = sorted(grid)
    for name in names:
        if not isinstance(grid[name], Sequence) or isinstance(grid[name], str) or not grid[name]:
            raise ValueError(f"grid key {name!r}: expected a non-empty list of values, got {grid[name]!r}")
    return [dict(zip(names, values)) for values in itertools.product(*(grid[n] for n in names))]


def grid_chunks(grid: Mapping[str, Sequence[Any]], points_per_job: int,
                base: Mapping[str, Any] | None = None) -> list[list[dict[str, Any]]]:
    """The grid's points in consecutive chunks of at most ``points_per_job`` (one cluster job each).

    ``base``: values every point starts from (the grid's own values win), e.g. a named
    configuration of :mod:`recdyn.recommenders.defaults`; the points then carry them, so the
    tuning tables and the selections record every value a recommender was built with."""
    if points_per_job < 1:
        raise ValueError(f"points_per_job must be >= 1, got {points_per_job}")
    points = [{**(base or {}), **point} for point in expand_grid(grid)]
    return [points[start:start + points_per_job] for start in range(0, len(points), points_per_job)]
