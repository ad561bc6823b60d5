"""Data overview figure (one per dataset): values, row activity, column popularity, group split."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.ticker import NullFormatter

from recdyn.plots.common import set_style

TITLES = {"ml100k": "MovieLens-100K", "lastfm": "LastFM-360K", "amazoncat": "AmazonCat-13K (BERT)"}


def _bars_from_hist(ax: plt.Axes, hist: Mapping[str, list[float]], log: bool) -> None:
    edges = np.asarray(hist["edges"])
    if edges.size == 0:
        return
    ax.bar(edges[:-1], hist["counts"], width=np.diff(edges), align="edge", edgecolor="white", linewidth=0.3)
    if log:
        ax.set_xscale("log")
        ax.xaxis.set_minor_formatter(NullFormatter())


def _values_panel(ax: plt.Axes, values: Mapping[str, Any]) -> None:
    if values["discrete"]:
        ax.bar([str(v) for v in values["values"]], values["counts"])
    else:
        _bars_from_hist(ax, values["hist"], log=False)
    ax.set_xlabel(values["label"])
    ax.set_ylabel("count")


def _groups_panel(ax: plt.Axes, groups: Mapping[str, Any] | None, shape: Mapping[str, Any]) -> None:
    if groups is None:
        ax.axis("off")
        text = "\n".join(f"{key.replace('_', ' ')}: {value:,.4g}" if isinstance(value, float)
                         else f"{key.replace('_', ' ')}: {value:,}" for key, value in shape.items())
        ax.text(0.02, 0.95, text, va="top", family="monospace", fontsize=9, transform=ax.transAxes)
        return
    counts = groups["counts"]
    total = sum(counts.values())
    bars = ax.bar(list(counts), list(counts.values()))
    for bar, count in zip(bars, counts.values()):
        ax.annotate(f"{100 * count / total:.1f}%", (bar.get_x() + bar.get_width() / 2, bar.get_height()),
                    ha="center", va="bottom", fontsize=8)
    ax.set_xlabel(groups["label"])
    ax.set_ylabel("count")
    ax.tick_params(axis="x", labelrotation=30 if len(counts) > 3 else 0)


def plot_data_overview(summary: Mapping[str, Any]) -> plt.Figure:
    """Four panels from a dataset summary (see :mod:`recdyn.data.summary`)."""
    set_style()
    fig, axes = plt.subplots(2, 2, figsize=(9, 6.5))
    _values_panel(axes[0, 0], summary["values"])
    rows = summary["rows"]
    _bars_from_hist(axes[0, 1], rows["hist"], log=rows["log"])
    axes[0, 1].set_xlabel(rows["label"])
    axes[0, 1].set_ylabel("count")
    columns = summary["columns"]["rank_frequency"]
    axes[1, 0].loglog(columns["ranks"], columns["counts"], marker=".", linestyle="none", markersize=3)
    axes[1, 0].set_xlabel("rank")
    axes[1, 0].set_ylabel(summary["columns"]["label"])
    _groups_panel(axes[1, 1], summary["groups"], summary["shape"])
    fig.suptitle(f"{TITLES.get(summary['dataset'], summary['dataset'])}: {summary['headline']} "
                 f"[{summary['source']} data]")
    fig.tight_layout(rect=(0, 0.03, 1, 0.96))
    return fig
