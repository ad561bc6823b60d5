"""libFM factorisation machines of thesis section 2.4: SGD MF and Bayes MF.

* **SGD MF** ("A factorization machine implemented in LibFM. The model is trained using SGD"):
  :class:`SGDMF`.
* **Bayes MF** ("Another variant of factorization machines implemented in LibFM. The model is
  trained and the hyperparameters are automatically tuned using MCMC"): :class:`BayesMF`.

Both fit libFM through :mod:`recdyn.fit.libfm` (wpyfm bindings) on one-hot user and item features
(RecLab's ``reclab/recommenders/libfm.py`` layout: column ``u`` for the user, ``n_users + i`` for
the item, global bias and one-way terms on), so the model is
``r(u, i) = w0 + b_u + b_i + <p_u, q_i>``. Every fit starts from scratch with libFM's ``srand``
seeded from ``seed`` (reduced modulo ``2**31 - 1``, libFM's C ``int`` seed), so a fit is a function
of (hyperparameters, seed, data). libFM's per-iteration printing goes to ``/dev/null``
(:func:`recdyn.fit.libfm.fit_predict_libfm` silences file descriptor 1 and logs one summary line).

Defaults (issue 23) generalise on real ratings: SGD ``dim=20, num_iter=200, init_stdev=0.1,
reg=0.1, lr=0.002``; MCMC ``dim=20, num_iter=200, init_stdev=0.1``; both with the cold-pair
fallback. Chosen on an inner split of the real MovieLens-100K training file ``u1.base`` (80/20,
seed 0; the official test files unused), RMSE of the inner 20%: SGD with init_stdev 0.1 and
(reg, lr) = (0.04, 0.01) 1.017, (0.07, 0.01) 0.962, (0.1, 0.01) 0.943, (0.1, 0.005) 0.929,
(0.15, 0.005) 0.927, (0.2, 0.005) 0.945, (0.07, 0.002) 0.927, **(0.1, 0.002) 0.918**,
(0.15, 0.002) 0.931, (0.1, 0.001) 0.935, (0.1, 0.005, 100 iterations) 0.922; MCMC init_stdev 1.0
0.905, **0.1 0.901**, dim 50 0.901, dim 10 0.901, 400 samples 0.899 (twice the time). On the five
official splits the defaults give a mean RMSE of 0.912 (SGD; RecLab's values: 0.952) and 0.899
(MCMC; RecLab's: 0.906). RecLab's tuned values (DESIGN.md section 4; RecLab ``experiments`` branch,
``experiments/experiment_scripts/libfm_{sgd,mcmc}_topics_static.py``: SGD ``dim=20,
num_iter=200, init_stdev=1.0, reg=0.07, lr=0.01``; MCMC ``dim=20, num_iter=200, init_stdev=1.0``,
no fallback) are :data:`recdyn.recommenders.defaults.RECLAB_DEFAULTS`, which the chapter 2
presets use.

Cold pairs (``cold_fallback``, default True): libFM never updates the parameters of a feature
absent from the training data, so a user or item without a training rating keeps its random
initial factors (SGD; init_stdev 1.0 put a never-rated item into the top 10 of 439 of 943 real
users) or a draw from the prior (MCMC). With the fallback, their bias and factors are set to 0
after the fit, so such a pair is predicted from the model's bias terms: ``w0 + b_u`` for a cold
item, ``w0 + b_i`` for a cold user, ``w0`` for both (then clipped); rankings place a cold item by
that score. ``cold_fallback=False`` keeps libFM's (and RecLab's) behaviour.

SGD MF choices
--------------
* ``reg`` applies to ``w0``, ``w`` and ``V`` alike, as RecLab's ``LibFM(reg=...)`` did (libFM
  ``-regular r``). libFM's SGD then shrinks ``w0`` and the biases absorb the offset; predictions
  are what libFM predicts.
* Rows are shuffled once with a permutation drawn from ``seed`` (libFM's SGD walks them in order).
* Predictions (``predict`` and ``score_users``) are the FM score clipped to the [min, max] of the
  training ratings, exactly ``PyFM.predict`` (libFM clips; RecLab's predictions were libFM's).
  ``clip=False`` (not a hyperparameter) returns the raw score instead.

Bayes MF choices
----------------
* MCMC (Gibbs sampling) with libFM's hyperpriors; ``reg`` only seeds hyperparameters that the
  sampler redraws before use, except ``reg[0]``, the prior precision of ``w0``, which is 0 here
  (flat prior; RecLab's default ``reg=0.0``, libFM's command-line default). wpyfm puts all features
  in one group, so users and items share their hyperprior (as in RecLab).
* **Predictions are libFM's posterior averages** (``prediction="average"``, the default): the mean
  over all ``num_iter`` Gibbs samples (burn-in included) of each sample's prediction clipped to the
  training range, then clipped again, exactly what RecLab predicted. libFM accumulates them only
  for the test set passed to ``train``, at about 0.25 us per test pair and sample (the full
  943 x 1682 grid with 100 samples: about 40 s a fit), and stock wpyfm exposes only the last
  sample. Our build of the bindings hands back every sample (``scripts/install/
  patch_wpyfm.py``), so ``fit`` runs the chain once on the training data and
  ``score_users``/``predict`` average the samples' clipped predictions with one matrix product
  per sample (:class:`recdyn.fit.libfm.PosteriorSamples`): libFM's numbers to about 1e-8 (the
  chain is the same, libFM's sampler never reads the test set; libFM forms the pairwise term as a
  difference of squares, which rounds differently), in about 1 s for the full grid. The chain now
  runs in ``fit`` (offline CV times it as fit, not prediction).
* ``prediction="last"`` (not a hyperparameter): one chain at fit time and predictions from the
  **last Gibbs sample** only (one posterior draw, noisier than the average; clipped to the
  training range like libFM). Cheap, but not what the thesis ran.
"""

from __future__ import annotations

import logging
from typing import Any

import numpy as np

from recdyn.fit.libfm import FactorModel, PosteriorSamples, fit_libfm, mcmc_posterior
from recdyn.ratings import Ratings
from recdyn.recommenders.base import Recommender

log = logging.getLogger(__name__)

_SEED_MODULUS = 2**31 - 1
PREDICTION_MODES = ("average", "last")


def _libfm_seed(seed: int) -> int:
    return int(seed) % _SEED_MODULUS


def _check_positive(**values: Any) -> None:
    bad = [k for k, v in values.items() if not float(v) > 0]
    if bad:
        raise ValueError(f"hyperparameter(s) {bad} must be > 0, got {[values[k] for k in bad]}")


def _training_arrays(data: Ratings) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    if len(data) == 0:
        raise ValueError("cannot fit on an empty dataset")
    ratings = np.asarray(data.ratings, dtype=np.float64)
    if not np.all(np.isfinite(ratings)):
        raise ValueError("ratings contain NaN or inf")
    return (np.asarray(data.users, dtype=np.int64).copy(),
            np.asarray(data.items, dtype=np.int64).copy(), ratings.copy())


def _seen(index: np.ndarray, n: int) -> np.ndarray:
    return np.bincount(index, minlength=n) > 0


def _zero_cold(holder: FactorModel | PosteriorSamples, user_seen: np.ndarray, item_seen: np.ndarray) -> None:
    """Set the bias and factors of users and items without a training rating to 0, in place (the
    cold-pair fallback: ``w0 + b_u`` for a cold item, ``w0 + b_i`` for a cold user, ``w0`` for
    both). Works on a :class:`FactorModel` (arrays indexed by user / item) and on
    :class:`PosteriorSamples` (a leading sample axis)."""
    lead = (slice(None),) if isinstance(holder, PosteriorSamples) else ()
    cold_users, cold_items = lead + (~user_seen,), lead + (~item_seen,)
    holder.user_bias[cold_users] = 0.0
    holder.user_factors[cold_users] = 0.0
    holder.item_bias[cold_items] = 0.0
    holder.item_factors[cold_items] = 0.0


def _dense_scores(model: FactorModel, users: np.ndarray,
                  clip: tuple[float, float] | None) -> np.ndarray:
    """``w0 + b_u + b_i + <p_u, q_i>`` for every item, optionally clipped like libFM."""
    users = np.asarray(users, dtype=np.int64)
    out = model.user_factors[users] @ model.item_factors.T
    out += (model.global_bias + model.user_bias[users])[:, None]
    out += model.item_bias[None, :]
    if clip is not None:
        np.clip(out, clip[0], clip[1], out=out)
    return out


class SGDMF(Recommender):
    """libFM factorisation machine on one-hot users and items, trained by SGD.

    Args:
        dim: number of latent factors (libFM ``dim=[1, 1, dim]``).
        num_iter: SGD epochs.
        init_stdev: standard deviation of the normal initialisation of the factors.
        reg: L2 regularisation of ``w0``, the biases and the factors.
        lr: learning rate.
        cold_fallback: users/items without a training rating predicted from the bias terms
            (module docstring, "Cold pairs"); False keeps libFM's random factors.
        clip: clip predictions to the training ratings' [min, max] like libFM (not a
            hyperparameter).
        seed: libFM's seed and the row shuffle's.
    """

    name = "sgd-mf"

    def __init__(self, *, dim: int = 20, num_iter: int = 200, init_stdev: float = 0.1,
                 reg: float = 0.1, lr: float = 0.002, cold_fallback: bool = True, clip: bool = True,
                 seed: int = 0) -> None:
        if int(dim) < 1 or int(num_iter) < 1:
            raise ValueError(f"dim and num_iter must be >= 1, got {dim}, {num_iter}")
        if not float(init_stdev) >= 0 or not float(reg) >= 0:
            raise ValueError(f"init_stdev and reg must be >= 0, got {init_stdev}, {reg}")
        _check_positive(lr=lr)
        super().__init__(seed=seed, dim=int(dim), num_iter=int(num_iter),
                         init_stdev=float(init_stdev), reg=float(reg), lr=float(lr),
                         cold_fallback=bool(cold_fallback))
        self.cold_fallback = bool(cold_fallback)
        self.clip = bool(clip)
        self.model: FactorModel | None = None
        self._range: tuple[float, float] | None = None

    def _fit(self, data: Ratings) -> None:
        users, items, ratings = _training_arrays(data)
        hp = self.hyperparameters
        self.model = fit_libfm(users, items, ratings, data.n_users, data.n_items, method="sgd",
                               dim=hp["dim"], num_iter=hp["num_iter"],
                               init_stdev=hp["init_stdev"], lr=hp["lr"], reg=hp["reg"],
                               seed=_libfm_seed(self.seed))
        if self.cold_fallback:
            _zero_cold(self.model, _seen(users, self.n_users), _seen(items, self.n_items))
        self._range = (float(ratings.min()), float(ratings.max())) if self.clip else None

    def predict(self, users: np.ndarray, items: np.ndarray) -> np.ndarray:
        self._check_fitted()
        return self.model.predict(np.asarray(users, dtype=np.int64),
                                  np.asarray(items, dtype=np.int64), clip=self._range)

    def score_users(self, users: np.ndarray) -> np.ndarray:
        self._check_fitted()
        return _dense_scores(self.model, users, self._range)


class BayesMF(Recommender):
    """libFM factorisation machine on one-hot users and items, fitted by MCMC (Bayesian FM).

    Args:
        dim: number of latent factors.
        num_iter: Gibbs samples (all of them are averaged, burn-in included, as libFM does).
        init_stdev: standard deviation of the initial factors (the chain's starting point).
        cold_fallback: as :class:`SGDMF` (their samples' biases and factors set to 0).
        prediction: ``"average"`` (libFM's posterior averages; default) or ``"last"`` (the last
            Gibbs sample); not a hyperparameter.
        seed: libFM's seed.
    """

    name = "bayes-mf"

    def __init__(self, *, dim: int = 20, num_iter: int = 200, init_stdev: float = 0.1,
                 cold_fallback: bool = True, prediction: str = "average", seed: int = 0) -> None:
        if int(dim) < 1 or int(num_iter) < 1:
            raise ValueError(f"dim and num_iter must be >= 1, got {dim}, {num_iter}")
        if not float(init_stdev) >= 0:
            raise ValueError(f"init_stdev must be >= 0, got {init_stdev}")
        if prediction not in PREDICTION_MODES:
            raise ValueError(f"prediction must be one of {PREDICTION_MODES}, got {prediction!r}")
        super().__init__(seed=seed, dim=int(dim), num_iter=int(num_iter),
                         init_stdev=float(init_stdev), cold_fallback=bool(cold_fallback))
        self.cold_fallback = bool(cold_fallback)
        self.prediction = prediction
        #: Every Gibbs sample of the chain of the last fit.
        self.samples: PosteriorSamples | None = None
        #: Last Gibbs sample of that chain.
        self.model: FactorModel | None = None

    def _fit(self, data: Ratings) -> None:
        users, items, ratings = _training_arrays(data)
        hp = self.hyperparameters
        self.samples = mcmc_posterior(users, items, ratings, self.n_users, self.n_items, dim=hp["dim"],
                                      num_iter=hp["num_iter"], init_stdev=hp["init_stdev"], reg=0.0,
                                      seed=_libfm_seed(self.seed))
        if self.cold_fallback:
            _zero_cold(self.samples, _seen(users, self.n_users), _seen(items, self.n_items))
        self.model = self.samples.last()

    def score_users(self, users: np.ndarray) -> np.ndarray:
        self._check_fitted()
        users = np.asarray(users, dtype=np.int64)
        if self.prediction == "last":
            return _dense_scores(self.model, users, self.samples.clip)
        return self.samples.mean_scores(users)

    def predict(self, users: np.ndarray, items: np.ndarray) -> np.ndarray:
        users, items = self._fitted_pairs(users, items)
        if users.size and (users.min() < 0 or users.max() >= self.n_users
                           or items.min() < 0 or items.max() >= self.n_items):
            raise IndexError("user or item index out of range")
        if self.prediction == "last":
            return self.model.predict(users, items, clip=self.samples.clip)
        return self.samples.mean_predict(users, items)


