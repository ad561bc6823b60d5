"""Claims of thesis section 4.4 checked on the Figure 4.5 results."""

from __future__ import annotations

import pandas as pd

from recdyn.claims import Claim

CONFIG_KEYS = ["c", "n_experts", "s", "embedding_dim"]


def paired_wins(summary: pd.DataFrame, metric: str) -> pd.DataFrame:
    """One row per configuration (c, N, s, d_e): MoE and random mean of ``metric`` and whether the
    MoE is strictly better."""
    wide = summary.pivot_table(index=CONFIG_KEYS, columns="model", values=f"{metric}_mean")
    missing = {"moe", "random"} - set(wide.columns)
    if missing:
        raise ValueError(f"summary lacks results of model(s) {sorted(missing)}")
    wide = wide.dropna(subset=["moe", "random"])
    return wide.assign(moe_wins=wide["moe"] > wide["random"]).reset_index()


def moe_claims(summary: pd.DataFrame, data: str, majority: float = 0.5) -> list[Claim]:
    """Section 4.4: "MoEs are able to outperform random pool allocation for most combinations of
    model architecture and training set size" (precision@5 and recall@5), and the improvement in
    recall; the exceptions the thesis names (smallest c, largest d_e) are reported, not required."""
    claims = []
    for metric, claim_id in (("precision", "ch4_moe_beats_random_precision"), ("recall", "ch4_moe_beats_random_recall")):
        wins = paired_wins(summary, metric)
        share = float(wins["moe_wins"].mean())
        c_min, de_max = wins["c"].min(), wins["embedding_dim"].max()
        rest = wins[(wins["c"] != c_min) & (wins["embedding_dim"] != de_max)]
        by_c = ", ".join(f"c={c}: {g['moe_wins'].mean():.0%}" for c, g in wins.groupby("c"))
        by_de = ", ".join(f"d_e={d}: {g['moe_wins'].mean():.0%}" for d, g in wins.groupby("embedding_dim"))
        rest_text = f"{rest['moe_wins'].mean():.0%}" if len(rest) else "n/a"
        claims.append(Claim(
            claim_id=claim_id, chapter="ch4", section="4.4 (Fig. 4.5)",
            statement=f"MoE beats random pool allocation in {metric}@5 for most configurations "
                      f"(except possibly the smallest training set and the largest d_e)",
            expectation=f"share of (c, N, s, d_e) with MoE mean > random mean > {majority:.0%}",
            measured=(f"{share:.0%} of {len(wins)} configurations (mean gain "
                      f"{(wins['moe'] - wins['random']).mean():+.4f}); {by_c}; {by_de}; "
                      f"without c={c_min} and d_e={de_max}: {rest_text}"),
            passed=bool(share > majority), data=data))
    return claims


__all__ = ["moe_claims", "paired_wins"]
