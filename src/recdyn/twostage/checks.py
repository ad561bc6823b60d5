"""Chapter 4 (two-stage) claims: the qualitative statements of section 4.3 checked on our runs."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from recdyn.claims import Claim
from recdyn.plots.ch4_twostage import last_round

PAIRS = {"U+U": "U", "G+G": "G", "PG+PG": "PG", "U+G": "G", "U+PG": "PG"}
KEYS = ["dataset", "arms", "d", "s", "noise_std"]


def _means(table: pd.DataFrame, value: str = "regret") -> pd.DataFrame:
    last = last_round(table)
    return last.groupby(KEYS + ["system", "nominators"], dropna=False)[value].mean().reset_index()


def two_stage_vs_single(table: pd.DataFrame) -> tuple[float, float, int]:
    """Share of misspecified (s < d) configurations where a two-stage system has lower mean regret
    than the single-stage system of its nominators' kind, the median ratio, and the count."""
    means = _means(table)
    single = means[means["nominators"] == 0].set_index(KEYS + ["system"])["regret"]
    two = means[(means["nominators"] > 0) & (means["s"] < means["d"])]
    ratios = []
    for row in two.itertuples(index=False):
        ref = PAIRS.get(row.system)
        key = (row.dataset, row.arms, row.d, row.s, row.noise_std, ref)
        if ref is None or key not in single.index:
            continue
        ratios.append(row.regret / single.loc[key])
    ratios = np.asarray(ratios)
    if ratios.size == 0:
        return float("nan"), float("nan"), 0
    return float(np.mean(ratios < 1)), float(np.median(ratios)), int(ratios.size)


def grows_with(table: pd.DataFrame, factor: str) -> tuple[float, int]:
    """Share of (system, other factors) groups where mean regret at the largest value of ``factor``
    exceeds that at the smallest (``factor`` in arms, d, d_over_s). ``d`` compares at equal
    ``d/s``; ``d_over_s`` at equal d."""
    means = _means(table)
    means["d_over_s"] = (means["d"] / means["s"]).round(3)
    group_keys = {"arms": ["d", "s", "noise_std"], "d": ["arms", "d_over_s", "noise_std"],
                  "d_over_s": ["arms", "d", "noise_std"]}[factor]
    group_keys = group_keys + ["system", "nominators"]
    outcomes = []
    for _, group in means.groupby(group_keys, dropna=False):
        if group[factor].nunique() < 2:
            continue
        lo = group.loc[group[factor].idxmin(), "regret"]
        hi = group.loc[group[factor].idxmax(), "regret"]
        outcomes.append(hi > lo)
    return (float(np.mean(outcomes)) if outcomes else float("nan")), len(outcomes)


def nominator_share(amazon: pd.DataFrame, arms: int, system: str) -> pd.Series:
    """Mean share of nominator regret in ``system``'s regret per N (misspecified s < d only)."""
    last = last_round(amazon)
    part = last[(last["arms"] == arms) & (last["system"] == system) & (last["s"] < last["d"])]
    part = part[part["regret"] > 0]
    return (part["nominator_regret"] / part["regret"]).groupby(part["nominators"]).mean()


def twostage_claims(synthetic: pd.DataFrame, amazon: pd.DataFrame, supervised: pd.DataFrame, bandit: pd.DataFrame,
                    rewards: Mapping[str, Any], cfg: Mapping[str, Any], data: Mapping[str, str]) -> list[Claim]:
    """All chapter-4 two-stage claims; ``data`` labels the data source of 'synthetic' and 'amazon'."""
    claims = []

    def claim(cid: str, section: str, statement: str, expectation: str, measured: str, passed: bool, source: str) -> None:
        claims.append(Claim(cid, "ch4", section, statement, expectation, measured, bool(passed), source))

    for name, table in (("synthetic", synthetic), ("amazon", amazon)):
        share, median, count = two_stage_vs_single(table)
        claim(f"ch4_two_stage_beats_single_{name}", "4.3",
              f"Two-stage systems have lower regret than their single-stage counterparts under misspecification ({name}).",
              "two-stage < single-stage (same nominator kind) in >= 75% of s < d configurations",
              f"{share:.0%} of {count} (median ratio {median:.2f})", count > 0 and share >= 0.75, data[name])
    for factor, label, name in (("arms", "number of arms", "synthetic"), ("d", "feature dimension d", "synthetic"),
                                ("d_over_s", "misspecification d/s", "synthetic"),
                                ("d_over_s", "misspecification d/s", "amazon"), ("arms", "number of arms", "amazon")):
        table = synthetic if name == "synthetic" else amazon
        share, count = grows_with(table, factor)
        claim(f"ch4_regret_grows_with_{factor}_{name}", "4.3",
              f"Regret grows with the {label} ({name}, single- and two-stage).",
              "regret at the largest value > at the smallest in >= 75% of comparable groups",
              f"{share:.0%} of {count} groups", count > 0 and share >= 0.75, data[name])
    fig = cfg["amazon"]["figure"]
    shares = nominator_share(amazon, fig["arms_split"], fig["split_system"])
    if len(shares) >= 2:
        lo_n, hi_n = shares.index.min(), shares.index.max()
        passed = shares[lo_n] > 0.5 and shares[hi_n] < shares[lo_n]
        measured = ", ".join(f"N={n}: {v:.2f}" for n, v in shares.items())
    else:
        passed, measured = False, f"only N values {list(shares.index)}"
    claim("ch4_amazon_nominator_regret_dominates", "4.3",
          "On Amazon, nominator regret dominates with few nominators and gives way to ranker regret as N grows "
          f"({fig['split_system']}, |A| = {fig['arms_split']}).",
          "nominator share of regret > 0.5 at the smallest N and smaller at the largest N (s < d)",
          measured, passed, data["amazon"])
    ok = supervised.set_index(["construction", "training"])["correct"]
    sup_pass = bool(ok[("I-a", "own")] and not ok[("I-a", "all")] and ok[("I-b", "all")] and not ok[("I-b", "own")])
    claim("ch4_prop2_supervised", "4.3 (Proposition 2, proof I)",
          "Supervised setup: training-on-own picks the pool's best arm where training-on-all fails, and vice versa.",
          "first construction: own correct, all wrong; second: all correct, own wrong",
          "; ".join(f"{c}/{t}: nominates a{n} (best a{b})" for (c, t), n, b in
                    zip(ok.index, supervised["nominated"], supervised["best_in_pool"])), sup_pass,
          "simulated (no dataset)")
    linear = bandit[(bandit["expected"] == "linear")]
    vanish = bandit[(bandit["expected"] == "vanishing") & (bandit["start"] == "warm")]
    band_pass = bool((linear["tail_regret_mean"] > 0.05).all() and (vanish["tail_regret_mean"] < 0.02).all())
    measured = "; ".join(f"A3={r.third_pool} {r.training} {r.start}: {r.tail_regret_mean:.3f}" for r in bandit.itertuples())
    claim("ch4_prop2_bandit", "4.3 (Proposition 2, proof II)",
          "Bandit setup: with A3 = {a2} training-on-all has linear and training-on-own vanishing regret; with A3 = {a4} the reverse.",
          "per-round regret over the last quarter > 0.05 where linear (cold and warm start), < 0.02 where vanishing "
          "(warm start at optimal play)", measured, band_pass, "simulated (no dataset)")
    claim("ch4_amazon_positive_rate", "4.3",
          "AmazonCat bandit: overall 10.73% reward positivity rate, under 5% of items in none of the kept categories.",
          "positive rate within 5%-20% and coverage >= 95%",
          f"positive rate {rewards['positive_rate']:.2%} ({rewards['target']} targets), coverage {rewards['coverage']:.1%}",
          0.05 <= rewards["positive_rate"] <= 0.20 and rewards["coverage"] >= 0.95, data["amazon"])
    claim("ch4_amazon_reward_histogram", "4.2 (Figure 4.2)",
          "Amazon reward histogram: top 5 arms 19.22%, bottom 50 arms 19.85% of the positive rewards (power-law decay).",
          "top-5 share and bottom-50 share each within 5 points of the thesis",
          f"top 5: {rewards['top5_share']:.2%}, bottom 50: {rewards['bottom50_share']:.2%}",
          abs(rewards["top5_share"] - 0.1922) <= 0.05 and abs(rewards["bottom50_share"] - 0.1985) <= 0.05,
          data["amazon"])
    return claims


__all__ = ["grows_with", "nominator_share", "two_stage_vs_single", "twostage_claims"]
