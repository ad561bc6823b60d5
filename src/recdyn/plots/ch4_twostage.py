"""Figures 4.3, 4.4 and 4.6-4.8: single- versus two-stage regret against misspecification d/s.

Inputs are the aggregated tables of :mod:`recdyn.twostage.experiment` (one row per run and
recorded round); every panel uses the last recorded round. Lines are means over seeds, bands two
standard errors (as in the thesis). Single-stage systems (``nominators == 0``) appear in every
nominator-count panel, since they do not depend on it.
"""

from __future__ import annotations

from collections.abc import Sequence

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from recdyn.plots.common import set_style

SYSTEM_ORDER = ["U", "G", "PG", "U+U", "U+G", "U+PG", "G+G", "PG+PG"]


def last_round(table: pd.DataFrame) -> pd.DataFrame:
    """Rows of each run's last recorded round."""
    keys = ["dataset", "arms", "d", "s", "noise_std", "system", "nominators"]
    top = table.groupby(keys, dropna=False)["round"].transform("max")
    return table[table["round"] == top]


def _colors(systems: Sequence[str]) -> dict[str, tuple]:
    palette = plt.get_cmap("tab10")
    return {name: palette(i % 10) for i, name in enumerate(SYSTEM_ORDER + [s for s in systems if s not in SYSTEM_ORDER])}


def _with_single_stage(frame: pd.DataFrame, nominators: int) -> pd.DataFrame:
    """Two-stage rows with ``nominators`` plus every single-stage row."""
    return frame[(frame["nominators"] == nominators) | (frame["nominators"] == 0)]


def _lines(ax: plt.Axes, frame: pd.DataFrame, y: str, colors: dict[str, tuple], label: bool) -> None:
    systems = [s for s in SYSTEM_ORDER if s in set(frame["system"])] + sorted(set(frame["system"]) - set(SYSTEM_ORDER))
    for system in systems:
        part = frame[frame["system"] == system]
        stats = part.groupby("d_over_s")[y].agg(["mean", "std", "count"]).reset_index().sort_values("d_over_s")
        se = (stats["std"] / np.sqrt(stats["count"])).fillna(0.0)
        dashed = "+" not in system
        ax.plot(stats["d_over_s"], stats["mean"], marker="o", ms=3, color=colors[system],
                ls="--" if dashed else "-", label=system if label else None)
        ax.fill_between(stats["d_over_s"], stats["mean"] - 2 * se, stats["mean"] + 2 * se, color=colors[system], alpha=0.2)


def _row(fig: plt.Figure, frame: pd.DataFrame, column: str, values: Sequence, y: str, ylabel: str,
         title: str, colors: dict[str, tuple], nominators: int | None = None) -> list[plt.Axes]:
    axes = fig.subplots(1, len(values), sharey=True, squeeze=False)[0]
    for i, (ax, value) in enumerate(zip(axes, values)):
        part = frame[frame[column] == value] if column != "nominators" else _with_single_stage(frame, value)
        if nominators is not None:
            part = _with_single_stage(part, nominators)
        _lines(ax, part, y, colors, label=i == 0)
        ax.set_title(f"{column if column != 'nominators' else 'N'} = {value}")
        ax.set_xlabel("d / s")
    axes[0].set_ylabel(ylabel)
    fig.suptitle(title, x=0.01, ha="left", fontsize="medium")
    axes[-1].legend(*axes[0].get_legend_handles_labels(), fontsize="x-small", loc="best")
    return list(axes)


def plot_figure_4_3(synthetic: pd.DataFrame, *, arms: int, noise_std: float, nominators: int, d: int) -> plt.Figure:
    """Figure 4.3: regret at T against d/s; (a) N = ``nominators``, columns d; (b) d = ``d``, columns N."""
    set_style()
    data = last_round(synthetic)
    data = data[(data["arms"] == arms) & np.isclose(data["noise_std"], noise_std)]
    if data.empty:
        raise ValueError(f"no synthetic runs with arms={arms}, noise_std={noise_std} (ch4_twostage.synthetic.figure)")
    colors = _colors(sorted(set(data["system"])))
    ds = sorted(set(data["d"]))
    ns = sorted(set(data["nominators"]) - {0})
    if d not in ds or nominators not in ns:
        raise ValueError(f"figure slice d={d}, N={nominators} not among the runs (d {ds}, N {ns})")
    fig = plt.figure(figsize=(2.6 * max(len(ds), len(ns)), 6.4), layout="constrained")
    top, bottom = fig.subfigures(2, 1)
    _row(top, data, "d", ds, "regret", f"regret at T", f"(a) N = {nominators}, |A| = {arms}", colors, nominators)
    _row(bottom, data[data["d"] == d], "nominators", ns, "regret", "regret at T", f"(b) d = {d}, |A| = {arms}", colors)
    return fig


def plot_figure_4_4(amazon: pd.DataFrame, *, arms_top: int, arms_split: int, split_system: str) -> plt.Figure:
    """Figure 4.4: (a) relative regret against d/s at ``arms_top`` arms, columns N; (b) shares of
    nominator and ranker regret of ``split_system`` at ``arms_split`` arms."""
    set_style()
    data = last_round(amazon)
    ns = sorted(set(data["nominators"]) - {0})
    top_data = data[data["arms"] == arms_top]
    split = data[(data["arms"] == arms_split) & (data["system"] == split_system)].copy()
    if top_data.empty or split.empty:
        raise ValueError(f"no Amazon runs for arms_top={arms_top} or ({split_system}, arms_split={arms_split})")
    colors = _colors(sorted(set(data["system"])))
    fig = plt.figure(figsize=(2.6 * len(ns), 6.4), layout="constrained")
    top, bottom = fig.subfigures(2, 1)
    _row(top, top_data, "nominators", ns, "relative_regret", "regret / random regret",
         f"(a) |A| = {arms_top}, d = {int(data['d'].iloc[0])}", colors)
    total = split["regret"].where(split["regret"] > 0)
    split["nominator"] = split["nominator_regret"] / total
    split["ranker"] = split["ranker_regret"] / total
    axes = bottom.subplots(1, len(ns), sharey=True, squeeze=False)[0]
    share_colors = {"nominator": "tab:orange", "ranker": "tab:blue"}
    for i, (ax, n) in enumerate(zip(axes, ns)):
        part = split[split["nominators"] == n]
        for key in ("nominator", "ranker"):
            stats = part.groupby("d_over_s")[key].agg(["mean", "std", "count"]).reset_index()
            se = (stats["std"] / np.sqrt(stats["count"])).fillna(0.0)
            ax.plot(stats["d_over_s"], stats["mean"], marker="o", ms=3, color=share_colors[key],
                    label=f"{key} regret" if i == 0 else None)
            ax.fill_between(stats["d_over_s"], stats["mean"] - 2 * se, stats["mean"] + 2 * se,
                            color=share_colors[key], alpha=0.2)
        ax.set_title(f"N = {n}")
        ax.set_xlabel("d / s")
        ax.set_ylim(-0.05, 1.05)
    axes[0].set_ylabel(f"share of {split_system} regret")
    axes[-1].legend(*axes[0].get_legend_handles_labels(), fontsize="x-small")
    bottom.suptitle(f"(b) {split_system}, |A| = {arms_split}", x=0.01, ha="left", fontsize="medium")
    return fig


def plot_relative_by_nominators(synthetic: pd.DataFrame, nominators: int) -> plt.Figure:
    """Figures 4.6-4.8: relative regret for ``nominators`` nominators; rows (|A|, noise std), columns d."""
    set_style()
    data = last_round(synthetic)
    data = _with_single_stage(data, nominators)
    if not (data["nominators"] == nominators).any():
        raise ValueError(f"no synthetic two-stage runs with N = {nominators} (ch4_twostage.synthetic.nominators)")
    colors = _colors(sorted(set(data["system"])))
    rows = data[["arms", "noise_std"]].drop_duplicates().sort_values(["arms", "noise_std"]).to_records(index=False)
    ds = sorted(set(data["d"]))
    fig, axes = plt.subplots(len(rows), len(ds), figsize=(2.5 * len(ds), 2.3 * len(rows) + 0.6),
                             sharex=True, squeeze=False, layout="constrained")
    for i, (arms, noise) in enumerate(rows):
        for j, d in enumerate(ds):
            ax = axes[i, j]
            part = data[(data["arms"] == arms) & np.isclose(data["noise_std"], noise) & (data["d"] == d)]
            _lines(ax, part, "relative_regret", colors, label=(i == 0 and j == 0))
            ax.set_title(f"|A| = {arms}, σ = {noise:g}, d = {d}", fontsize="small")
            if i == len(rows) - 1:
                ax.set_xlabel("d / s")
            if j == 0:
                ax.set_ylabel("regret / random")
    fig.legend(*axes[0, 0].get_legend_handles_labels(), loc="outside right upper", fontsize="x-small")
    fig.suptitle(f"Relative regret, N = {nominators} nominators (synthetic)", fontsize="medium")
    return fig


def plot_figure_4_2(histogram: pd.DataFrame, *, top: int = 5, bottom: int = 50) -> plt.Figure:
    """Figure 4.2 (right): share of the positive rewards per arm, arms by decreasing share, with the
    shares of the ``top`` and the ``bottom`` arms (the thesis: 19.22% and 19.85% for the top 5 and the
    bottom 50 of 100 AmazonCat categories) marked. ``histogram``: columns ``rank``, ``share``, as
    :func:`recdyn.twostage.amazon.reward_histogram` returns them."""
    set_style()
    data = histogram.sort_values("rank")
    if data.empty or not np.isfinite(data["share"]).all() or (data["share"] < 0).any():
        raise ValueError("Figure 4.2: the reward histogram must hold finite, non-negative shares")
    ranks, shares = data["rank"].to_numpy(), 100 * data["share"].to_numpy()
    fig, ax = plt.subplots(figsize=(4.6, 2.8), layout="constrained")
    colors = np.where(ranks <= top, "C3", np.where(ranks > len(ranks) - bottom, "C0", "0.6"))
    ax.bar(ranks, shares, width=0.85, color=colors)
    top_share = shares[:top].sum()
    legend = [plt.Rectangle((0, 0), 1, 1, color="C3", label=f"top {top}: {top_share:.2f}%")]
    if len(ranks) > bottom:
        legend.append(plt.Rectangle((0, 0), 1, 1, color="C0", label=f"bottom {bottom}: {shares[-bottom:].sum():.2f}%"))
    ax.legend(handles=legend, fontsize="small", frameon=False)
    ax.set_xlabel("arm (category), by share of positive rewards")
    ax.set_ylabel("share of positive rewards (%)")
    ax.set_title("Amazon reward histogram", fontsize="medium")
    return fig


__all__ = ["last_round", "plot_figure_4_2", "plot_figure_4_3", "plot_figure_4_4", "plot_relative_by_nominators"]
