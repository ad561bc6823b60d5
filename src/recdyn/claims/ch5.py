"""Chapter 5 claims: exposure games (theory of sections 5.2, 5.5, 5.6) and the pre-deployment audit
(sections 5.3, 5.7).

Two check functions, one per claims rule:

- :func:`theory_claims` reads the ``results/ch5_theory/*.json`` files of :mod:`recdyn.exposure.theory`
  (constructed games, no dataset): Theorem 3, Figure 5.2, Proposition 3, Figure 5.6, Theorem 4, Lemma 8
  and the hitting-set search;
- :func:`audit_claims` reads the sweep's per-run table ``results/ch5/audit/runs.parquet`` (columns of
  :func:`recdyn.exposure.sweep.run_sweep`): Figures 5.3-5.5 and the appendix' convergence and filtering
  statements.

Readings shared by the audit checks:

- *admitted* runs are the strategic PMF/NMF runs the second-order test did not reject ("confirmed" or
  "not ruled out", L4130-4132), as in the main-text figures;
- a comparison of two settings (d, tau, model, strategic vs baseline) takes the median of the admitted
  runs of each *unit* -- one recommender seed and game (n, tau, ...) -- and compares the units paired
  where both settings have one (they share the recommender seed), with the interval of
  :func:`recdyn.claims.stats.compare`; the thesis shows these gaps in figures without error bars, so a
  claim passes on the direction of the mean paired difference and the measured text says whether the
  gap is resolved;
- the gender findings rest on how gender relates to preferences in the real data: the MovieLens
  stand-in draws user gender independently of its planted ratings (``recdyn.data.synthetic.ml100k``), and
  the LastFM stand-in ties artist gender to listening only through a planted per-topic female share and
  a female-user affinity, not through real listening patterns; so those rows are ``untestable`` on the
  stand-ins (:meth:`ClaimSpec.on_real_data`) and pass or fail on the real datasets. Statements that
  follow from the gender *imbalance* alone (which both stand-ins reproduce: 71% male users, mostly male
  artists) are checked everywhere (``ch5_creator_curve_shape``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from recdyn.claims.core import NO_DATA, Claim
from recdyn.claims.registry import ClaimSpec, preset_lacks
from recdyn.claims.stats import Comparison, better, compare

CH = "ch5"
ML, LFM = "ml100k", "lastfm"
ADMIT = ("confirmed", "not ruled out")
MAIN_MODELS = ("pmf", "nmf")
#: The MovieLens gender findings rest on this property of the real data (the stand-in lacks it).
ML_GENDER = dict(dataset="MovieLens-100K", missing="the association of user gender with ratings")
#: The LastFM creator-gender findings rest on this property of the real data.
LFM_GENDER = dict(dataset="LastFM-360K", missing="the association of artist gender with users' listening")
#: Collapse onto c-bar in the game of Figure 5.2D: every producer within this distance of c-bar.
COLLAPSE_TOL_2D = 1e-3
#: Producers closer than this many degrees count as one strategy (Figure 5.2D).
SAME_DEG = 1.0
#: Theorem 4's tail: tau * eps_tau at most this fraction of its peak (the bound with eps = 1% of it).
EPS_FRACTION = 0.01
#: Filtering to confirmed equilibria "barely changes" a dataset when it removes at most this share.
NEGLIGIBLE_SHARE = 0.1
#: Figure 5.5's distance difference "reverts to zero": at most this fraction of its largest size (or unresolved).
REVERT_FRACTION = 0.25
#: The thesis' iteration cap of the sweep (L4130, L4982).
THESIS_MAX_ITER = 50_000

SPECS: tuple[ClaimSpec, ...] = (
    # ------------------------------------------------------------ section 5.2 / 5.5 / 5.6 (theory)
    ClaimSpec("ch5_theorem3_hardmax", CH, "5.2, 5.5 (Theorem 3 I, Figure 5.2A)", "L3887-3891, L4267-4275",
              "No PNE in the n = d = 2 hardmax game with three consumers 120 degrees apart",
              "qualitative; proof: every s1 has a reply with utility 2/3 (L4270-4272)",
              "best reply max_s1 u1(s1, s2) minimised over s2 on a circle grid"),
    ClaimSpec("ch5_theorem3_softmax", CH, "5.2, 5.5 (Theorem 3 II)", "L3887-3888, L4274-4297",
              "No PNE in the softmax game P_c = (2 d_e1 + d_e2)/3 (n = d = 2) for small tau: the only candidate "
              "c-bar is beaten",
              "u1(s1', c-bar) -> 2/3 as tau -> 0; c-bar not a PNE for all tau < tau_0 (L4295-4297)",
              "best defection against c-bar on a circle grid at each tau of the grid"),
    ClaimSpec("ch5_fig_5_2_quasiconcavity", CH, "5.2 (Figure 5.2 B, C)", "L3891-3895",
              "The exposure utility is not quasi-concave on the ball B^d", "qualitative",
              "utility of s1 along the slice between two consumers, others at the midpoint"),
    ClaimSpec("ch5_fig_5_2_tau_dependence", CH, "5.2 (Figure 5.2 D)", "L3916-3919",
              "A four-player non-negative game collapses onto c-bar at large tau and shows protective "
              "positioning (each producer between a consumer and the next closest producer) at small tau",
              "qualitative", "the finder's local equilibria of the four-player game at the smallest and largest tau"),
    ClaimSpec("ch5_fig_5_2_protective", CH, "5.2 (Figure 5.2 E)", "L3919-3921",
              "With n = 3 and consumers clustered around three centres, the PNE puts each producer close to a "
              "centre but offset towards the most contested consumers", "qualitative",
              "the finder's equilibrium started at the centres, its offsets and second-order label"),
    ClaimSpec("ch5_prop3_hardmax_median", CH, "5.5 (Proposition 3 I)", "L3902-3903, L4424-4434",
              "n = d = 2 non-negative hardmax games have a PNE (both producers at a median angle)",
              "qualitative (proof: any pair of median angles is a PNE)",
              "best deviation from the median profile in random games"),
    ClaimSpec("ch5_prop3_hardmax_d3", CH, "5.5 (Proposition 3 I)", "L3902-3903, L4435-4445",
              "No PNE for d = 3 non-negative hardmax games with the canonical basis as consumers",
              "qualitative", "best reply minimised over a grid of the orthant"),
    ClaimSpec("ch5_prop3_two_player", CH, "5.5 (Proposition 3 II)", "L3903-3913",
              "n = 2 non-negative softmax games: the only possible PNE is s1 = s2 = c-bar", "qualitative",
              "distance to c-bar of every converged finder run"),
    ClaimSpec("ch5_prop3_n4", CH, "5.5 (Proposition 3 II, Figure 5.6)", "L3913-3914, L4644-4663",
              "An n = 4 non-negative softmax game has a PNE other than c-bar",
              "symmetric PNE at theta* in (0, pi/4), tau = 1/4 (Figure 5.6)",
              "root of f(theta) and the best defection from the symmetric profile"),
    ClaimSpec("ch5_theorem4_epsilon", CH, "5.2, 5.5 (Theorem 4)", "L3941-3950, L4299-4371",
              "For any eps > 0 there is tau_0 such that c-bar is an eps-PNE with eps_tau <= eps / tau for all "
              "tau >= tau_0 (i.e. tau * eps_tau -> 0)", "qualitative (a limit statement)",
              "eps_tau = max_s1 u1(s1, c-bar, ...) - 1/n over a grid of tau"),
    ClaimSpec("ch5_lemma8_lp", CH, "5.5, 5.6 (Lemma 8, discretised LP)", "L4667-4683",
              "The uniform mixed strategy over three consumers 120 degrees apart is a mixed NE at tau = 0",
              "u_i(P_c, P_c) = 1/2 (L4679)", "LP of the game discretised on the circle, Lemma 9 test"),
    ClaimSpec("ch5_hitting_set", CH, "5.6 (finite support)", "L4948-4971",
              "The implicit hitting-set search finds a mixed NE with small support in Lemma 8's game",
              "qualitative", "hitting-set search with the Lemma 9 oracle"),
    # ------------------------------------------------------------ section 5.3 / 5.7 (audit)
    ClaimSpec("ch5_converged_all", CH, "5.3, 5.7", "L4128-4130, L4982-4983",
              "Every run of the sweep converged (parameter change below 1e-8 sqrt(d)) within the 50,000-step cap",
              "all runs converged within 50,000 steps",
              "share of strategic runs flagged converged within the preset's iteration cap"),
    ClaimSpec("ch5_collapse_tau1", CH, "5.3 (Figure 5.3)", "L4116-4118, L4136-4139",
              "At tau = 1 producers collapse onto c-bar (Theorem 4) on both datasets for every d and n",
              "qualitative (Figure 5.3: concentration already at tau = 1.0)",
              "admitted tau = 1 runs in one cluster within collapse_tol of c-bar, per dataset, d and n"),
    ClaimSpec("ch5_distinct_low_tau", CH, "5.3 (Figure 5.3)", "L4116-4118, L4136-4139",
              "Higher tau gives higher concentration of producers (fewer distinct strategies)",
              "qualitative (Figure 5.3)",
              "median fraction of distinct strategies of the admitted runs against tau, per setting"),
    ClaimSpec("ch5_local_clustering", CH, "5.3 (Figure 5.3)", "L4139-4140",
              "Lower tau can lead to local clustering: only a few producers converge onto the same strategy",
              "qualitative", "admitted runs at tau < 1 with more than one cluster and fewer clusters than producers"),
    ClaimSpec("ch5_bias_dim", CH, "5.3 (Figure 5.4 left)", "L4153-4156, L4182-4184",
              "Strategic content is biased towards men (delta of median max normalised rating > 0), more so "
              "at d = 50 than at d = 3, for PMF and NMF (MovieLens)",
              "qualitative (Figure 5.4 left; users 71% male)",
              "median delta_max_rating of the admitted runs per recommender seed, largest vs smallest d"),
    ClaimSpec("ch5_nmf_vs_baseline", CH, "5.3 (Figure 5.4 left)", "L4157",
              "NMF incentivises more biased content relative to the pre-adaptation baseline 'b' (MovieLens)",
              "qualitative (Figure 5.4 left)",
              "NMF delta_max_rating, strategic minus baseline, paired on recommender seed, d and n"),
    ClaimSpec("ch5_best_share_dim", CH, "5.3 (Figure 5.4 right)", "L4158-4160, L4180-4184",
              "More strategic items are best-rated by men than by women (delta of shares > 0), more so at "
              "d = 50, for PMF and NMF (MovieLens)", "qualitative (Figure 5.4 right)",
              "median delta_best_share of the admitted runs per recommender seed, largest vs smallest d"),
    ClaimSpec("ch5_nmf_vs_pmf", CH, "5.3 (Figure 5.4)", "L4185",
              "NMF consistently incentivises more biased content than PMF (MovieLens)",
              "qualitative (Figure 5.4, both panels)",
              "NMF minus PMF on both Figure 5.4 metrics, paired on recommender seed, d, n and tau"),
    ClaimSpec("ch5_creator_bias_dim", CH, "5.3 (Figure 5.5 left)", "L4196, L4201-4202, L4209",
              "Higher d gives content more typical of male creators (difference of male and female fractions "
              "in the neighbourhoods, LastFM)", "qualitative (Figure 5.5 left)",
              "frac_diff averaged over neighbourhood sizes, largest vs smallest d, per model"),
    ClaimSpec("ch5_creator_bias_tau", CH, "5.3 (Figure 5.5 left)", "L4202-4203",
              "The bias towards male creators is larger at higher tau (LastFM)", "qualitative (Figure 5.5 left)",
              "frac_diff averaged over neighbourhood sizes, highest vs lowest admitted tau"),
    ClaimSpec("ch5_creator_bias_pmf", CH, "5.3 (Figure 5.5 left)", "L4203, L4212-4214",
              "PMF gives more bias towards male creators than NMF, especially at high temperature (LastFM)",
              "qualitative (Figure 5.5 left)",
              "frac_diff averaged over neighbourhood sizes, PMF minus NMF, overall and at the highest tau"),
    ClaimSpec("ch5_creator_dist_bias", CH, "5.3 (Figure 5.5 right)", "L4203-4207",
              "The distance-based bias towards male creators is higher at higher d and for PMF (LastFM)",
              "qualitative (Figure 5.5 right)",
              "dist_diff averaged over neighbourhood sizes, largest vs smallest d and PMF vs NMF"),
    ClaimSpec("ch5_creator_curve_shape", CH, "5.3 (Figure 5.5)", "L4209-4212",
              "As the neighbourhood grows, the male-female fraction difference stabilises at a positive value "
              "while the median-distance difference reverts to zero (gender imbalance of LastFM)",
              "qualitative (Figure 5.5)",
              "frac_diff and dist_diff at the largest neighbourhood across admitted runs"),
    ClaimSpec("ch5_confirmed_filter", CH, "5.7 (Figures 5.7, 5.8)", "L5014-5020",
              "Keeping only confirmed equilibria barely changes the LastFM results but non-negligibly reduces "
              "the number of admitted MovieLens runs", "qualitative",
              "share of admitted runs that are only 'not ruled out' (removed by the filter), per dataset"),
)
_SPEC = {s.claim_id: s for s in SPECS}
#: Rows of :func:`theory_claims` (rule claims_ch5_theory) and of :func:`audit_claims` (rule claims_ch5_audit).
THEORY_IDS = tuple(s.claim_id for s in SPECS if not s.section.startswith(("5.3", "5.7")))
AUDIT_IDS = tuple(s.claim_id for s in SPECS if s.section.startswith(("5.3", "5.7")))


def _spec(claim_id: str) -> ClaimSpec:
    return _SPEC[claim_id]


def _fmt(x: float, digits: int = 4) -> str:
    return "nan" if not np.isfinite(x) else f"{x:+.{digits}f}"


# ============================================================================ theory (sections 5.2, 5.5, 5.6)


def _angles(points: np.ndarray) -> np.ndarray:
    points = np.asarray(points, dtype=float)
    return np.rad2deg(np.arctan2(points[..., 1], points[..., 0])) % 360.0


def _gap(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Signed angular difference ``b - a`` in degrees, in [-180, 180)."""
    return (np.asarray(b) - np.asarray(a) + 180.0) % 360.0 - 180.0


def protective_positions(s: np.ndarray, consumers: np.ndarray) -> np.ndarray:
    """Per producer: does it sit strictly between its nearest consumer and its nearest other producer
    (angle-wise, Figure 5.2D's "protective positioning"), the other producer at least ``SAME_DEG`` away?"""
    a, c = _angles(s), _angles(consumers)
    to_c = _gap(a[:, None], c[None, :])  # (n, m)
    near_c = to_c[np.arange(len(a)), np.abs(to_c).argmin(1)]
    to_p = _gap(a[:, None], a[None, :])
    np.fill_diagonal(to_p, np.inf)
    near_p = to_p[np.arange(len(a)), np.abs(to_p).argmin(1)]
    distinct = np.abs(near_p) >= SAME_DEG
    # s_i between c and p: the consumer and the producer lie on opposite sides of s_i (or s_i on c)
    between = (np.sign(near_c) != np.sign(near_p)) | (np.abs(near_c) < 1e-9)
    return distinct & between


def _tau_dependence(d: Mapping[str, Any]) -> Claim:
    spec = _spec("ch5_fig_5_2_tau_dependence")
    runs = {run["tau"]: run for run in d["runs"]}
    small, large = runs[min(runs)], runs[max(runs)]
    s_small, s_large = (np.asarray(r["s"])[r["picked"]] for r in (small, large))
    cbar = np.asarray(d["c_bar"])
    collapse = float(np.linalg.norm(s_large - cbar, axis=-1).max())
    protect = protective_positions(s_small, np.asarray(d["consumers"]))
    labels = [r["test"][r["picked"]] for r in (small, large)]
    ok = collapse <= COLLAPSE_TOL_2D and bool(protect.all()) and "rejected" not in labels
    measured = (f"tau={large['tau']:g}: max ||s_i - c-bar|| = {collapse:.1e} ({labels[1]}); tau={small['tau']:g}: "
                f"producers at {np.round(np.sort(_angles(s_small)), 2).tolist()} deg ({labels[0]}), "
                f"{int(protect.sum())} of {len(protect)} between a consumer and a distinct nearest producer")
    return spec.claim(
        expectation=(f"largest tau: every producer within {COLLAPSE_TOL_2D:g} of c-bar; smallest tau: every producer "
                     f"strictly between its nearest consumer and its nearest other producer (at least {SAME_DEG:g} "
                     "degree away); neither profile rejected by the second-order test"),
        measured=measured, ok=ok, data=NO_DATA,
        reason="" if ok else ("at the smallest tau the producers do not all take protective positions (some coincide "
                              "or are not between a consumer and another producer)" if not protect.all() else
                              "the large-tau profile is not collapsed onto c-bar or a profile is rejected"))


def _protective_n3(e: Mapping[str, Any]) -> Claim:
    spec = _spec("ch5_fig_5_2_protective")
    run, centers = e["run"], np.asarray(e["centers_deg"], dtype=float)
    k = run["picked"]
    offset = np.asarray(run["offset_deg"])[k]
    gaps = _gap(centers[:, None], centers[None, :])
    np.fill_diagonal(gaps, np.inf)
    nearest = np.abs(gaps).min(1)
    close = np.abs(offset) < nearest / 2  # each producer nearest its own centre
    # towards the nearest other centre; with two equally near centres either direction counts
    tie = (np.isclose(np.abs(gaps), nearest[:, None])).sum(1) > 1
    toward = np.asarray(run["offset_towards_neighbour"])[k] | tie
    label = run["test"][k]
    ok = bool(close.all() and toward.all() and label != "rejected")
    failed = [part for part, bad in (("not every producer is nearest its own centre", not close.all()),
                                     ("an offset points away from the nearest other cluster", not toward.all()),
                                     ("the second-order test rejects the profile", label == "rejected")) if bad]
    return spec.claim(
        expectation="each producer within half the gap to the nearest other centre, offset towards the nearest other "
                    "cluster (either way for a centre with two equally near neighbours), profile not rejected by the "
                    "second-order test",
        measured=(f"offsets {np.round(offset, 2).tolist()} deg from centres {centers.tolist()} (half-gaps "
                  f"{(nearest / 2).tolist()}), towards neighbour {toward.tolist()}, test: {label}"),
        ok=ok, data=NO_DATA, reason="; ".join(failed))


def _theorem4(t4: Sequence[Mapping[str, float]], tol: float) -> Claim:
    """Finite-grid reading of Theorem 4: some grid tau_0 below the largest tau after which tau * eps_tau stays at
    most ``EPS_FRACTION`` of its peak (the bound eps_tau <= eps / tau with eps that small, for every tau >= tau_0),
    and eps_tau > 0 at the smallest tau (so the bound is not vacuous on this grid)."""
    spec = _spec("ch5_theorem4_epsilon")
    taus = np.array([row["tau"] for row in t4], dtype=float)
    eps = np.array([row["epsilon"] for row in t4], dtype=float)
    te = taus * eps
    bound = max(EPS_FRACTION * te.max(), tol)
    above = np.nonzero(te > bound)[0]
    start = above[-1] + 1 if len(above) else 0  # first index of the tail below the bound
    ok = bool(eps[0] > tol and start <= len(taus) - 2)
    tau0 = taus[start] if start < len(taus) else float("nan")
    return spec.claim(
        expectation=(f"eps_tau > 0 at the smallest tau, and a tau_0 below the largest grid tau with tau * eps_tau <= "
                     f"{EPS_FRACTION:g} x its peak for every tau >= tau_0 (eps_tau <= eps / tau with eps = that "
                     "value)"),
        measured="; ".join(f"tau={t:g}: eps={e:.2e}" for t, e in zip(taus, eps)) + f"; tail from tau_0 = {tau0:g}",
        ok=ok, data=NO_DATA,
        reason="" if ok else "tau * eps_tau does not settle below the bound on the grid's tail, or eps = 0 everywhere")


def theory_claims(hard: Mapping[str, Any], soft: Mapping[str, Any], fig56: Mapping[str, Any],
                  panels: Mapping[str, Mapping[str, Any]], tol: float = 1e-6) -> list[Claim]:
    """Claims of sections 5.2, 5.5 and 5.6 from the ``results/ch5_theory`` files: ``hard``/``soft`` are the
    hardmax/softmax checks, ``fig56`` Figure 5.6, ``panels`` the Figure 5.2 panels "bc", "d" and "e"."""
    lp, t3rows = hard["lp"], soft["theorem3"]["rows"]
    beaten = [row["best_grid_defection"] > 0.5 + tol for row in t3rows]
    prefix = beaten == sorted(beaten, reverse=True)  # beaten below some tau_0, not above
    p2 = soft["prop3_two_player"]
    conv = [dist for dist, ok in zip(p2["max_distance_to_c_bar"], p2["converged"]) if ok]
    dips = panels["bc"]["endpoint_minus_midpoint"]
    hs, gains = hard["hitting_set"], hard["prop3_median_max_gain"]
    lemma8_ok = (abs(lp["value"] - 0.5) < tol and abs(lp["pc_min_payoff"] - 0.5) < tol
                 and lp["distance_to_pc_l1"] < 1e-6 and hard["lemma9_uniform"]["is_equilibrium"]
                 and hard["lemma9_lp"]["is_equilibrium"] and not hard["lemma9_perturbed"]["is_equilibrium"])
    root = fig56.get("theta_star")
    return [
        _spec("ch5_theorem3_hardmax").claim(
            expectation="min over s2 of the best reply max_s1 u1(s1, s2) > 1/2 (grid)",
            measured=f"{hard['theorem3_hardmax_min_best_reply']:.4f}",
            ok=hard["theorem3_hardmax_min_best_reply"] > 0.5 + tol, data=NO_DATA),
        _spec("ch5_theorem3_softmax").claim(
            expectation=(f"best defection against c-bar > 1/2 at the smallest tau ({t3rows[0]['tau']:g}), and the taus "
                         "where c-bar is beaten form the lower end of the grid (tau < tau_0)"),
            measured="; ".join(f"tau={row['tau']:g}: {row['best_grid_defection']:.4f}" for row in t3rows),
            ok=beaten[0] and prefix, data=NO_DATA),
        _spec("ch5_fig_5_2_quasiconcavity").claim(
            expectation="both slice end points beat the midpoint, u1(0), u1(1) > u1(1/2), for every tau",
            measured="; ".join(f"tau={t}: {v:.4f}" for t, v in dips.items()), ok=all(v > tol for v in dips.values()),
            data=NO_DATA),
        _tau_dependence(panels["d"]),
        _protective_n3(panels["e"]),
        _spec("ch5_prop3_hardmax_median").claim(
            expectation="best deviation from the median profile <= 1/2 in every random game",
            measured=f"max {max(gains):.4f} over {len(gains)} games", ok=max(gains) <= 0.5 + tol, data=NO_DATA),
        _spec("ch5_prop3_hardmax_d3").claim(
            expectation="min over s2 of the best reply > 1/2 (grid of the orthant)",
            measured=f"{hard['prop3_d3_min_best_reply']:.4f} on {hard['prop3_d3_grid_points']} points",
            ok=hard["prop3_d3_min_best_reply"] > 0.5 + tol, data=NO_DATA),
        _spec("ch5_prop3_two_player").claim(
            expectation="at least one finder run converged and every converged run ends within 1e-3 of c-bar",
            measured=(f"{len(conv)} of {len(p2['converged'])} runs converged, max distance "
                      f"{max(conv) if conv else float('nan'):.2e}"),
            ok=bool(conv) and max(conv) < 1e-3, data=NO_DATA),
        _spec("ch5_prop3_n4").claim(
            expectation=f"f has a root theta* in (0, pi/4) at tau = {fig56['tau']} and no defection gains",
            measured=(f"theta* = {root:.4f}, best defection gain {fig56['best_defection_gain']:.2e}"
                      if root is not None else "no root"),
            ok=root is not None and 0 < root < np.pi / 4 and fig56["best_defection_gain"] <= tol, data=NO_DATA),
        _theorem4(soft["theorem4"]["rows"], tol),
        _spec("ch5_lemma8_lp").claim(
            expectation="LP value 1/2, P_c optimal, LP solution = P_c (l1 < 1e-6), Lemma 9 accepts it and rejects a "
                        "perturbation",
            measured=(f"value {lp['value']:.6f}, l1 to P_c {lp['distance_to_pc_l1']:.1e}, Lemma 9: "
                      f"{hard['lemma9_uniform']['is_equilibrium']}/{hard['lemma9_lp']['is_equilibrium']}, perturbed "
                      f"best reply {hard['lemma9_perturbed']['best_reply']:.4f}"),
            ok=bool(lemma8_ok), data=NO_DATA),
        _spec("ch5_hitting_set").claim(
            expectation="found, certified by the Lemma 9 test",
            measured=(f"found={hs['found']} after {hs['iterations']} rounds, support "
                      f"{[round(a, 1) for a in hs['support_angles']]}"),
            ok=bool(hs["found"]), data=NO_DATA),
    ]


# ============================================================================ audit (sections 5.3, 5.7)


def strategic(runs: pd.DataFrame, models: Sequence[str] = MAIN_MODELS) -> pd.DataFrame:
    """Strategic runs of ``models``."""
    return runs[(runs["kind"] == "strategic") & runs["model"].isin(list(models))]


def admitted(runs: pd.DataFrame, admit: Sequence[str] = ADMIT, models: Sequence[str] = MAIN_MODELS) -> pd.DataFrame:
    """Strategic runs of ``models`` whose second-order label is in ``admit``."""
    sub = strategic(runs, models)
    return sub[sub["label"].isin(list(admit))]


def curve_mean(runs: pd.DataFrame, prefix: str) -> pd.Series:
    """Per run, the mean of ``<prefix>_k<k>`` over the neighbourhood sizes (Figure 5.5's curve), NaN ignored."""
    cols = [c for c in runs.columns if c.startswith(f"{prefix}_k")]
    return runs[cols].mean(axis=1, skipna=True) if cols else pd.Series(np.nan, index=runs.index)


def paired_setting(table: pd.DataFrame, value: str, by: str, a: Any, b: Any, units: Sequence[str]) -> Comparison:
    """``a - b`` of column ``by``: medians of ``value`` per unit (``units`` columns), compared paired over the
    units that have both settings."""
    cells = table.groupby([*units, by])[value].median().unstack(by)
    if a not in cells or b not in cells:
        return compare([], [], paired=True)
    both = cells[[a, b]].dropna()
    return compare(both[a].to_numpy(), both[b].to_numpy(), paired=True)


def _collapse(runs: pd.DataFrame, tol: float, data: str, preset: str) -> Claim:
    spec = _spec("ch5_collapse_tau1")
    strat = strategic(runs)
    if not np.isclose(strat["tau"], 1.0).any():
        return spec.untestable(reason=preset_lacks(preset, "the tau = 1 games of the sweep"), data=data)
    adm = admitted(runs)
    at1 = adm[np.isclose(adm["tau"], 1.0)].assign(collapsed=lambda t: (t["distinct"] == 1) & (t["dist_cbar"] <= tol))
    cells = strat[["dataset", "d", "n"]].drop_duplicates().sort_values(["dataset", "d", "n"])
    counts = at1.groupby(["dataset", "d", "n"])["collapsed"].agg(["sum", "size"])
    counts = counts.reindex(pd.MultiIndex.from_frame(cells), fill_value=0)
    ok = bool(len(counts) and (counts["size"] > 0).all() and (counts["sum"] == counts["size"]).all())
    parts = [f"{ds} d={d} n={n}: {int(r['sum'])}/{int(r['size'])}" for (ds, d, n), r in counts.iterrows()]
    return spec.claim(expectation=f"every (dataset, d, n) has admitted tau = 1 runs, all in one cluster within {tol:g} "
                                  "of c-bar", measured="; ".join(parts) or "no runs", ok=ok, data=data,
                      reason="" if ok else ("some (dataset, d, n) has tau = 1 runs not collapsed onto c-bar, or none "
                                            "admitted"))


def _concentration(runs: pd.DataFrame, data: str) -> Claim:
    """Per setting (dataset, model, d, n) the median fraction of distinct strategies must not rise with tau."""
    spec = _spec("ch5_distinct_low_tau")
    med = admitted(runs).groupby(["dataset", "model", "d", "n", "tau"])["distinct_frac"].median()
    parts, ok = [], True
    for dataset in (ML, LFM):
        sub = med[med.index.get_level_values("dataset") == dataset] if len(med) else med
        curves = [g.droplevel(["dataset", "model", "d", "n"]).sort_index() for _, g in sub.groupby(level=[1, 2, 3])]
        curves = [c for c in curves if len(c) >= 2]
        mono = [bool((np.diff(c.to_numpy()) <= 1e-9).all()) for c in curves]
        drop = [bool(c.iloc[-1] < c.iloc[0]) for c in curves]
        ok &= bool(curves) and all(mono) and any(drop)
        parts.append(f"{dataset}: {sum(mono)} of {len(curves)} settings non-increasing, {sum(drop)} strictly lower at "
                     "the highest than at the lowest admitted tau")
    return spec.claim(expectation="on both datasets, in every setting (model, d, n) with admitted runs at two or more "
                                  "taus, the median fraction of distinct strategies is non-increasing in tau over all "
                                  "those taus, and strictly lower at the highest tau in at least one setting",
                      measured="; ".join(parts), ok=ok, data=data,
                      reason="" if ok else ("some setting has more distinct strategies at a higher tau, or no setting "
                                            "spans two taus"))


def _local_clustering(runs: pd.DataFrame, data: str) -> Claim:
    spec = _spec("ch5_local_clustering")
    adm = admitted(runs)
    low = adm[adm["tau"] < 1.0 - 1e-12]
    local = (low["distinct"] > 1) & (low["distinct"] < low["n"])
    share = local.groupby(low["dataset"]).agg(["sum", "size"]).reindex([ML, LFM], fill_value=0)
    ok = bool((share["sum"] > 0).all())
    parts = [f"{ds}: {int(r['sum'])} of {int(r['size'])} admitted tau < 1 runs" for ds, r in share.iterrows()]
    return spec.claim(expectation="on both datasets, some admitted run at tau < 1 has 1 < clusters < n (a few "
                                  "producers share a strategy, several clusters remain)",
                      measured="; ".join(parts), ok=ok, data=data,
                      reason="" if ok else "a dataset has no admitted low-tau run with local clusters")


def _converged(runs: pd.DataFrame, cfg: Mapping[str, Any], data: str, preset: str) -> Claim:
    spec = _spec("ch5_converged_all")
    strat = strategic(runs, models=sorted(runs["model"].unique()))
    conv = strat["converged"].astype(bool)
    cap, steps = cfg["sweep"]["max_iter"], cfg["sweep"]["step_sizes"]
    by_tau = conv.groupby(strat["tau"]).mean()
    ok = bool(len(conv) and conv.all())
    measured = (f"{int(conv.sum())} of {len(conv)} strategic runs ({100 * conv.mean():.0f}%) converged within the "
                f"{preset} preset's cap of {cap} iterations (step sizes {steps}); by tau: "
                + ", ".join(f"{t:g}: {100 * v:.0f}%" for t, v in by_tau.items()))
    return spec.claim(expectation=f"100% of strategic runs converged (thesis: cap {THESIS_MAX_ITER}, step sizes "
                                  "0.01 and 0.1; here: the preset's cap)", measured=measured, ok=ok, data=data,
                      reason="" if ok else (f"{int((~conv).sum())} of {len(conv)} runs stopped at the {preset} "
                                            f"preset's cap of {cap} iterations without converging"))


def _confirmed_filter(runs: pd.DataFrame, data: str) -> Claim:
    spec = _spec("ch5_confirmed_filter")
    adm = admitted(runs)
    removed = (adm["label"] != "confirmed").groupby(adm["dataset"]).agg(["mean", "sum", "size"])
    removed = removed.reindex([ML, LFM])
    ml, lfm = removed.loc[ML, "mean"], removed.loc[LFM, "mean"]
    ok = bool(lfm <= NEGLIGIBLE_SHARE < ml)
    parts = [f"{ds}: {int(r['sum']) if np.isfinite(r['sum']) else 0} of "
             f"{int(r['size']) if np.isfinite(r['size']) else 0} admitted runs removed" for ds, r in removed.iterrows()]
    return spec.claim(expectation=f"the filter removes at most {100 * NEGLIGIBLE_SHARE:.0f}% of LastFM's admitted runs "
                                  f"and more than {100 * NEGLIGIBLE_SHARE:.0f}% of MovieLens'",
                      measured="; ".join(parts), ok=ok, data=data,
                      reason="" if ok else ("the filter removes a negligible share of MovieLens runs (few or no runs "
                                            "are 'not ruled out', i.e. have an exactly zero tangent eigenvalue)"
                                            if not ml > NEGLIGIBLE_SHARE else "the filter removes many LastFM runs"))


def _dim_effect(adm: pd.DataFrame, value: str, units: Sequence[str]) -> dict[str, Comparison]:
    """Per model: largest d minus smallest d of ``value`` (unit medians, paired)."""
    d_lo, d_hi = adm["d"].min(), adm["d"].max()
    return {m: paired_setting(adm[adm["model"] == m], value, "d", d_hi, d_lo, units) for m in MAIN_MODELS}


def _gender_dim(runs: pd.DataFrame, claim_id: str, value: str, data: str) -> Claim:
    """Figure 5.4: ``value`` > 0 at the largest d and larger there than at the smallest d, PMF and NMF."""
    spec = _spec(claim_id)
    adm = admitted(runs)
    adm = adm[adm["dataset"] == ML]
    d_lo, d_hi = (adm["d"].min(), adm["d"].max()) if len(adm) else (np.nan, np.nan)
    top = adm[adm["d"] == d_hi].groupby("model")[value].median()
    effect = _dim_effect(adm, value, ["seed", "n", "tau"])
    ok = all(top.get(m, np.nan) > 0 and better(effect[m]) for m in MAIN_MODELS)
    measured = "; ".join(f"{m}: median {_fmt(top.get(m, np.nan))} at d={d_hi}, d={d_hi} minus d={d_lo}: "
                         f"{effect[m].text()}" for m in MAIN_MODELS)
    return spec.on_real_data(data=data, **ML_GENDER, measured=measured, ok=ok,
                             expectation=f"for PMF and NMF: median {value} of the admitted runs > 0 at the largest d, "
                                         "and the paired difference (largest minus smallest d) > 0")


def _nmf_vs_baseline(runs: pd.DataFrame, data: str) -> Claim:
    spec = _spec("ch5_nmf_vs_baseline")
    ml = runs[(runs["dataset"] == ML) & (runs["model"] == "nmf")]
    table = pd.concat([admitted(ml, models=["nmf"]), ml[ml["kind"] == "baseline"]])
    cmp = paired_setting(table, "delta_max_rating", "kind", "strategic", "baseline", ["seed", "d", "n"])
    return spec.on_real_data(data=data, **ML_GENDER, ok=better(cmp),
                             expectation="NMF delta_max_rating, strategic minus baseline (unit medians paired on seed, "
                                         "d, n) > 0", measured=f"strategic minus baseline: {cmp.text()}")


def _nmf_vs_pmf(runs: pd.DataFrame, data: str) -> Claim:
    spec = _spec("ch5_nmf_vs_pmf")
    adm = admitted(runs)
    adm = adm[adm["dataset"] == ML]
    parts, ok = [], True
    for value in ("delta_max_rating", "delta_best_share"):
        overall = paired_setting(adm, value, "model", "nmf", "pmf", ["seed", "d", "n", "tau"])
        per_d = {d: paired_setting(adm[adm["d"] == d], value, "model", "nmf", "pmf", ["seed", "n", "tau"])
                 for d in sorted(adm["d"].unique())}
        ok &= better(overall) and all(better(c) for c in per_d.values())
        parts.append(f"{value}: all {overall.text()}; " + "; ".join(f"d={d} {_fmt(c.diff)} (n={c.n})"
                                                                    for d, c in per_d.items()))
    return spec.on_real_data(data=data, **ML_GENDER, ok=ok, measured=" | ".join(parts),
                             expectation="NMF minus PMF > 0 on both Figure 5.4 metrics (delta_max_rating, "
                                         "delta_best_share), pooled and at every d (unit medians paired on seed, d, "
                                         "n, tau)")


def _lastfm_admitted(runs: pd.DataFrame) -> pd.DataFrame:
    adm = admitted(runs)
    adm = adm[adm["dataset"] == LFM]
    return adm.assign(frac_mean=curve_mean(adm, "frac_diff"), dist_mean=curve_mean(adm, "dist_diff"))


def _creator_dim(adm: pd.DataFrame, data: str) -> Claim:
    effect = _dim_effect(adm, "frac_mean", ["seed", "n", "tau"])
    ok = all(better(effect[m]) for m in MAIN_MODELS)
    return _spec("ch5_creator_bias_dim").on_real_data(
        data=data, **LFM_GENDER, ok=ok, measured="; ".join(f"{m}: {effect[m].text()}" for m in MAIN_MODELS),
        expectation="for PMF and NMF, mean frac_diff over neighbourhood sizes, largest minus smallest d (unit medians "
                    "paired on seed, n, tau) > 0")


def _creator_tau(adm: pd.DataFrame, data: str) -> Claim:
    taus = sorted(adm["tau"].unique())
    cmp = (paired_setting(adm, "frac_mean", "tau", taus[-1], taus[0], ["model", "d", "seed", "n"]) if len(taus) >= 2
           else compare([], [], paired=True))
    lo, hi = (taus[0], taus[-1]) if taus else (np.nan, np.nan)
    return _spec("ch5_creator_bias_tau").on_real_data(
        data=data, **LFM_GENDER, ok=better(cmp), measured=f"tau={hi:g} minus tau={lo:g}: {cmp.text()}",
        expectation="mean frac_diff over neighbourhood sizes, highest minus lowest admitted tau (unit medians paired "
                    "on model, d, seed, n) > 0")


def _creator_pmf(adm: pd.DataFrame, data: str) -> Claim:
    overall = paired_setting(adm, "frac_mean", "model", "pmf", "nmf", ["seed", "d", "n", "tau"])
    top = adm[adm["tau"] == adm["tau"].max()] if len(adm) else adm
    hot = paired_setting(top, "frac_mean", "model", "pmf", "nmf", ["seed", "d", "n"])
    return _spec("ch5_creator_bias_pmf").on_real_data(
        data=data, **LFM_GENDER, ok=better(overall) and better(hot),
        measured=f"PMF minus NMF: all taus {overall.text()}; highest tau {hot.text()}",
        expectation="mean frac_diff over neighbourhood sizes, PMF minus NMF (unit medians paired on seed, d, n, tau) "
                    "> 0, and > 0 at the highest tau")


def _creator_dist(adm: pd.DataFrame, data: str) -> Claim:
    effect = _dim_effect(adm, "dist_mean", ["seed", "n", "tau"])
    model = paired_setting(adm, "dist_mean", "model", "pmf", "nmf", ["seed", "d", "n", "tau"])
    ok = all(better(effect[m]) for m in MAIN_MODELS) and better(model)
    return _spec("ch5_creator_dist_bias").on_real_data(
        data=data, **LFM_GENDER, ok=ok,
        measured="; ".join(f"{m} largest minus smallest d: {effect[m].text()}" for m in MAIN_MODELS)
        + f"; PMF minus NMF: {model.text()}",
        expectation="mean dist_diff over neighbourhood sizes larger at the largest d (PMF and NMF) and for PMF than "
                    "NMF (unit medians, paired)")


def _creator_shape(adm: pd.DataFrame, data: str, preset: str) -> Claim:
    """Largest neighbourhood: the fraction difference is resolved above zero; the distance difference is smaller in
    size than at the neighbourhood where it is largest, and either not resolved away from zero or at most
    ``REVERT_FRACTION`` of that largest size (units: medians per model, d, n, tau and seed)."""
    spec = _spec("ch5_creator_curve_shape")
    sizes = sorted(int(c.split("_k")[1]) for c in adm.columns if c.startswith("dist_diff_k") and adm[c].notna().any())
    if not sizes and len(adm):  # every neighbourhood larger than the stand-in's gendered creators
        return spec.untestable(reason=preset_lacks(preset, "Figure 5.5's neighbourhood measures"), data=data)
    if not sizes:
        return spec.claim(expectation=spec.measure, measured="no admitted LastFM runs", ok=False, data=data,
                          reason="no LastFM run was admitted by the second-order test")
    cells = adm.groupby(["model", "d", "n", "tau", "seed"])
    frac = cells[f"frac_diff_k{sizes[-1]}"].median().to_numpy()
    dist = cells[[f"dist_diff_k{k}" for k in sizes]].median()
    last = compare(frac, np.zeros_like(frac), paired=True)
    revert = compare(dist.iloc[:, -1].to_numpy(), np.zeros(len(dist)), paired=True)
    peak = float(dist.mean().abs().max())
    size = abs(revert.diff)
    positive = bool(last.low > 0)
    back = bool(size < peak and (not revert.resolved or size <= REVERT_FRACTION * peak))
    failed = [part for part, good in (("the fraction difference is not resolved above zero", positive),
                                      ("the distance difference is not back at zero", back)) if not good]
    return spec.claim(
        expectation=("at the largest neighbourhood: frac_diff > 0 with its interval above zero; dist_diff's mean "
                     "smaller in size than its largest mean over neighbourhoods, and either its interval contains zero "
                     f"or it is at most {REVERT_FRACTION:g} x that largest mean"),
        measured=(f"k={sizes[-1]}: frac_diff {last.text()}; dist_diff {revert.text()} (largest |mean| over k: "
                  f"{peak:.4f})"), ok=positive and back, data=data,
        reason="; ".join(failed) + f" at the largest neighbourhood (k={sizes[-1]})" if failed else "")


def audit_claims(runs: pd.DataFrame, cfg: Mapping[str, Any], data: Callable[[list[str]], str],
                 preset: str) -> list[Claim]:
    """The section 5.3 / 5.7 claims from the sweep's runs table; ``cfg`` is the ``ch5_audit`` configuration,
    ``data(datasets)`` labels the data a claim was measured on, ``preset`` names the preset."""
    both, ml, lfm = data([ML, LFM]), data([ML]), data([LFM])
    ladm = _lastfm_admitted(runs)
    return [
        _converged(runs, cfg, both, preset),
        _collapse(runs, cfg["claims"]["collapse_tol"], both, preset),
        _concentration(runs, both),
        _local_clustering(runs, both),
        _gender_dim(runs, "ch5_bias_dim", "delta_max_rating", ml),
        _nmf_vs_baseline(runs, ml),
        _gender_dim(runs, "ch5_best_share_dim", "delta_best_share", ml),
        _nmf_vs_pmf(runs, ml),
        _creator_dim(ladm, lfm),
        _creator_tau(ladm, lfm),
        _creator_pmf(ladm, lfm),
        _creator_dist(ladm, lfm),
        _creator_shape(ladm, lfm, preset),
        _confirmed_filter(runs, both),
    ]
