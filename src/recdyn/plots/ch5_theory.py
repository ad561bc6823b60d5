"""Figures 5.2 (panels A-E) and 5.6 of thesis sections 5.2 and 5.5, drawn from the results files written by
:mod:`recdyn.exposure.theory` (plotting never recomputes the games)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import matplotlib.pyplot as plt
import numpy as np

from recdyn.plots.common import set_style

CONSUMER = dict(color="tab:blue", s=28, zorder=3, label="consumers")


def _circle(ax: plt.Axes, quarter: bool = False) -> None:
    t = np.linspace(0, np.pi / 2 if quarter else 2 * np.pi, 400)
    ax.plot(np.cos(t), np.sin(t), color="0.6", lw=1, zorder=1)
    ax.set_aspect("equal")
    ax.set_xticks([])
    ax.set_yticks([])
    lim = (-0.1, 1.3) if quarter else (-1.3, 1.3)
    ax.set_xlim(*lim)
    ax.set_ylim(*lim)


def _panel_a(ax: plt.Axes, a: Mapping[str, Any]) -> None:
    c = np.asarray(a["consumers"])
    profiles = np.asarray(a["profiles"])
    _circle(ax)
    ax.scatter(c[:, 0], c[:, 1], **CONSUMER)
    colors = ["tab:red", "tab:orange"]
    for t in range(1, len(profiles)):
        mover = (t - 1) % 2
        start, end = profiles[t - 1, mover] * 1.08, profiles[t, mover] * 1.08
        ax.annotate("", xy=end, xytext=start,
                    arrowprops=dict(arrowstyle="->", color=colors[mover], lw=1.2,
                                    connectionstyle="arc3,rad=0.25", alpha=0.9))
        ax.text(*(end * 1.1), str(t), color=colors[mover], fontsize=7, ha="center", va="center")
    for i, col in enumerate(colors):
        ax.scatter(*profiles[0, i] * 1.08, marker="x", color=col, zorder=4, label=f"producer {i + 1} start")
    ax.set_title(f"A) best responses cycle (min best reply {a['min_best_reply']:.2f} > 1/2)", fontsize=9)
    ax.legend(fontsize=6, loc="lower center")


def _panel_b(ax: plt.Axes, bc: Mapping[str, Any]) -> None:
    c = np.asarray(bc["consumers"])
    sl = np.asarray(bc["slice"])
    mid = np.asarray(bc["midpoint"])
    _circle(ax)
    ax.scatter(c[:, 0], c[:, 1], **CONSUMER)
    ax.plot(sl[:, 0], sl[:, 1], "k--", lw=1, label=r"$s_1 = \lambda c_i + (1-\lambda) c_j$")
    ax.scatter(*mid, color="tab:red", marker="s", zorder=4, label=f"{bc['n'] - 1} producers at midpoint")
    ax.set_title("B) slice through the ball", fontsize=9)
    ax.legend(fontsize=6, loc="lower center")


def _panel_c(ax: plt.Axes, bc: Mapping[str, Any]) -> None:
    lam = np.asarray(bc["lambda"])
    centre = len(lam) // 2
    for tau, u in bc["utility"].items():
        u = np.asarray(u)
        ax.plot(lam, u - u[centre], label=rf"$\tau$ = {tau}")
    ax.axhline(0, color="0.5", lw=0.8)
    ax.set_xlabel(r"$\lambda$")
    ax.set_ylabel(r"$u_1(\lambda) - u_1(1/2)$")
    ax.set_title("C) utility along the slice: not quasi-concave", fontsize=9)
    ax.legend(fontsize=7)


def _producers(ax: plt.Axes, s: np.ndarray, color: str, label: str, radius: float = 1.0) -> None:
    """Producers drawn slightly outside the circle, coincident ones stacked outwards."""
    s = np.asarray(s)
    ang = np.round(np.arctan2(s[:, 1], s[:, 0]), 3)
    seen: dict[float, int] = {}
    for k, (point, a) in enumerate(zip(s, ang)):
        level = seen.get(float(a), 0)
        seen[float(a)] = level + 1
        pos = point * (radius + 0.07 * (level + 1))
        ax.scatter(*pos, color=color, marker="^", s=30, zorder=4, label=label if k == 0 else None)


def _panel_d(ax: plt.Axes, d: Mapping[str, Any]) -> None:
    c = np.asarray(d["consumers"])
    _circle(ax, quarter=True)
    ax.scatter(c[:, 0], c[:, 1], **CONSUMER)
    colors = plt.rcParams["axes.prop_cycle"].by_key()["color"][1:]
    for k, run in enumerate(d["runs"]):
        s = np.asarray(run["s"])[run["picked"]]
        test = run["test"][run["picked"]]
        _producers(ax, s, colors[k % len(colors)], rf"$\tau$ = {run['tau']} ({test})", radius=1.0 + 0.25 * k)
    cbar = np.asarray(d["c_bar"])
    ax.plot([0, cbar[0]], [0, cbar[1]], color="0.4", lw=0.8, ls=":", label=r"$\bar c$")
    ax.set_xlim(-0.1, 1.7)
    ax.set_ylim(-0.1, 1.7)
    ax.set_title("D) n = 4: collapse (large τ) vs protective positioning", fontsize=9)
    ax.legend(fontsize=6, loc="upper right")


def _panel_e(ax: plt.Axes, e: Mapping[str, Any]) -> None:
    c = np.asarray(e["consumers"])
    run = e["run"]
    _circle(ax, quarter=bool((c >= -1e-12).all()))  # non-negative games: draw the quarter circle
    ax.scatter(c[:, 0], c[:, 1], color="tab:blue", s=10, zorder=3, alpha=0.7, label="consumers")
    centres = np.deg2rad(np.asarray(e["centers_deg"]))
    ax.scatter(np.cos(centres), np.sin(centres), color="navy", s=60, marker="o", facecolors="none",
               zorder=4, label="cluster centres")
    test = run["test"][run["picked"]]
    _producers(ax, np.asarray(run["s"])[run["picked"]], "tab:red", f"producers (τ = {run['tau']}, {test})")
    # The second-order test's verdict is shown: runs it rejects are not local equilibria (section 5.7).
    ax.set_title(f"E) n = 3, clustered consumers (second-order test: {test})", fontsize=9)
    ax.legend(fontsize=6, loc="lower center")


def plot_fig_5_2(panels: Mapping[str, Mapping[str, Any]]) -> plt.Figure:
    """Figure 5.2: A) no PNE, B) the slice, C) utility along it, D) tau-dependent PNE, E) protective positioning."""
    set_style()
    fig, axes = plt.subplots(1, 5, figsize=(20, 4.3))
    _panel_a(axes[0], panels["a"])
    _panel_b(axes[1], panels["bc"])
    _panel_c(axes[2], panels["bc"])
    _panel_d(axes[3], panels["d"])
    _panel_e(axes[4], panels["e"])
    fig.tight_layout()
    return fig


def plot_fig_5_6(r: Mapping[str, Any]) -> plt.Figure:
    """Figure 5.6: equilibrium location, f(theta) on [0, pi/4], defection utility and gradient (tau = r['tau'])."""
    set_style()
    fig, axes = plt.subplots(1, 3, figsize=(13, 3.8))
    tau = r["tau"]
    ax = axes[0]
    _circle(ax, quarter=True)
    ax.scatter([1, 0], [0, 1], **CONSUMER)
    if r.get("theta_star") is not None:
        _producers(ax, np.asarray(r["equilibrium"]), "tab:red", "producers")
    ax.set_title(rf"symmetric PNE, $\tau$ = {tau}", fontsize=9)
    ax.legend(fontsize=7, loc="upper right")
    ax = axes[1]
    theta = np.asarray(r["theta"])
    ax.plot(theta, r["f"])
    ax.axhline(0, color="0.5", lw=0.8)
    if r.get("theta_star") is not None:
        ax.axvline(r["theta_star"], color="tab:red", ls="--", lw=1, label=rf"$\theta^\star$ = {r['theta_star']:.4f}")
        ax.legend(fontsize=7)
    ax.set_xlabel(r"$\theta$")
    ax.set_ylabel(r"$f(\theta) = \langle g_1(s), Q s_1\rangle$")
    ax = axes[2]
    if r.get("theta_star") is not None:
        theta1 = np.asarray(r["theta1"])
        ax.plot(theta1, r["defection_utility"], label=r"$u_1(\varphi(\theta_1))$")
        ax.set_xlabel(r"$\theta_1$")
        ax.axvline(np.pi / 4, color="0.4", lw=0.8)
        twin = ax.twinx()
        twin.plot(theta1, r["defection_gradient"], color="tab:orange", label=r"$\partial u_1/\partial\theta_1$")
        twin.axhline(0, color="tab:orange", lw=0.6, ls=":")
        twin.grid(False)
        lines = ax.get_lines()[:1] + twin.get_lines()[:1]
        ax.legend(lines, [line.get_label() for line in lines], fontsize=7)
        ax.set_title("utility and gradient of every defection", fontsize=9)
    else:
        ax.text(0.5, 0.5, "f has no root in (0, π/4) at this τ", ha="center", va="center", transform=ax.transAxes)
    fig.tight_layout()
    return fig
