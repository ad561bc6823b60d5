"""Measured wall times live only in timing files (issue 20, item 9), and where the time of a run
goes (issue 21, item 1).

Two clean runs of the same config must give byte-identical results and figures. Wall times are the
one thing that cannot repeat, so no result table holds them: a rule that measures any writes its
table without the timing columns and, as an extra output, a file whose name contains ``.timing.``
beside it (``grid0.parquet`` and ``grid0.timing.parquet``) with the row keys and the timing
columns. A timing column is one named ``seconds`` or ``*_seconds``. Every rule that computes also
writes a Snakemake ``benchmark:`` file under ``results/benchmarks/<rule>/`` (wall seconds, peak
memory, CPU seconds of the job); :func:`timing_table` sums them per rule. Timing files are those
:func:`is_timing_file` names: comparisons of two runs skip them.
"""

from __future__ import annotations

import contextlib
import resource
import time
from collections.abc import Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from recdyn.io import atomic_path

#: Part of the name of every file that holds measured wall times.
TIMING_MARK = ".timing."
#: Snakemake benchmark files of every job: ``<BENCHMARK_DIR>/<rule>/<job>.tsv``.
BENCHMARK_DIR = Path("results/benchmarks")


def is_timing_file(path: str | Path) -> bool:
    """A file of measured times: its name contains ``timing``, or it is a benchmark file."""
    path = Path(path)
    return "timing" in path.name or BENCHMARK_DIR.parts[-1] in path.parts[:-1]


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


#: Name ending of the benchmark file of one task of a job that runs several (``ch2.group_by_env``):
#: ``results/benchmarks/<rule>/tasks/<job>/<task>.task.tsv``, ``<task>`` the name the task's job
#: would have on its own. :func:`read_benchmarks` leaves them out unless asked for them.
TASK_SUFFIX = ".task.tsv"
#: Snakemake's benchmark columns, in its order (what :func:`task_benchmark` writes).
_BENCHMARK_COLUMNS = ["s", "h:m:s", "max_rss", "max_vms", "max_uss", "max_pss", "io_in", "io_out",
                      "mean_load", "cpu_time"]


def task_benchmark_path(rule: str, job: str, task: str) -> str:
    """Where the benchmark of task ``task`` of the grouped job ``job`` of ``rule`` goes."""
    return str(BENCHMARK_DIR / rule / "tasks" / job / f"{task}{TASK_SUFFIX}")


@contextlib.contextmanager
def task_benchmark(path: str | Path | None) -> Iterator[None]:
    """Measure the block (wall seconds, CPU seconds of this process, peak memory so far) and write it
    to ``path`` in Snakemake's benchmark format (atomically); nothing when ``path`` is None."""
    wall, cpu = time.perf_counter(), time.process_time()
    yield
    if path is None:
        return
    seconds = time.perf_counter() - wall
    row = dict.fromkeys(_BENCHMARK_COLUMNS, "NA")
    row.update({"s": f"{seconds:.4f}", "h:m:s": time.strftime("%H:%M:%S", time.gmtime(seconds)),
                "max_rss": f"{resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.2f}",
                "cpu_time": f"{time.process_time() - cpu:.2f}"})
    with atomic_path(path) as tmp:
        tmp.write_text("\t".join(row) + "\n" + "\t".join(row.values()) + "\n", encoding="utf-8")


def read_benchmarks(root: str | Path = BENCHMARK_DIR, tasks: bool = False) -> pd.DataFrame:
    """Every benchmark file under ``root`` as one row: ``rule`` (the first folder), ``job`` (the
    rest of the path), ``seconds`` (wall), ``cpu_seconds``, ``max_rss_mb`` (means over repeats).
    With ``tasks``, the task files of grouped jobs instead (:data:`TASK_SUFFIX`): ``job`` is the
    task's own name and ``group`` the job that ran it."""
    root = Path(root)
    rows = []
    for path in sorted(root.rglob("*.tsv")):
        if path.name.endswith(TASK_SUFFIX) != tasks:
            continue
        bench = pd.read_csv(path, sep="\t")
        relative = path.relative_to(root)
        row = {"rule": relative.parts[0], "job": str(Path(*relative.parts[1:]).with_suffix("")),
               "seconds": float(bench["s"].mean()),
               "cpu_seconds": float(pd.to_numeric(bench["cpu_time"], errors="coerce").mean()),
               "max_rss_mb": float(pd.to_numeric(bench["max_rss"], errors="coerce").mean())}
        if tasks:
            row.update(job=path.name[: -len(TASK_SUFFIX)], group=relative.parts[-2])
        rows.append(row)
    return pd.DataFrame(rows, columns=["rule", "job", "seconds", "cpu_seconds", "max_rss_mb"]
                        + (["group"] if tasks else []))


def timing_table(benchmarks: pd.DataFrame) -> pd.DataFrame:
    """Per rule: ``jobs``, ``seconds_total``, ``seconds_max``, ``cpu_seconds_total``, ``max_rss_mb``
    and ``share`` (of all jobs' wall seconds), sorted by total time."""
    grouped = benchmarks.groupby("rule", sort=False)
    table = pd.DataFrame({
        "jobs": grouped.size(),
        "seconds_total": grouped["seconds"].sum(),
        "seconds_max": grouped["seconds"].max(),
        "cpu_seconds_total": grouped["cpu_seconds"].sum(),
        "max_rss_mb": grouped["max_rss_mb"].max(),
    }).reset_index()
    table["share"] = table["seconds_total"] / table["seconds_total"].sum() if len(table) else []
    return table.sort_values(["seconds_total", "rule"], ascending=[False, True], kind="stable").reset_index(drop=True)
