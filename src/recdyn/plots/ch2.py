"""Chapter 2 figures."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from recdyn.plots.common import set_style


def plot_fig_2_7(dynamic: pd.DataFrame, static: pd.DataFrame) -> plt.Figure:
    """Figure 2.7: mean affinity per topic (averaged over users) after TopPop has recommended
    100,000 items; left topics-dynamic, right topics-static. Bars: the first trial (the thesis
    shows one run); dots: the other trials; dashed line: the mean initial affinity."""
    set_style()
    fig, axes = plt.subplots(1, 2, figsize=(10, 3.6), sharey=True)
    for ax, table, title in ((axes[0], dynamic, "topics-dynamic"), (axes[1], static, "topics-static")):
        first = table[table["trial"] == table["trial"].min()].sort_values("topic")
        ax.bar(first["topic"], first["final"], color="C0", label="trial 1")
        others = table[table["trial"] != table["trial"].min()]
        if not others.empty:
            jitter = np.random.default_rng(0).uniform(-0.2, 0.2, len(others))
            ax.scatter(others["topic"] + jitter, others["final"], s=8, color="k", alpha=0.6, zorder=3,
                       label="other trials")
        ax.axhline(table["initial"].mean(), color="C3", linestyle="--", linewidth=1, label="initial mean")
        recommended = int(first["recommended"].iloc[0])
        ax.set_title(f"{title} ({recommended:,} items recommended by TopPop)")
        ax.set_xlabel("topic")
        ax.set_xticks(first["topic"])
        ax.set_ylim(0, 5.5)
    axes[0].set_ylabel("mean affinity over users")
    axes[1].legend(loc="upper right", fontsize=8)
    fig.tight_layout()
    return fig
