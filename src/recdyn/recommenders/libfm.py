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

Defaults are RecLab's tuned values (DESIGN.md section 4; RecLab ``experiments`` branch,
``experiments/experiment_scripts/libfm_{sgd,mcmc}_topics_static.py``): SGD ``dim=20,
num_iter=200, init_stdev=1.0, reg=0.07, lr=0.01``; MCMC ``dim=20, num_iter=200, init_stdev=1.0``.

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
  for the test set passed to ``train``, and wpyfm cannot return the samples themselves (it exposes
  the last one only). They are therefore computed **on demand**: ``fit`` stores the data, and the
  first request runs the chain with the requested pairs as libFM's test set:

  - ``score_users(users)``: the chain is run once with the full rows of the users not yet cached
    (``len(users) x n_items`` test pairs); the rows are cached until the next ``fit``;
  - ``predict(users, items)``: cached rows are read; pairs of other users are sent to libFM in one
    chain with exactly those pairs (not cached).

  This is exact and consistent, because libFM's sampler never reads the test set (it only reads
  the training data and draws from ``rand()`` seeded at construction): for a fixed (data,
  hyperparameters, seed) every run produces the same chain, and the prediction of a pair does not
  depend on which other pairs are in the test set (checked bit for bit: the rows of a 200-user
  block equal the same rows of the full 943 x 1682 grid). In the online protocol a step costs one
  chain (``recommend`` scores the step's users, ``predict`` then reads their cached rows); an
  offline fold costs one chain with the held-out pairs.

  Measured on a 943 x 1682 problem with 100,000 ratings (d=20, 200 samples, one libFM thread, on
  a 2-core machine shared with other jobs, so +-50%): chain alone 9 s; chain with a 200-user block
  (336,400 test pairs) 16-25 s; chain with the full grid (1.59 M pairs) 97 s, i.e. libFM spends
  about 0.25 us per test pair and sample. Passing the whole grid at fit time was rejected for that
  cost. With 200,000 ratings (the end of an online run) a step took 47 s.
* ``prediction="last"`` (not a hyperparameter): one chain at fit time and predictions from the
  **last Gibbs sample** only (one posterior draw, noisier than the average; clipped to the
  training range like libFM). Cheap, but not what the thesis ran.
"""

from __future__ import annotations

import logging
from typing import Any

import numpy as np

from recdyn.fit.libfm import FactorModel, _import_wpyfm, fit_libfm, fit_predict_libfm
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
        clip: clip predictions to the training ratings' [min, max] like libFM (not a
            hyperparameter).
        seed: libFM's seed and the row shuffle's.
    """

    name = "sgd-mf"

    def __init__(self, *, dim: int = 20, num_iter: int = 200, init_stdev: float = 1.0,
                 reg: float = 0.07, lr: float = 0.01, clip: bool = True, seed: int = 0) -> None:
        if int(dim) < 1 or int(num_iter) < 1:
            raise ValueError(f"dim and num_iter must be >= 1, got {dim}, {num_iter}")
        if not float(init_stdev) >= 0 or not float(reg) >= 0:
            raise ValueError(f"init_stdev and reg must be >= 0, got {init_stdev}, {reg}")
        _check_positive(lr=lr)
        super().__init__(seed=seed, dim=int(dim), num_iter=int(num_iter),
                         init_stdev=float(init_stdev), reg=float(reg), lr=float(lr))
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
        prediction: ``"average"`` (libFM's posterior averages, computed on demand; default) or
            ``"last"`` (the last Gibbs sample); not a hyperparameter.
        seed: libFM's seed.
    """

    name = "bayes-mf"

    def __init__(self, *, dim: int = 20, num_iter: int = 200, init_stdev: float = 1.0,
                 prediction: str = "average", seed: int = 0) -> None:
        if int(dim) < 1 or int(num_iter) < 1:
            raise ValueError(f"dim and num_iter must be >= 1, got {dim}, {num_iter}")
        if not float(init_stdev) >= 0:
            raise ValueError(f"init_stdev must be >= 0, got {init_stdev}")
        if prediction not in PREDICTION_MODES:
            raise ValueError(f"prediction must be one of {PREDICTION_MODES}, got {prediction!r}")
        super().__init__(seed=seed, dim=int(dim), num_iter=int(num_iter),
                         init_stdev=float(init_stdev))
        self.prediction = prediction
        #: Last Gibbs sample of the most recent chain (None before the first chain).
        self.model: FactorModel | None = None
        #: Chains run since the last fit (diagnostics).
        self.n_chains = 0
        self._data: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None
        self._rows: dict[int, np.ndarray] = {}
        self._range: tuple[float, float] | None = None

    def _fit(self, data: Ratings) -> None:
        self._data = _training_arrays(data)
        self._rows = {}
        self.model = None
        self.n_chains = 0
        ratings = self._data[2]
        self._range = (float(ratings.min()), float(ratings.max()))
        if self.prediction == "last":
            self._chain(None, None)
        else:
            _import_wpyfm()  # fail at fit time, not at the first prediction

    def _chain(self, users: np.ndarray | None, items: np.ndarray | None) -> np.ndarray:
        """Run the (deterministic) Gibbs chain; libFM's averaged predictions for the pairs."""
        hp = self.hyperparameters
        u, i, r = self._data
        model, preds = fit_predict_libfm(
            u, i, r, self.n_users, self.n_items, method="mcmc", dim=hp["dim"],
            num_iter=hp["num_iter"], init_stdev=hp["init_stdev"], reg=0.0,
            seed=_libfm_seed(self.seed), pred_users=users, pred_items=items)
        self.model = model
        self.n_chains += 1
        return preds

    def _ensure_rows(self, users: np.ndarray) -> None:
        missing = np.array([u for u in np.unique(users).tolist() if u not in self._rows],
                           dtype=np.int64)
        if missing.size == 0:
            return
        n = self.n_items
        preds = self._chain(np.repeat(missing, n), np.tile(np.arange(n, dtype=np.int64),
                                                            missing.size))
        block = preds.reshape(missing.size, n)
        for row, u in enumerate(missing.tolist()):
            self._rows[u] = block[row]

    def expect_users(self, users: np.ndarray) -> None:
        """Run one chain for every hinted user not cached yet (see the module docstring)."""
        self._check_fitted()
        if self.prediction == "average":
            self._ensure_rows(np.asarray(users, dtype=np.int64))

    def score_users(self, users: np.ndarray) -> np.ndarray:
        self._check_fitted()
        users = np.asarray(users, dtype=np.int64)
        if self.prediction == "last":
            return _dense_scores(self.model, users, self._range)
        self._ensure_rows(users)
        if users.size == 0:
            return np.empty((0, self.n_items), dtype=np.float64)
        return np.stack([self._rows[u] for u in users.tolist()])

    def predict(self, users: np.ndarray, items: np.ndarray) -> np.ndarray:
        self._check_fitted()
        users = np.asarray(users, dtype=np.int64)
        items = np.asarray(items, dtype=np.int64)
        if users.shape != items.shape:
            raise ValueError(f"users and items differ in shape: {users.shape} vs {items.shape}")
        if self.prediction == "last":
            return self.model.predict(users, items, clip=self._range)
        u, i = users.ravel(), items.ravel()
        if u.size and (u.min() < 0 or u.max() >= self.n_users or i.min() < 0
                       or i.max() >= self.n_items):
            raise IndexError("user or item index out of range")
        out = np.empty(u.size, dtype=np.float64)
        cached = np.fromiter((x in self._rows for x in u.tolist()), dtype=bool, count=u.size)
        if cached.any():
            hit = np.flatnonzero(cached)
            uniq, inverse = np.unique(u[hit], return_inverse=True)
            rows = np.stack([self._rows[x] for x in uniq.tolist()])
            out[hit] = rows[inverse, i[hit]]
        if not cached.all():
            rest = np.flatnonzero(~cached)
            pairs, inverse = np.unique(u[rest] * self.n_items + i[rest], return_inverse=True)
            preds = self._chain(pairs // self.n_items, pairs % self.n_items)
            out[rest] = preds[inverse]
        return out.reshape(users.shape)
