"""Claims of the data layer (the datasets the thesis' experiments rest on), checked on whatever data
the run used (real or stand-in; the row's ``data`` says which).

Why no row here is ``untestable`` on a synthetic stand-in: each checks a property the stand-in was
built to have. The ML-100K stand-in (:mod:`recdyn.data.synthetic.ml100k`) is written with the real
shape (943 x 1,682, 100,000 ratings, at least 20 a user) and a planted low-rank model a libFM fit
can learn; the AmazonCat stand-in (:mod:`recdyn.data.synthetic.amazoncat`) plants 97.5% of items
in the 100 main categories so that fewer than 5% are uncovered. On a stand-in these rows check the
pipeline's loaders, summaries and fit; on the real files, the thesis' statement itself.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pandas as pd

from recdyn.claims.core import Claim, data_label
from recdyn.claims.registry import ClaimSpec

#: ML-100K's shape (GroupLens README of the dataset the thesis cites as [90]).
ML100K_SHAPE = {"users": 943, "items": 1682, "ratings": 100_000, "min_ratings_per_user": 20}

SPECS: tuple[ClaimSpec, ...] = (
    ClaimSpec("data.ml100k.size", "data", "2.3, 5.3", "L414-417, L4115",
              "ML-100K (MovieLens 100K [90]) has 943 users, 1,682 items and 100,000 ratings, each user "
              "with at least 20",
              "943 users (L4115, 'the full 943'); 1,682 items, 100,000 ratings, >= 20 a user: the dataset [90]",
              "users, items, ratings and the fewest ratings of a user in the processed ml100k"),
    ClaimSpec("data.ml100k_env.beats_global_mean", "data", "2.3", "L416-417",
              "The libFM model behind the ml-100k environment is tuned to a low cross-validated RMSE",
              "qualitative ('tuned to achieve low RMSE through cross validation')",
              "5-fold CV RMSE of the environment's parameters against the global-mean baseline on the same folds"),
    ClaimSpec("data.ml100k_env.beats_biases", "data", "2.3", "L416-418",
              "The latent factors of the ml-100k environment add to a bias-only model",
              "qualitative (the environment is built from the model's biases and latent factors)",
              "5-fold CV RMSE of the environment's parameters against the user + item bias baseline"),
    ClaimSpec("data.amazoncat.coverage", "data", "4.3", "L2502-2504",
              "Keeping the AmazonCat-13K categories ranked 3rd to 102nd by frequency leaves fewer than 5% "
              "of the items with none of them",
              "< 5% of data points in none of the kept categories",
              "fraction of items with none of the categories of frequency rank 3..102"),
)
_SPEC = {s.claim_id: s for s in SPECS}


def _size_claim(shape: Mapping[str, Any], data: str) -> Claim:
    want = ML100K_SHAPE
    ok = (all(int(shape[k]) == want[k] for k in ("users", "items", "ratings"))
          and int(shape["min_ratings_per_user"]) >= want["min_ratings_per_user"])
    return _SPEC["data.ml100k.size"].claim(
        expectation=f"{want['users']} x {want['items']}, {want['ratings']} ratings, "
                    f"min {want['min_ratings_per_user']} per user",
        measured=f"{shape['users']} x {shape['items']}, {shape['ratings']} ratings, "
                 f"min {shape['min_ratings_per_user']} per user",
        ok=ok, data=data)


def _fit_claims(selection: Mapping[str, Any], baselines: pd.DataFrame, fit_margin: float,
                data: str) -> list[Claim]:
    """The environment's CV RMSE (``env_rmse_mean``: the parameters the environment is built from,
    for libFM MCMC the last Gibbs sample, see :mod:`recdyn.fit.environment`) against the baselines."""
    base = baselines.set_index("model")
    fitted, fitted_sd = float(selection["env_rmse_mean"]), float(selection.get("env_rmse_std", float("nan")))
    folds = int(selection.get("folds", 0))

    def text(name: str) -> str:
        mean, sd = float(base.loc[name, "rmse_mean"]), float(base.loc[name, "rmse_std"])
        return (f"{fitted:.4f} +- {fitted_sd:.4f} vs {name} {mean:.4f} +- {sd:.4f} (sd over {folds} folds; "
                f"{100 * (1 - fitted / mean):.1f}% lower)")

    global_mean = float(base.loc["global mean", "rmse_mean"])
    biases = float(base.loc["user + item biases", "rmse_mean"])
    return [
        _SPEC["data.ml100k_env.beats_global_mean"].claim(
            expectation=f"CV RMSE of the environment's parameters <= (1 - {fit_margin}) x global-mean RMSE",
            measured=text("global mean"), ok=fitted <= (1 - fit_margin) * global_mean, data=data),
        _SPEC["data.ml100k_env.beats_biases"].claim(
            expectation="CV RMSE of the environment's parameters below the user + item bias baseline's",
            measured=text("user + item biases"), ok=fitted < biases, data=data),
    ]


def _coverage_claim(shape: Mapping[str, Any], uncovered_max: float, data: str) -> Claim:
    uncovered = float(shape["uncovered_fraction_rank3_102"])
    return _SPEC["data.amazoncat.coverage"].claim(
        expectation=f"uncovered fraction < {uncovered_max}",
        measured=f"{uncovered:.4f} of {shape['items']:,} items", ok=uncovered < uncovered_max, data=data)


def data_claims(
    summaries: Mapping[str, Mapping[str, Any]],
    selection: Mapping[str, Any],
    baselines: pd.DataFrame,
    manifests: Mapping[str, Mapping[str, Any]],
    fit_margin: float,
    amazoncat_uncovered_max: float,
) -> list[Claim]:
    """Every data claim, one row per spec of :data:`SPECS` (``summaries``: the dataset summaries by
    name, ``selection``/``baselines``: the ml-100k environment fit, ``fit_margin``: how far below the
    global-mean RMSE "low" is read, ``amazoncat_uncovered_max``: the thesis' 5%)."""
    ml100k, amazoncat = data_label(manifests, ["ml100k"]), data_label(manifests, ["amazoncat"])
    return [
        _size_claim(summaries["ml100k"]["shape"], ml100k),
        *_fit_claims(selection, baselines, fit_margin, ml100k),
        _coverage_claim(summaries["amazoncat"]["shape"], amazoncat_uncovered_max, amazoncat),
    ]
