"""Claims of the data layer, checked on whatever data the run used (real or stand-in)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pandas as pd

from recdyn.claims import Claim, data_label


def data_claims(
    summaries: Mapping[str, Mapping[str, Any]],
    selection: Mapping[str, Any],
    baselines: pd.DataFrame,
    manifests: Mapping[str, Mapping[str, Any]],
    fit_margin: float,
    amazoncat_uncovered_max: float,
) -> list[Claim]:
    """Data claims: ML-100K's size (sections 2.3, 5.3), the fitted ml-100k environment's CV RMSE
    below the global-mean baseline by ``fit_margin`` (section 2.3: "tuned to achieve low RMSE"),
    and AmazonCat's category subset covering all but a few items (section 4.3).

    The environment's RMSE is the selection's ``env_rmse_mean``: that of the parameters the
    environment is built from (for libFM MCMC the last Gibbs sample, not libFM's averaged
    prediction), see :mod:`recdyn.fit.environment`."""
    ml = summaries["ml100k"]["shape"]
    global_mean = float(baselines.set_index("model").loc["global mean", "rmse_mean"])
    biases = float(baselines.set_index("model").loc["user + item biases", "rmse_mean"])
    fitted = float(selection["env_rmse_mean"])
    uncovered = summaries["amazoncat"]["shape"]["uncovered_fraction_rank3_102"]
    return [
        Claim("data.ml100k.size", "data", "2.3, 5.3",
              "ML-100K has 943 users, 1,682 items and 100,000 ratings, each user with at least 20",
              "943 x 1682, 100000 ratings, min 20 per user",
              f"{ml['users']} x {ml['items']}, {ml['ratings']} ratings, min {ml['min_ratings_per_user']} per user",
              ml["users"] == 943 and ml["items"] == 1682 and ml["ratings"] == 100_000
              and ml["min_ratings_per_user"] >= 20,
              data_label(manifests, ["ml100k"])),
        Claim("data.ml100k_env.beats_global_mean", "data", "2.3",
              "The libFM model behind the ml-100k environment is tuned to a low cross-validated RMSE",
              f"CV RMSE of the environment's parameters <= (1 - {fit_margin}) x global-mean RMSE",
              f"{fitted:.4f} vs global mean {global_mean:.4f} ({100 * (1 - fitted / global_mean):.1f}% lower)",
              fitted <= (1 - fit_margin) * global_mean,
              data_label(manifests, ["ml100k"])),
        Claim("data.ml100k_env.beats_biases", "data", "2.3",
              "The latent factors of the ml-100k environment add to a bias-only model",
              "CV RMSE of the environment's parameters below the user + item bias baseline",
              f"{fitted:.4f} vs biases {biases:.4f}",
              fitted < biases,
              data_label(manifests, ["ml100k"])),
        Claim("data.amazoncat.coverage", "data", "4.3",
              "Keeping the categories ranked 3rd to 102nd by frequency leaves fewer than 5% of items "
              "with none of them",
              f"uncovered fraction < {amazoncat_uncovered_max}",
              f"{uncovered:.4f}",
              uncovered < amazoncat_uncovered_max,
              data_label(manifests, ["amazoncat"])),
    ]
