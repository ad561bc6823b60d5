"""Chapter 3 figures: RMSE (3.2), NDCG (3.3) and homogenization relative to the oracle (3.4) over time,
per environment and learner, mean over repetitions with 95% confidence bands."""

from __future__ import annotations

from collections.abc import Mapping

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from recdyn.plots.common import set_style

LEARNERS = {"feedback": "Feedback", "uniform": "Uniform", "cafl": "CAFL"}
ENV_TITLES = {"beta-rank": "beta-rank-v1", "ml-100k": "ml100k-v1"}


def mean_band(table: pd.DataFrame, value: str) -> pd.DataFrame:
    """Per learner and step: mean over repetitions and the half-width of its 95% normal interval."""
    grouped = table.groupby(["learner", "step"])[value]
    out = grouped.agg(["mean", "std", "count"]).reset_index()
    out["half"] = 1.96 * out["std"].fillna(0.0) / np.sqrt(out["count"])
    return out


def plot_over_time(runs: Mapping[str, pd.DataFrame], value: str, ylabel: str, logit: bool = False) -> plt.Figure:
    """One panel per environment; one line per learner with its 95% band."""
    set_style()
    fig, axes = plt.subplots(1, len(runs), figsize=(5 * len(runs), 3.6), squeeze=False)
    for ax, (env, table) in zip(axes[0], runs.items()):
        bands = mean_band(table, value)
        for color, (learner, label) in enumerate(LEARNERS.items()):
            line = bands[bands["learner"] == learner]
            if line.empty:
                continue
            ax.plot(line["step"], line["mean"], color=f"C{color}", label=label)
            ax.fill_between(line["step"], line["mean"] - line["half"], line["mean"] + line["half"],
                            color=f"C{color}", alpha=0.25, linewidth=0)
        if logit:
            ax.set_yscale("logit")
        ax.set_title(ENV_TITLES.get(env, env))
        ax.set_xlabel("time step")
        ax.set_ylabel(ylabel)
    axes[0][-1].legend(fontsize=8)
    fig.tight_layout()
    return fig


def with_relative_jaccard(table: pd.DataFrame) -> pd.DataFrame:
    """Figure 3.4's quantity: the learner's Jaccard index minus the oracle's at the same step."""
    return table.assign(jaccard_change=table["jaccard"] - table["jaccard_oracle"])
