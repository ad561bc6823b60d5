"""Tables 4.1-4.4 (section 4.8): tuning grids with the selected values marked, evaluated configurations."""

from __future__ import annotations

import numpy as np
import pandas as pd

from recdyn.twostage.experiment import KIND_LABEL, PARAM_LABEL, PARAMS


def _fmt(value: float) -> str:
    return f"{value:g}"


def grid_table(tuning: pd.DataFrame, selected: pd.DataFrame) -> pd.DataFrame:
    """Tables 4.1/4.3: per algorithm and parameter, the grid values with the selected one in
    bold (markdown ``**``), the selected value and its mean final regret (standard error)."""
    rows = []
    chosen = selected.set_index("kind")
    for kind in ("ucb", "greedy", "pg"):
        part = tuning[tuning["kind"] == kind]
        if part.empty or kind not in chosen.index:
            continue
        for name in PARAMS[kind]:
            pick = float(chosen.loc[kind, name])
            values = sorted(part[name].unique())
            shown = ", ".join(f"**{_fmt(v)}**" if np.isclose(v, pick) else _fmt(v) for v in values)
            rows.append({"algorithm": KIND_LABEL[kind], "parameter": PARAM_LABEL[name], "values": f"[{shown}]",
                         "selected": pick, "mean regret": float(chosen.loc[kind, "mean_regret"]),
                         "se": float(chosen.loc[kind, "se"]), "seeds": int(part["seed"].nunique())})
    return pd.DataFrame(rows)


def configurations_table(runs: pd.DataFrame, dataset: str) -> pd.DataFrame:
    """Tables 4.2/4.4: the values each varied parameter actually took in the runs."""
    two = runs[runs["nominators"] > 0]
    if dataset == "synthetic":
        spec = [("arm count |A|", runs["arms"]), ("feature count d", runs["d"]),
                ("nominator count N", two["nominators"]), ("reward std. deviation", runs["noise_std"]),
                ("misspecification ρ", runs["rho"])]
    else:
        spec = [("arm count |A|", runs["arms"]), ("nominator count N", two["nominators"]),
                ("nominator feature dim s", runs["s"])]
    rows = [{"parameter": name, "values": "[" + ", ".join(_fmt(v) for v in sorted(values.unique())) + "]"}
            for name, values in spec]
    rows.append({"parameter": "systems", "values": ", ".join(sorted(runs["system"].unique()))})
    rows.append({"parameter": "seeds per configuration", "values": str(runs["seed"].nunique())})
    rows.append({"parameter": "rounds T", "values": str(int(runs["round"].max()))})
    return pd.DataFrame(rows)


__all__ = ["configurations_table", "grid_table"]
