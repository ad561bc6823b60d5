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


def _names(frame: pd.DataFrame, column: str = "recommender") -> str:
    return ", ".join(frame[column].astype(str))


def sampling_claims(summary: pd.DataFrame, rank_corr_min: float = 0.7) -> list[Claim]:
    """Section 2.5 / Figures 2.3, 2.4 and the control, from :func:`recdyn.sim.sampling_study.scheme_summary`.

    * rankings are stable: Spearman correlation of the recommenders' nDCG@k between UNIFORM-INIT
      and each biased scheme at least ``rank_corr_min``;
    * ML-100K-INIT overestimates performance: nDCG higher and RMSE lower than on UNIFORM-INIT on
      average over recommenders, Random's nDCG included;
    * the control: models trained on ML-100K-INIT and evaluated on held-out uniform pairs are on
      par with UNIFORM-INIT (their mean absolute nDCG difference to the UNIFORM-INIT 5-fold nDCG
      is smaller than the mean ML-100K-INIT-minus-UNIFORM-INIT gap).
    """
    from scipy import stats

    corr = {}
    for scheme in ("ml100k-init", "ml100k-init-flip"):
        pair = summary[["ndcg_uniform", f"ndcg_{scheme}"]].dropna()
        corr[scheme] = float(stats.spearmanr(pair.iloc[:, 0], pair.iloc[:, 1]).statistic) if len(pair) >= 3 else float("nan")
    ndcg_gap = float((summary["ndcg_ml100k-init"] - summary["ndcg_uniform"]).mean())
    rmse_gap = float((summary["rmse_ml100k-init"] - summary["rmse_uniform"]).dropna().mean())
    random = summary[summary["recommender"] == "random"]
    random_gap = float((random["ndcg_ml100k-init"] - random["ndcg_uniform"]).iloc[0]) if len(random) else float("nan")
    control = float((summary["heldout_ndcg_ml100k-init"] - summary["ndcg_uniform"]).abs().mean())
    return [
        Claim("ch2.sampling.rank_stable", "ch2", "2.5 (Figures 2.3, 2.4)",
              "The ranking of recommenders by nDCG is robust to the rating sampling distribution",
              f"Spearman(nDCG UNIFORM-INIT, nDCG other scheme) >= {rank_corr_min} for both biased schemes",
              f"ML-100K-INIT {corr['ml100k-init']:.3f}, ML-100K-INIT-FLIP {corr['ml100k-init-flip']:.3f} "
              f"over {len(summary)} recommenders",
              all(np.isfinite(v) and v >= rank_corr_min for v in corr.values()), NO_DATA),
        Claim("ch2.sampling.init_overestimates", "ch2", "2.5 (Figures 2.3, 2.4)",
              "Offline metrics on ML-100K-INIT overestimate performance relative to UNIFORM-INIT "
              "(higher nDCG, Random's included; lower RMSE)",
              "mean nDCG gap > 0, Random's nDCG gap > 0, mean RMSE gap < 0 (ML-100K-INIT minus UNIFORM-INIT)",
              f"nDCG gap {ndcg_gap:+.4f}, Random's {random_gap:+.4f}, RMSE gap {rmse_gap:+.4f}",
              ndcg_gap > 0 and random_gap > 0 and rmse_gap < 0, NO_DATA),
        Claim("ch2.sampling.control_on_par", "ch2", "2.5",
              "Models trained on ML-100K-INIT and evaluated on held-out uniformly sampled pairs are on par "
              "with UNIFORM-INIT (the bias is in the evaluation, not the training data)",
              "mean |held-out nDCG (trained on ML-100K-INIT) - UNIFORM-INIT 5-fold nDCG| < mean ML-100K-INIT gap",
              f"mean absolute difference {control:.4f} vs gap {ndcg_gap:.4f}",
              np.isfinite(control) and control < abs(ndcg_gap), NO_DATA),
    ]


def online_claims(merged: pd.DataFrame, spearman: pd.DataFrame, *, toppop_static_max: float,
                  toppop_dynamic_min: float) -> list[Claim]:
    """Section 2.6 / Figures 2.1, 2.6, 2.8 from :func:`recdyn.sim.analysis.offline_online` and
    :func:`recdyn.sim.analysis.spearman_by_env`.

    * offline nDCG correlates positively and RMSE negatively with the online mean rating in every
      environment (Spearman across recommenders);
    * TopPop is on par with Random on topics-static (|difference of mean ratings| at most
      ``toppop_static_max``) and clearly above it on topics-dynamic (at least ``toppop_dynamic_min``);
    * AutoRec's online mean rating ranks better among the recommenders than its offline nDCG
      (topics-dynamic and topics-static).
    """
    claims = []
    signs = spearman.assign(ok=(spearman["spearman_ndcg"] > 0) & (spearman["spearman_rmse"] < 0))
    detail = "; ".join(f"{r.env}: nDCG {r.spearman_ndcg:+.2f} (n={r.n_ndcg}), RMSE {r.spearman_rmse:+.2f} (n={r.n_rmse})"
                       for r in signs.itertuples())
    claims.append(Claim("ch2.online.offline_predicts_online", "ch2", "2.6 (Figures 2.1, 2.6, 2.8)",
                        "Offline nDCG@20 correlates positively and RMSE negatively with online mean rating in every environment",
                        "Spearman(nDCG, mean rating) > 0 and Spearman(RMSE, mean rating) < 0 in every environment",
                        detail, bool(len(signs)) and bool(signs["ok"].all()), NO_DATA))

    def gap(env: str) -> float:
        table = merged[merged["env"] == env].set_index("recommender")["mean_rating"]
        if not {"toppop", "random"} <= set(table.index):
            return float("nan")
        return float(table["toppop"] - table["random"])

    static, dynamic = gap("topics-static"), gap("topics-dynamic")
    claims.append(Claim("ch2.online.toppop_vs_random", "ch2", "2.6 (Figures 2.1, 2.6)",
                        "TopPop is on par with Random on topics-static and clearly above it on topics-dynamic",
                        f"|TopPop - Random| <= {toppop_static_max} on topics-static; TopPop - Random >= "
                        f"{toppop_dynamic_min} on topics-dynamic (mean rating of recommended items)",
                        f"topics-static {static:+.3f}, topics-dynamic {dynamic:+.3f}",
                        np.isfinite(static) and np.isfinite(dynamic) and abs(static) <= toppop_static_max
                        and dynamic >= toppop_dynamic_min, NO_DATA))

    ranks = []
    for env in ("topics-dynamic", "topics-static"):
        table = merged[merged["env"] == env]
        if "autorec" not in set(table["recommender"]):
            continue
        online_rank = table["mean_rating"].rank(ascending=False)[table["recommender"] == "autorec"].iloc[0]
        offline_rank = table["ndcg"].rank(ascending=False)[table["recommender"] == "autorec"].iloc[0]
        ranks.append((env, int(online_rank), int(offline_rank), len(table)))
    claims.append(Claim("ch2.online.autorec_outperforms_offline", "ch2", "2.6 (Figures 2.1, 2.6)",
                        "AutoRec performs much better online than its offline nDCG indicates",
                        "AutoRec's rank by online mean rating is better than its rank by offline nDCG on "
                        "topics-dynamic and topics-static",
                        "; ".join(f"{env}: online rank {o} vs offline rank {f} of {n}" for env, o, f, n in ranks)
                        or "AutoRec not run online",
                        len(ranks) == 2 and all(o < f for _, o, f, _ in ranks), NO_DATA))
    return claims


def side_check_claims(autorec: pd.DataFrame, autorec_online: float, llorma: pd.DataFrame) -> list[Claim]:
    """Section 2.6's two side checks.

    * AutoRec trained on uniformly sampled ratings (200,000 in the thesis) and evaluated over a
      single step has a lower mean rating than AutoRec's online trials (``autorec_online``:
      mean rating of all items it recommended online in the same environment);
    * LLORMA's nDCG is higher when trained on all offline ratings than on the 80% of a fold.
    """
    single = float(autorec["mean_rating"].mean())
    spread = float(autorec["mean_rating"].std(ddof=1)) if len(autorec) > 1 else float("nan")
    name = str(llorma["recommender"].iloc[0]) if "recommender" in llorma.columns else "llorma"
    full = float(llorma.loc[llorma["train"] == "all", "ndcg"].iloc[0])
    part = float(llorma.loc[llorma["train"] == "fold", "ndcg"].iloc[0])
    return [
        Claim("ch2.check.autorec_uniform_single_step", "ch2", "2.6",
              "AutoRec trained on uniformly sampled ratings does worse over a single step than in its online trials",
              "single-step mean rating (mean over seeds) < online mean rating",
              f"single step {single:.3f} ± {spread:.3f} (sd over {len(autorec)} seeds) vs online {autorec_online:.3f}",
              np.isfinite(autorec_online) and single < autorec_online, NO_DATA),
        Claim("ch2.check.llorma_more_data", "ch2", "2.6",
              f"{name}'s nDCG increases when trained on all offline ratings instead of the 80% of a CV fold"
              + ("" if name == "llorma" else " (the thesis checks LLORMA; this preset runs the check on " + name + ")"),
              "held-out nDCG (all ratings) > held-out nDCG (80%)",
              f"{full:.4f} vs {part:.4f}", full > part, NO_DATA),
    ]
