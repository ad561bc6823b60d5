"""Grids expand to every combination and split into cluster jobs without loss."""

import pytest

from recdyn.fit.grid import expand_grid, grid_chunks


def test_expand_grid_is_cartesian_and_ordered():
    points = expand_grid({"lr": [0.1, 0.01], "reg": [1, 2, 3]})
    assert len(points) == 6
    assert points[0] == {"lr": 0.1, "reg": 1} and points[-1] == {"lr": 0.01, "reg": 3}


def test_chunks_cover_grid_once():
    grid = {"a": [1, 2, 3], "b": [4, 5, 6, 7]}
    chunks = grid_chunks(grid, 5)
    assert [len(c) for c in chunks] == [5, 5, 2]
    assert [p for c in chunks for p in c] == expand_grid(grid)


@pytest.mark.parametrize("bad", [{"a": []}, {"a": "abc"}, {"a": 3}])
def test_bad_grid_values_are_named(bad):
    with pytest.raises(ValueError, match="grid key 'a'"):
        expand_grid(bad)
