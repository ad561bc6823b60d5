"""Table output: csv (machine-readable) and markdown (human-readable), with provenance."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from recdyn.io import atomic_path
from recdyn.plots.common import synthetic_label
from recdyn.provenance import write_provenance


def markdown_table(table: pd.DataFrame, floatfmt: str = ".4f") -> str:
    """A pipe table: missing values blank, whole-number columns without decimals."""
    shown = table.copy()
    for column in shown.columns:
        values = shown[column]
        if pd.api.types.is_float_dtype(values) and values.dropna().apply(float.is_integer).all():
            shown[column] = values.astype("Int64")
    shown = shown.astype(object).where(shown.notna(), None)
    return shown.to_markdown(index=False, floatfmt=floatfmt, missingval="")


def to_markdown(table: pd.DataFrame, title: str, provenance: Mapping[str, Any], floatfmt: str = ".4f",
                notes: Sequence[str] = ()) -> str:
    """Markdown page: title, a stand-in warning when any data was synthetic, the table, notes (one
    paragraph each), provenance line."""
    lines = [f"# {title}", ""]
    label = synthetic_label(provenance)
    if label is not None:
        lines += [f"> **{label}**", ""]
    lines += [markdown_table(table, floatfmt), ""]
    for note in notes:
        lines += [note, ""]
    lines += [provenance_line(provenance), ""]
    return "\n".join(lines)


def provenance_line(provenance: Mapping[str, Any]) -> str:
    """One line naming preset, config hash, commit and each dataset's source, for page footers."""
    sources = ", ".join(f"{name}: {entry['source']}" for name, entry in provenance["datasets"].items())
    return (f"Preset `{provenance['preset']}`, config `{provenance['config_hash']}`, "
            f"commit `{provenance['git']['commit'][:12]}`; data: {sources or 'simulated, no dataset'}.")


def save_table(
    table: pd.DataFrame, csv: str | Path, md: str | Path, title: str,
    provenance: Mapping[str, Any], provenance_path: str | Path, notes: Sequence[str] = (),
) -> None:
    """Write a table as csv and markdown (``notes`` under the table), then its provenance, atomically."""
    with atomic_path(csv) as tmp:
        table.to_csv(tmp, index=False)
    with atomic_path(md) as tmp:
        tmp.write_text(to_markdown(table, title, provenance, notes=notes), encoding="utf-8")
    write_provenance(provenance_path, provenance)
