"""Shared figure output: thesis-like style, the synthetic-data mark, atomic pdf+png, provenance.

:func:`save_figure` is the only place figures are written. Its files are reproducible: the PDF gets
no creation date (matplotlib stamps the current time otherwise) and the PNG's metadata holds only
the matplotlib version, so two runs of the same data give byte-identical figures (issue 20, item 9).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import seaborn as sns  # noqa: E402

from recdyn.io import atomic_path  # noqa: E402
from recdyn.provenance import synthetic_datasets, write_provenance  # noqa: E402

SYNTHETIC_MARK = "SYNTHETIC STAND-IN DATA"
#: ``savefig`` metadata per format: no PDF creation date (PNG has none by default).
FIGURE_METADATA: dict[str, dict[str, Any]] = {"pdf": {"CreationDate": None}, "png": {}}


def set_style() -> None:
    """One consistent look for every regenerated figure."""
    sns.set_theme(context="paper", style="whitegrid", font_scale=1.1)


def synthetic_label(provenance: Mapping[str, Any]) -> str | None:
    """Text of the mark for a figure built from stand-ins, or None for real data."""
    names = synthetic_datasets(provenance)
    if not names:
        return None
    return f"{SYNTHETIC_MARK} ({', '.join(names)}): not the thesis' data"


def mark_synthetic(fig: plt.Figure, provenance: Mapping[str, Any]) -> bool:
    """Stamp a visible diagonal watermark and a footer on a figure made from stand-in data."""
    label = synthetic_label(provenance)
    if label is None:
        return False
    fig.text(0.5, 0.5, SYNTHETIC_MARK, fontsize=28, color="red", alpha=0.18, rotation=25,
             ha="center", va="center", weight="bold", zorder=1000)
    fig.text(0.5, 0.005, label, fontsize=8, color="red", ha="center", va="bottom", zorder=1000)
    return True


def save_figure(
    fig: plt.Figure, pdf: str | Path, png: str | Path, provenance: Mapping[str, Any],
    provenance_path: str | Path, dpi: int = 150,
) -> None:
    """Mark (if synthetic) and write the figure as pdf and png (without a creation date), then its
    provenance, atomically."""
    mark_synthetic(fig, provenance)
    for path, fmt in ((pdf, "pdf"), (png, "png")):
        with atomic_path(path) as tmp:
            fig.savefig(tmp, format=fmt, dpi=dpi, bbox_inches="tight", metadata=FIGURE_METADATA[fmt])
    plt.close(fig)
    write_provenance(provenance_path, provenance)
