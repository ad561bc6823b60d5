"""Chapter 5 audit figures (thesis section 5.3 and 5.7): clustering against tau (Figures 5.3, 5.7, 5.10),
targeting by user gender on MovieLens (5.4, 5.8, 5.11) and creator gender on LastFM (5.5).

All plots read the per-run table of the sweep (``results/ch5/audit/runs.parquet``); a figure keeps the
strategic runs whose second-order label is in ``admit`` (Figures 5.3-5.5, 5.10, 5.11: "confirmed" or "not
ruled out"; 5.7/5.8: "confirmed" only) and, where asked, the pre-adaptation baseline rows ('b').
Points are medians over runs with interquartile bars; the panel titles give the run counts.
"""

from __future__ import annotations

from collections.abc import Sequence

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from recdyn.plots.common import set_style

MODEL_NAMES = {"pmf": "PMF", "nmf": "NMF", "mf": "MF"}
DATASET_NAMES = {"ml100k": "MovieLens", "lastfm": "LastFM"}


def admitted(runs: pd.DataFrame, admit: Sequence[str], models: Sequence[str], baseline: bool) -> pd.DataFrame:
    """Strategic runs with a label in ``admit`` (plus baseline rows if ``baseline``) of the given models."""
    keep = runs["label"].isin(list(admit)) | (baseline & (runs["kind"] == "baseline"))
    out = runs[keep & runs["model"].isin(list(models))].copy()
    out["setting"] = out["model"].map(MODEL_NAMES) + ", d=" + out["d"].astype(str)
    return out


def _series(ax, frame: pd.DataFrame, x: str, y: str, order: list, offset: float, **style) -> None:
    stats = frame.groupby(x)[y].quantile([0.25, 0.5, 0.75]).unstack().reindex(order).dropna(how="all")
    if stats.empty:
        return
    pos = np.array([order.index(v) for v in stats.index], dtype=float) + offset
    ax.errorbar(pos, stats[0.5], yerr=[stats[0.5] - stats[0.25], stats[0.75] - stats[0.5]], capsize=2, **style)


def _settings(frame: pd.DataFrame) -> list[str]:
    keys = frame[["model", "d", "setting"]].drop_duplicates()
    keys["rank"] = keys["model"].map({m: i for i, m in enumerate(MODEL_NAMES)})
    return keys.sort_values(["rank", "d"])["setting"].tolist()


def _empty(ax, what: str) -> None:
    ax.text(0.5, 0.5, f"no admitted runs\n({what})", ha="center", va="center", transform=ax.transAxes)


def plot_clustering(runs: pd.DataFrame, admit: Sequence[str], models: Sequence[str]) -> plt.Figure:
    """Fraction of distinct strategies (see :mod:`recdyn.exposure.audit`) against tau, one panel per dataset."""
    set_style()
    data = admitted(runs, admit, models, baseline=False)
    taus = sorted(runs["tau"].dropna().unique())
    fig, axes = plt.subplots(1, 2, figsize=(11, 3.8), squeeze=False)
    for ax, dataset in zip(axes[0], DATASET_NAMES):
        frame = data[data["dataset"] == dataset]
        settings, ns = _settings(frame), sorted(frame["n"].unique())
        width = 0.6 / max(1, len(settings) * len(ns))
        k = 0
        for i, setting in enumerate(settings):
            for j, n in enumerate(ns):
                sub = frame[(frame["setting"] == setting) & (frame["n"] == n)]
                _series(ax, sub, "tau", "distinct_frac", taus, -0.3 + width * (k + 0.5), color=f"C{i}",
                        marker="os^D"[j % 4], linestyle="-" if j == 0 else "--", label=f"{setting}, n={n}")
                k += 1
        if frame.empty:
            _empty(ax, DATASET_NAMES[dataset])
        ax.set_xticks(range(len(taus)), [f"{t:g}" for t in taus])
        ax.set_xlabel(r"temperature $\tau$")
        ax.set_ylabel("fraction of distinct strategies")
        ax.set_title(f"{DATASET_NAMES[dataset]} ({len(frame)} runs)")
    handles, labels = axes[0, 0].get_legend_handles_labels()
    handles2, labels2 = axes[0, 1].get_legend_handles_labels()
    merged = dict(zip(labels + labels2, handles + handles2))
    if merged:
        fig.legend(merged.values(), merged.keys(), loc="center left", bbox_to_anchor=(1.0, 0.5), fontsize=8)
    fig.tight_layout()
    return fig


def plot_user_gender(runs: pd.DataFrame, admit: Sequence[str], models: Sequence[str], baseline: bool) -> plt.Figure:
    """Figure 5.4: differences (men - women) of median max normalised rating and of best-rated shares."""
    set_style()
    data = admitted(runs[runs["dataset"] == "ml100k"], admit, models, baseline)
    taus = sorted(runs["tau"].dropna().unique())
    data["x"] = data["tau"].map(lambda t: f"{t:g}").where(data["kind"] == "strategic", "b")
    order = (["b"] if baseline else []) + [f"{t:g}" for t in taus]
    panels = [("delta_max_rating", r"$\Delta$ median of max normalised rating"),
              ("delta_best_share", r"$\Delta$ share of items best rated by group")]
    fig, axes = plt.subplots(1, 2, figsize=(11, 3.8), squeeze=False)
    settings = _settings(data)
    width = 0.6 / max(1, len(settings))
    for ax, (column, label) in zip(axes[0], panels):
        for i, setting in enumerate(settings):
            _series(ax, data[data["setting"] == setting], "x", column, order, -0.3 + width * (i + 0.5),
                    color=f"C{i}", marker="o", linestyle="none", label=setting)
        if data.empty:
            _empty(ax, "MovieLens")
        ax.axhline(0.0, color="grey", linewidth=0.8)
        ax.set_xticks(range(len(order)), order)
        ax.set_xlabel(r"temperature $\tau$ ('b': pre-adaptation baseline)" if baseline else r"temperature $\tau$")
        ax.set_ylabel(label + "\n(> 0: bias towards men)")
    n_strategic = int((data["kind"] == "strategic").sum())
    axes[0, 0].set_title(f"MovieLens, user-centric ({n_strategic} runs)")
    axes[0, 1].set_title("MovieLens, producer-centric")
    if settings:
        axes[0, 1].legend(fontsize=8)
    fig.tight_layout()
    return fig


def plot_creator_gender(runs: pd.DataFrame, admit: Sequence[str], models: Sequence[str]) -> plt.Figure:
    """Figure 5.5: male - female fraction and female - male median distance in growing neighbourhoods."""
    set_style()
    data = admitted(runs[runs["dataset"] == "lastfm"], admit, models, baseline=False)
    sizes = sorted(int(c.removeprefix("frac_diff_k")) for c in runs.columns if c.startswith("frac_diff_k"))
    taus = sorted(data["tau"].dropna().unique())
    fig, axes = plt.subplots(1, 2, figsize=(11, 3.8), squeeze=False)
    panels = [("frac_diff_k", r"fraction male $-$ fraction female"),
              ("dist_diff_k", "median distance to female $-$ to male")]
    for ax, (prefix, label) in zip(axes[0], panels):
        for i, setting in enumerate(_settings(data)):
            for j, tau in enumerate(taus):
                sub = data[(data["setting"] == setting) & (data["tau"] == tau)]
                if sub.empty:
                    continue
                med = [np.nanmedian(sub[f"{prefix}{k}"]) if sub[f"{prefix}{k}"].notna().any() else np.nan
                       for k in sizes]
                ax.plot(sizes, med, color=f"C{i}", linestyle=["-", "--", ":", "-."][j % 4], marker="o",
                        markersize=3, label=f"{setting}, " + rf"$\tau$={tau:g}")
        if data.empty:
            _empty(ax, "LastFM")
        ax.axhline(0.0, color="grey", linewidth=0.8)
        ax.set_xscale("log")
        ax.set_xlabel("neighbourhood size (nearest baseline creators)")
        ax.set_ylabel(label + "\n(> 0: bias towards male creators)")
    axes[0, 0].set_title(f"LastFM ({len(data)} runs)")
    handles, labels = axes[0, 1].get_legend_handles_labels()
    if handles:
        fig.legend(handles, labels, loc="center left", bbox_to_anchor=(1.0, 0.5), fontsize=7)
    fig.tight_layout()
    return fig
