"""Measured wall times live only in timing files (issue 20, item 9).

Two clean runs of the same config must give byte-identical results and figures. Wall times are the
one thing that cannot repeat, so no result table holds them: a rule that measures any writes its
table without the timing columns and, as an extra output, a file whose name contains ``.timing.``
beside it (``grid0.parquet`` and ``grid0.timing.parquet``) with the row keys and the timing
columns. A timing column is one named ``seconds`` or ``*_seconds``. Comparisons of two runs skip
every file whose name contains ``timing``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from recdyn.io import atomic_path

#: Part of the name of every file that holds measured wall times.
TIMING_MARK = ".timing."


def is_timing_column(name: Any) -> bool:
    """A column of measured wall time: ``seconds`` or ``<something>_seconds``."""
    return isinstance(name, str) and (name == "seconds" or name.endswith("_seconds"))


def timing_columns(table: pd.DataFrame) -> list[str]:
    """The timing columns of ``table``, in table order."""
    return [column for column in table.columns if is_timing_column(column)]


def timing_path(path: str | Path) -> str:
    """The timing file beside a result file: ``a/b.parquet`` -> ``a/b.timing.parquet``."""
    path = Path(path)
    return str(path.with_name(f"{path.stem}{TIMING_MARK}{path.suffix.lstrip('.')}"))


def split_timings(table: pd.DataFrame, keys: Sequence[str]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """``(results, timings)``: the table without its timing columns, and ``keys`` (those present)
    plus the timing columns, row for row."""
    timings = timing_columns(table)
    present = [key for key in keys if key in table.columns and key not in timings]
    return table.drop(columns=timings), table[[*present, *timings]].reset_index(drop=True)


def drop_timings(table: pd.DataFrame) -> pd.DataFrame:
    """The table without its timing columns."""
    return table.drop(columns=timing_columns(table))


def without_timings(record: Mapping[str, Any]) -> dict[str, Any]:
    """A record (e.g. a selection written as JSON) without its timing entries."""
    return {key: value for key, value in record.items() if not is_timing_column(key)}


def write_parquet(table: pd.DataFrame, path: str | Path) -> None:
    """Write a table as parquet (no index) atomically."""
    with atomic_path(path) as tmp:
        table.to_parquet(tmp, index=False)


def write_with_timings(table: pd.DataFrame, path: str | Path, timing: str | Path | None,
                       keys: Iterable[str]) -> None:
    """Write ``table`` without its timing columns to ``path`` and, when ``timing`` is given, its
    ``keys`` and timing columns to ``timing`` (both parquet, atomically)."""
    results, timings = split_timings(table, list(keys))
    write_parquet(results, path)
    if timing is not None:
        write_parquet(timings, timing)
