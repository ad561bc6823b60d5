"""Chapter 2 claims checked on the pipeline's runs."""

from __future__ import annotations

import numpy as np
import pandas as pd

from recdyn.claims import Claim

NO_DATA = "simulated (no dataset)"


def affinity_claims(dynamic: pd.DataFrame, static: pd.DataFrame, threshold: float = 4.5,
                    min_topics: int = 2) -> list[Claim]:
    """Section 2.6 / Figure 2.7: on topics-dynamic, TopPop drives at least ``min_topics`` topics'
    mean affinity above ``threshold`` by the end of a trial (checked per trial; passes when a
    majority of trials do); on topics-static the mean affinities stay at their initial values.

    ``dynamic``/``static``: per-trial final affinities (columns trial, topic, initial, final)."""
    above = dynamic.assign(high=dynamic["final"] > threshold).groupby("trial")["high"].sum()
    majority = int((above >= min_topics).sum())
    drift = float(np.abs(static["final"] - static["initial"]).max())
    overall = float(static["final"].mean())
    return [
        Claim("ch2.fig_2_7.dynamic_concentrates", "ch2", "2.6 (Figure 2.7)",
              f"On topics-dynamic, after TopPop has recommended 100,000 items, at least {min_topics} topics "
              f"have mean affinity above {threshold}",
              f">= {min_topics} topics above {threshold} in a majority of trials",
              f"{majority} of {len(above)} trials (topics above {threshold} per trial: {above.astype(int).tolist()})",
              majority * 2 > len(above), NO_DATA),
        Claim("ch2.fig_2_7.static_stays", "ch2", "2.6 (Figure 2.7)",
              "On topics-static the mean affinities stay at their initial, uniform level (about 3)",
              "no topic's mean affinity moves by more than 0.01; overall mean within 0.1 of 3",
              f"largest change {drift:.2e}, overall mean {overall:.3f}",
              drift <= 0.01 and abs(overall - 3.0) <= 0.1, NO_DATA),
    ]
