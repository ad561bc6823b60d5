"""Figure 4.5 (thesis section 4.4): precision@5 (top row) and recall@5 (bottom row) against the
size s of the BERT feature subset, one column per training-set size c, one panel group per
number of experts N; MoE (solid) versus random pools (dashed), colour by item-embedding
dimension d_e; error bars are one standard error over seeds."""

from __future__ import annotations

from collections.abc import Sequence

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns

from recdyn.plots.common import set_style

METRICS = (("precision", "precision@5"), ("recall", "recall@5"))
STYLES = {"moe": ("-", "o", "MoE"), "random": ("--", "s", "random")}


def plot_fig_4_5(summary: pd.DataFrame, n_experts: Sequence[int]) -> plt.Figure:
    """Figure 4.5 from the per-configuration summary (columns c, n_experts, s, embedding_dim,
    model, {precision,recall}_{mean,se})."""
    set_style()
    n_experts = [int(n) for n in n_experts]
    missing = sorted(set(n_experts) - set(summary["n_experts"].unique().tolist()))
    if missing:
        raise ValueError(f"no results for N={missing} (ch4_moe.plot_experts must be among ch4_moe.n_experts)")
    cs = sorted(summary["c"].unique())
    dims = sorted(summary["embedding_dim"].unique())
    palette = dict(zip(dims, sns.color_palette("viridis", len(dims))))
    n_cols = len(cs) * len(n_experts)
    fig, axes = plt.subplots(2, n_cols, figsize=(2.6 * n_cols + 1.5, 5.4), squeeze=False, sharex=True)
    for g, n in enumerate(n_experts):
        part = summary[summary["n_experts"] == n]
        letter = chr(ord("a") + g)
        for j, c in enumerate(cs):
            col = g * len(cs) + j
            block = part[part["c"] == c]
            for row, (metric, label) in enumerate(METRICS):
                ax = axes[row, col]
                for (model, d_e), line in block.groupby(["model", "embedding_dim"], sort=True):
                    line = line.sort_values("s")
                    ls, marker, name = STYLES[model]
                    ax.errorbar(line["s"], line[f"{metric}_mean"], yerr=line[f"{metric}_se"], ls=ls, marker=marker,
                                ms=3.5, lw=1.3, capsize=2, color=palette[d_e], label=f"{name}, $d_e$={d_e}")
                ax.set_xscale("log")
                ax.set_xticks(sorted(summary["s"].unique()))
                ax.get_xaxis().set_major_formatter(plt.matplotlib.ticker.ScalarFormatter())
                ax.minorticks_off()
                if row == 0:
                    ax.set_title(f"({letter}) N={n}, c={c}", fontsize=9)
                else:
                    ax.set_xlabel("feature subset size s")
                if col == 0:
                    ax.set_ylabel(label)
    for row in range(2):  # one y range per metric, so panels compare
        lo = min(ax.get_ylim()[0] for ax in axes[row])
        hi = max(ax.get_ylim()[1] for ax in axes[row])
        for ax in axes[row]:
            ax.set_ylim(lo, hi)
    handles, labels = axes[0, 0].get_legend_handles_labels()
    order = np.argsort(labels, kind="stable")
    fig.legend([handles[i] for i in order], [labels[i] for i in order], loc="center left",
               bbox_to_anchor=(1.0, 0.5), fontsize=8, frameon=False)
    fig.tight_layout()
    return fig


__all__ = ["plot_fig_4_5"]
