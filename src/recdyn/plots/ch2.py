"""Chapter 2 figures."""

from __future__ import annotations

from typing import Any

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


#: Display names of the recommenders as the thesis writes them.
LABELS = {
    "random": "Random", "toppop": "TopPop", "oracle": "Oracle", "item_knn": "ItemKnn", "user_knn": "UserKnn",
    "sgd-mf": "SGD MF", "bayes-mf": "Bayes MF", "autorec": "AutoRec", "cfnade": "CF-NADE",
    "llorma": "LLORMA", "ease": "EASE",
}


def _label(name: str) -> str:
    return LABELS.get(name, name)


def _colors(names) -> dict[str, Any]:
    palette = plt.get_cmap("tab20").colors
    order = list(LABELS) + sorted(set(names) - set(LABELS))
    return {name: palette[order.index(name) % len(palette)] for name in names}


def plot_offline_vs_online(merged: pd.DataFrame, env: str, k: int, retrain_note: str = "") -> plt.Figure:
    """Figures 2.1 (topics-dynamic) and 2.6 (topics-static): offline nDCG@k (left) and RMSE (right,
    recommenders with rating predictions only) against the mean rating of all recommended items,
    one point per recommender, error bars = 95% intervals (folds on x, trials on y)."""
    set_style()
    table = merged[merged["env"] == env]
    if table.empty:
        raise ValueError(f"no offline/online results for environment {env!r}")
    colors = _colors(table["recommender"])
    fig, axes = plt.subplots(1, 2, figsize=(10.5, 4.2), sharey=True)
    for ax, metric, xlabel in ((axes[0], "ndcg", f"nDCG@{k}"), (axes[1], "rmse", "RMSE")):
        for row in table.itertuples(index=False):
            x = getattr(row, metric)
            if not np.isfinite(x):
                continue
            ax.errorbar(x, row.mean_rating, xerr=np.nan_to_num(getattr(row, f"{metric}_ci")),
                        yerr=np.nan_to_num(row.mean_rating_ci), fmt="o", color=colors[row.recommender],
                        capsize=3, label=_label(row.recommender))
        ax.set_xlabel(f"offline {xlabel} (5-fold mean)")
    axes[0].set_ylabel("mean rating of recommended items")
    handles, labels = axes[0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="center right", fontsize=8, frameon=False)
    fig.suptitle(f"{env}: offline metrics vs online mean rating{retrain_note}", fontsize=10)
    fig.tight_layout(rect=(0, 0, 0.86, 1))
    return fig


def plot_sampling(summary: pd.DataFrame, metric: str, fits: dict[str, dict[str, float]], k: int) -> plt.Figure:
    """Figures 2.3 (``metric="ndcg"``) and 2.4 (``"rmse"``): the 5-fold metric on ML-100K-INIT
    (left) and ML-100K-INIT-FLIP (right) against UNIFORM-INIT, one point per recommender, the
    linear fit ``fits[scheme]`` in red and the identity dashed."""
    set_style()
    name = f"nDCG@{k}" if metric == "ndcg" else "RMSE"
    fig, axes = plt.subplots(1, 2, figsize=(10, 4.2))
    colors = _colors(summary["recommender"])
    for ax, scheme, title in ((axes[0], "ml100k-init", "ML-100K-INIT"), (axes[1], "ml100k-init-flip", "ML-100K-INIT-FLIP")):
        x = summary[f"{metric}_uniform"].to_numpy(dtype=float)
        y = summary[f"{metric}_{scheme}"].to_numpy(dtype=float)
        keep = np.isfinite(x) & np.isfinite(y)
        for rec, xi, yi in zip(summary["recommender"][keep], x[keep], y[keep]):
            ax.scatter(xi, yi, color=colors[rec], s=30, zorder=3, label=_label(rec))
        lo = float(min(x[keep].min(), y[keep].min()))
        hi = float(max(x[keep].max(), y[keep].max()))
        grid = np.linspace(lo, hi, 50)
        fit = fits[scheme]
        ax.plot(grid, fit["slope"] * grid + fit["intercept"], color="red", linewidth=1.2,
                label=f"linear fit (r = {fit['r']:.2f})")
        ax.plot(grid, grid, color="0.5", linestyle="--", linewidth=0.8, label="y = x")
        ax.set_xlabel(f"{name} on UNIFORM-INIT")
        ax.set_ylabel(f"{name} on {title}")
        ax.legend(fontsize=7, loc="best")
    fig.tight_layout()
    return fig


def plot_over_steps(bands: dict[str, pd.DataFrame], env: str, retrain_note: str = "") -> plt.Figure:
    """Figure 2.5: per step, the mean rating (left) and the RMSE against the observed ratings
    (right) of the recommended items, mean over trials with 95% bands; ``bands`` maps
    ``"mean_rating"``/``"rmse_observed"`` to :func:`recdyn.sim.analysis.step_bands` tables."""
    set_style()
    fig, axes = plt.subplots(1, 2, figsize=(11, 4.2))
    recs = list(dict.fromkeys(bands["mean_rating"]["recommender"]))
    colors = _colors(recs)
    for ax, key, ylabel in ((axes[0], "mean_rating", "mean rating of recommended items"),
                            (axes[1], "rmse_observed", "RMSE of recommended items")):
        for rec, group in bands[key].groupby("recommender", sort=False):
            group = group.dropna(subset=["mean"])
            if group.empty:
                continue
            ax.plot(group["step"], group["mean"], color=colors[rec], linewidth=1.2, label=_label(rec))
            ax.fill_between(group["step"], group["lo"], group["hi"], color=colors[rec], alpha=0.2, linewidth=0)
        ax.set_xlabel("timestep")
        ax.set_ylabel(ylabel)
        means = bands[key]["mean"].to_numpy(dtype=float)
        if np.isfinite(means).any():  # few trials give wide t bands: frame the means, not the bands
            lo, hi = np.nanmin(means), np.nanmax(means)
            pad = 0.25 * max(hi - lo, 0.1)
            ax.set_ylim(max(lo - pad, 0.0), hi + pad)
    axes[0].legend(fontsize=8, ncol=2)
    fig.suptitle(f"{env}: recommended items over time{retrain_note}", fontsize=10)
    fig.tight_layout()
    return fig


def plot_spearman(table: pd.DataFrame, k: int) -> plt.Figure:
    """Figure 2.8: per environment, Spearman correlation across recommenders of offline nDCG@k
    (left) and RMSE (right) with the online mean rating."""
    set_style()
    fig, axes = plt.subplots(1, 2, figsize=(10.5, 4), sharey=True)
    y = np.arange(len(table))
    for ax, column, title in ((axes[0], "spearman_ndcg", f"nDCG@{k} vs mean rating"),
                              (axes[1], "spearman_rmse", "RMSE vs mean rating")):
        values = table[column].to_numpy(dtype=float)
        ax.barh(y, np.nan_to_num(values), color=np.where(values >= 0, "C0", "C3"))
        ax.axvline(0, color="k", linewidth=0.8)
        ax.set_xlim(-1.05, 1.05)
        ax.set_title(title, fontsize=10)
        ax.set_xlabel("Spearman correlation")
    axes[0].set_yticks(y)
    axes[0].set_yticklabels(table["env"])
    axes[0].invert_yaxis()
    fig.tight_layout()
    return fig


def retrain_note(setting: int | dict[str, int]) -> str:
    """A title suffix saying how often recommenders were retrained when not after every step: the
    ``default`` interval and every recommender whose own interval differs from it and exceeds 1."""
    if not isinstance(setting, dict):
        setting = {"default": setting}
    default = int(setting.get("default", 1))
    slower = {name: int(v) for name, v in setting.items() if name != "default" and int(v) > 1 and int(v) != default}
    if default <= 1 and not slower:
        return ""
    parts = [f"model-based recommenders retrained every {default} steps"] if default > 1 else []
    parts += [f"{LABELS.get(name, name)} every {v}" for name, v in sorted(slower.items())]
    return f"\n(budget preset: {', '.join(parts)}; thesis: every step)"
