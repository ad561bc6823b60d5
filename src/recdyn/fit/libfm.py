"""Fit libFM factorisation machines to rating data and extract their parameters.

The thesis' ML-100K environment (Section 2.3, "The RecLab Simulated Environments") is
the latent-static simulator with its parameters taken from "a LibFM factorization
model [trained] on the ML_100K dataset, with hyperparameters tuned to achieve low RMSE
through cross validation": the fitted global bias, user/item biases and user/item
latent factors initialise the environment. This module provides that fit and the
cross-validation around it:

* :func:`fit_libfm` fits libFM (SGD, ALS or MCMC) through the ``wpyfm`` pybind11
  bindings (built by ``scripts/install/build_wpyfm.sh``, see DESIGN.md section 5) and
  returns a :class:`FactorModel` holding ``w0``, the biases and the factors.
* :func:`fit_predict_libfm` does the same and also returns libFM's own predictions for
  given (user, item) pairs; for MCMC those are the posterior-averaged predictions.
* Tuning by K-fold cross-validation lives in :mod:`recdyn.fit.environment` (folds from
  :func:`recdyn.ratings.kfold_indices`).

Reference fit (DESIGN.md section 4): RecLab shipped an ML-100K SGD fit with 8 factors,
learning rate 0.005, regularisation 0.1 (on w0, w and V alike), 100 iterations and
init stdev 0.1. Its tuned recommender settings were libFM SGD d=20, 200 iterations,
init stdev 1.0, reg 0.07, lr 0.01 and libFM MCMC d=20, 200 iterations, init stdev 1.0.

Choices made here
-----------------
* Design matrix: one row per rating, two one-hot entries (value 1.0): column ``u`` for
  the user and column ``n_users + i`` for the item (RecLab's layout). So libFM's
  ``w[:n_users]`` are the user biases, ``w[n_users:]`` the item biases, and the rows
  of ``V`` the user then item factors; the FM score is
  ``w0 + b_u + b_i + <p_u, q_i>`` (the FM pairwise term reduces to the dot product).
* Global bias and one-way terms are always on: ``dim=[1, 1, k]``.
* ``reg`` is passed as ``[reg_w0, reg_w, reg_V]``; a scalar or 1-tuple applies to all
  three (RecLab did the same; the default here is RecLab's 0.1). Beware: libFM's SGD
  applies ``reg_w0`` at every training case, so any ``reg_w0 > 0`` shrinks ``w0``
  far below the mean rating (about 1 instead of 3 on MovieLens-like data) and the
  user/item biases absorb the difference. Predictions are unaffected, but if the
  split "offset + zero-mean biases" matters (as for a simulator's offset), pass
  ``reg=(0.0, r, r)``. MCMC/ALS do not have this problem.
* libFM's SGD visits the training rows in the given order every epoch and does not
  shuffle (it prints a reminder to do so). For ``method="sgd"`` the rows are shuffled
  once, with a permutation drawn from ``seed``.
* libFM draws all its random numbers from the C library's global ``rand()``, seeded
  by ``srand(seed)`` when the ``PyFM`` object is created. Fits are deterministic for a
  fixed seed, but not thread-safe (two concurrent fits share that global state, and
  the stdout silencing below is process-wide).
* libFM prints every iteration to the C ``stdout``. The fit redirects file descriptor
  1 to ``/dev/null`` (``os.dup2``; C and Python buffers flushed around it; restored in
  a ``finally``) and logs one summary line through :mod:`logging` instead.

What is extracted (``PyFM.parameters()`` returns ``(w0, w, V)``)
---------------------------------------------------------------
* SGD and ALS: the final parameters. :meth:`FactorModel.predict` reproduces
  ``PyFM.predict`` exactly, up to libFM's clipping of predictions to the
  [min, max] range of the training ratings (pass ``clip=`` to mimic it).
* MCMC: the parameters of the **last Gibbs sample only**. libFM's own MCMC
  predictions are instead the average, over all ``num_iter`` samples (burn-in
  included, each clipped to the training range), of the predictions for the test set
  that was passed to ``train``; the sampled parameters are never averaged and cannot
  be retrieved. A :class:`FactorModel` from an MCMC fit is therefore a single
  posterior draw: slightly noisier than the posterior mean. Use
  :func:`fit_predict_libfm` to get libFM's averaged predictions for chosen pairs
  (this is how RecLab predicted with MCMC). Because the average includes the first
  samples, MCMC wants enough iterations or an ``init_stdev`` around 0.5 or more.

wpyfm gotchas handled here
--------------------------
* For MCMC and ALS, ``PyFM.predict(data)`` ignores the rows of ``data``: it returns
  the predictions accumulated for the *test set given to* ``train`` (and aborts the
  process on a size mismatch, since libFM's asserts are compiled in).
* With ``method="als"`` wpyfm only applies ``reg[0]`` (the prior on ``w0``); the
  priors on ``w`` and ``V`` stay at zero, so ALS is effectively unregularised.
  With ``method="mcmc"`` the ``reg`` values only initialise hyperparameters that
  are resampled before first use, so only ``reg[0]`` matters there as well.
* C++ errors raised inside libFM surface as ``RuntimeError("Caught an unknown
  exception!")`` or abort the interpreter, so inputs are validated in Python first.
"""

from __future__ import annotations

import contextlib
import ctypes
import logging
import math
import os
import sys
import time
from dataclasses import dataclass
from typing import Any, Iterator, Sequence

import numpy as np
import scipy.sparse as sp

from recdyn.io import write_npz

log = logging.getLogger(__name__)

METHODS = ("sgd", "mcmc", "als")
_FORMAT = "recdyn.FactorModel/1"
_PREDICT_CHUNK = 1 << 18


# --------------------------------------------------------------------------- model


@dataclass
class FactorModel:
    """A biased matrix-factorisation model ``r(u, i) = w0 + b_u + b_i + <p_u, q_i>``.

    Attributes:
        global_bias: ``w0``.
        user_bias: ``(n_users,)`` user biases.
        item_bias: ``(n_items,)`` item biases.
        user_factors: ``(n_users, k)`` user latent factors.
        item_factors: ``(n_items, k)`` item latent factors.
    """

    global_bias: float
    user_bias: np.ndarray
    item_bias: np.ndarray
    user_factors: np.ndarray
    item_factors: np.ndarray

    def __post_init__(self) -> None:
        self.global_bias = float(self.global_bias)
        self.user_bias = np.asarray(self.user_bias, dtype=np.float64)
        self.item_bias = np.asarray(self.item_bias, dtype=np.float64)
        self.user_factors = np.asarray(self.user_factors, dtype=np.float64)
        self.item_factors = np.asarray(self.item_factors, dtype=np.float64)
        if self.user_bias.ndim != 1 or self.item_bias.ndim != 1:
            raise ValueError("user_bias and item_bias must be 1-D")
        if self.user_factors.ndim != 2 or self.item_factors.ndim != 2:
            raise ValueError("user_factors and item_factors must be 2-D")
        if self.user_factors.shape[0] != self.user_bias.shape[0]:
            raise ValueError(
                f"user_factors has {self.user_factors.shape[0]} rows but user_bias "
                f"has {self.user_bias.shape[0]} entries"
            )
        if self.item_factors.shape[0] != self.item_bias.shape[0]:
            raise ValueError(
                f"item_factors has {self.item_factors.shape[0]} rows but item_bias "
                f"has {self.item_bias.shape[0]} entries"
            )
        if self.user_factors.shape[1] != self.item_factors.shape[1]:
            raise ValueError(
                f"user and item factors differ in dimension: {self.user_factors.shape[1]}"
                f" vs {self.item_factors.shape[1]}"
            )

    @property
    def n_users(self) -> int:
        return int(self.user_bias.shape[0])

    @property
    def n_items(self) -> int:
        return int(self.item_bias.shape[0])

    @property
    def dim(self) -> int:
        return int(self.user_factors.shape[1])

    def predict(
        self,
        users: np.ndarray | Sequence[int] | int,
        items: np.ndarray | Sequence[int] | int,
        *,
        clip: tuple[float, float] | None = None,
    ) -> np.ndarray:
        """Predicted ratings for the (user, item) pairs (inputs are broadcast together).

        The raw FM score is returned unless ``clip=(lo, hi)`` is given; libFM itself
        clips its predictions to the [min, max] of the training ratings.
        """
        u = np.asarray(users)
        i = np.asarray(items)
        if u.dtype.kind not in "iu" and u.size:
            raise TypeError(f"users must be integers, got dtype {u.dtype}")
        if i.dtype.kind not in "iu" and i.size:
            raise TypeError(f"items must be integers, got dtype {i.dtype}")
        u, i = np.broadcast_arrays(u.astype(np.intp, copy=False), i.astype(np.intp, copy=False))
        shape = u.shape
        u = u.ravel()
        i = i.ravel()
        if u.size and (u.min() < 0 or u.max() >= self.n_users):
            raise IndexError(f"user index out of range [0, {self.n_users})")
        if i.size and (i.min() < 0 or i.max() >= self.n_items):
            raise IndexError(f"item index out of range [0, {self.n_items})")
        out = np.empty(u.size, dtype=np.float64)
        for start in range(0, u.size, _PREDICT_CHUNK):
            uu = u[start : start + _PREDICT_CHUNK]
            ii = i[start : start + _PREDICT_CHUNK]
            out[start : start + _PREDICT_CHUNK] = (
                self.global_bias
                + self.user_bias[uu]
                + self.item_bias[ii]
                + np.einsum("nk,nk->n", self.user_factors[uu], self.item_factors[ii])
            )
        if clip is not None:
            np.clip(out, clip[0], clip[1], out=out)
        return out.reshape(shape)

    def save(self, path: str | os.PathLike[str]) -> None:
        """Write the model as a reproducible ``.npz``, atomically (:func:`recdyn.io.write_npz`)."""
        write_npz(path, {
            "format": np.array(_FORMAT),
            "global_bias": np.array(self.global_bias, dtype=np.float64),
            "user_bias": self.user_bias,
            "item_bias": self.item_bias,
            "user_factors": self.user_factors,
            "item_factors": self.item_factors,
        })

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> "FactorModel":
        """Read a model written by :meth:`save`."""
        with np.load(os.fspath(path), allow_pickle=False) as z:
            if "format" in z.files and str(z["format"]) != _FORMAT:
                raise ValueError(f"{path}: unsupported format {str(z['format'])!r}")
            return cls(
                global_bias=float(z["global_bias"]),
                user_bias=z["user_bias"],
                item_bias=z["item_bias"],
                user_factors=z["user_factors"],
                item_factors=z["item_factors"],
            )


# ------------------------------------------------------------------ libFM plumbing


def _import_wpyfm() -> tuple[Any, Any]:
    try:
        from wpyfm.pyfm import Data, PyFM
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise ImportError(
            "wpyfm (libFM bindings) is not installed; build it with "
            "`scripts/install/build_wpyfm.sh <venv-python>` (DESIGN.md section 5)"
        ) from exc
    return PyFM, Data


def _flush_c_stdio() -> None:
    """fflush(NULL): flush every C stdio stream of this process (best effort)."""
    with contextlib.suppress(Exception):
        ctypes.CDLL(None).fflush(None)


@contextlib.contextmanager
def _silence_stdout_fd() -> Iterator[None]:
    """Send everything written to file descriptor 1 to /dev/null for the duration."""
    with contextlib.suppress(Exception):
        sys.stdout.flush()
    _flush_c_stdio()
    saved = os.dup(1)
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        try:
            os.dup2(devnull, 1)
        finally:
            os.close(devnull)
        yield
    finally:
        _flush_c_stdio()  # push libFM's buffered output into /dev/null, not the terminal
        os.dup2(saved, 1)
        os.close(saved)


def _check_indices(name: str, x: np.ndarray, n: int) -> np.ndarray:
    x = np.asarray(x)
    if x.ndim != 1:
        raise ValueError(f"{name} must be 1-D, got shape {x.shape}")
    if x.size and x.dtype.kind not in "iu":
        if x.dtype.kind == "f" and np.all(np.isfinite(x)) and np.all(x == np.round(x)):
            x = x.astype(np.int64)
        else:
            raise TypeError(f"{name} must hold integer indices, got dtype {x.dtype}")
    x = x.astype(np.int64, copy=False)
    if x.size and (x.min() < 0 or x.max() >= n):
        raise ValueError(f"{name} out of range [0, {n}): min {x.min()}, max {x.max()}")
    return x


def _design(users: np.ndarray, items: np.ndarray, n_users: int, n_items: int) -> sp.csr_matrix:
    """One-hot user + item design: row r has 1.0 at column users[r] and n_users + items[r]."""
    n = users.shape[0]
    indices = np.empty(2 * n, dtype=np.int32)
    indices[0::2] = users
    indices[1::2] = n_users + items
    indptr = np.arange(0, 2 * n + 1, 2, dtype=np.int32)
    data = np.ones(2 * n, dtype=np.float64)
    return sp.csr_matrix((data, indices, indptr), shape=(n, n_users + n_items))


def _normalise_reg(reg: float | Sequence[float]) -> list[float]:
    if isinstance(reg, (int, float, np.integer, np.floating)):
        vals = [float(reg)] * 3
    else:
        vals = [float(r) for r in reg]
        if len(vals) == 1:
            vals = vals * 3
        elif len(vals) != 3:
            raise ValueError(f"reg must be a float or a sequence of 1 or 3 floats (w0, w, V), got {reg!r}")
    if any(not math.isfinite(v) or v < 0 for v in vals):
        raise ValueError(f"reg values must be finite and >= 0, got {vals}")
    return vals


def _validate_hyper(
    method: str, dim: int, num_iter: int, init_stdev: float, lr: float | None, seed: int
) -> tuple[str, int, int, float, float, int]:
    if method not in METHODS:
        raise ValueError(f"method must be one of {METHODS}, got {method!r}")
    dim = int(dim)
    if dim < 0:
        raise ValueError(f"dim must be >= 0, got {dim}")
    num_iter = int(num_iter)
    if num_iter < 1:
        raise ValueError(f"num_iter must be >= 1, got {num_iter}")
    init_stdev = float(init_stdev)
    if not math.isfinite(init_stdev) or init_stdev < 0:
        raise ValueError(f"init_stdev must be finite and >= 0, got {init_stdev}")
    if method == "sgd":
        if lr is None:
            raise ValueError("lr (learning rate) is required for method='sgd'")
        lr = float(lr)
        if not math.isfinite(lr) or lr <= 0:
            raise ValueError(f"lr must be finite and > 0, got {lr}")
    else:
        lr = 0.1 if lr is None else float(lr)  # unused by ALS / MCMC
    seed = int(seed)
    if not 0 <= seed <= 2**31 - 1:
        raise ValueError(f"seed must be in [0, 2**31 - 1] (C int for srand), got {seed}")
    return method, dim, num_iter, init_stdev, lr, seed


def _run_libfm(
    users: np.ndarray,
    items: np.ndarray,
    ratings: np.ndarray,
    n_users: int,
    n_items: int,
    *,
    method: str,
    dim: int,
    num_iter: int,
    init_stdev: float,
    lr: float | None = None,
    reg: float | Sequence[float] = 0.1,
    seed: int,
    pred_users: np.ndarray | None = None,
    pred_items: np.ndarray | None = None,
    keep_samples: bool = False,
) -> tuple[FactorModel, np.ndarray, list | None]:
    """:func:`fit_predict_libfm`, plus every MCMC sample's ``(w0, w, V)`` if ``keep_samples``."""
    PyFM, Data = _import_wpyfm()
    method, dim, num_iter, init_stdev, lr, seed = _validate_hyper(
        method, dim, num_iter, init_stdev, lr, seed
    )
    n_users = int(n_users)
    n_items = int(n_items)
    if n_users < 1 or n_items < 1:
        raise ValueError("n_users and n_items must be >= 1")
    users = _check_indices("users", users, n_users)
    items = _check_indices("items", items, n_items)
    ratings = np.asarray(ratings, dtype=np.float64)
    if ratings.ndim != 1 or not (users.shape == items.shape == ratings.shape):
        raise ValueError(
            f"users, items, ratings must be 1-D of equal length, got "
            f"{users.shape}, {items.shape}, {ratings.shape}"
        )
    if ratings.size == 0:
        raise ValueError("no ratings to fit")
    if not np.all(np.isfinite(ratings)):
        raise ValueError("ratings contain NaN or inf")
    regs = _normalise_reg(reg)
    if (pred_users is None) != (pred_items is None):
        raise ValueError("give both pred_users and pred_items, or neither")
    has_pred = pred_users is not None
    if has_pred:
        pu = _check_indices("pred_users", pred_users, n_users)
        pi = _check_indices("pred_items", pred_items, n_items)
        if pu.shape != pi.shape:
            raise ValueError("pred_users and pred_items must have equal length")
        has_pred = pu.size > 0
    if method == "als" and (regs[1] > 0 or regs[2] > 0):
        log.debug("wpyfm ignores reg for w and V with method='als' (only reg[0] is used)")

    if method == "sgd":
        # libFM's SGD walks the rows in order every epoch; shuffle them once.
        order = np.random.default_rng(seed).permutation(ratings.size)
        users, items, ratings = users[order], items[order], ratings[order]

    has_xt = method != "sgd"
    x_train = _design(users, items, n_users, n_items)
    t0 = time.perf_counter()
    with _silence_stdout_fd():
        fm = PyFM(
            method,
            dim=[1, 1, dim],
            lr=lr,
            reg=regs,
            init_stdev=init_stdev,
            num_iter=num_iter,
            seed=seed,
        )
        train_data = Data(x_train, ratings, has_xt=has_xt)
        if keep_samples:
            if method != "mcmc":
                raise ValueError("keep_samples needs method='mcmc'")
            fm.keep_samples(True)
        if has_pred:
            test_data = Data(
                _design(pu, pi, n_users, n_items), np.zeros(pu.size), has_xt=has_xt
            )
            fm.train(train_data, test=test_data)
            preds = np.asarray(fm.predict(test_data), dtype=np.float64)
        else:
            fm.train(train_data)
            preds = np.empty(0, dtype=np.float64)
        w0, w, v = fm.parameters()
        samples = fm.samples() if keep_samples else None
    seconds = time.perf_counter() - t0

    w = np.asarray(w, dtype=np.float64)
    v = np.asarray(v, dtype=np.float64).reshape(n_users + n_items, dim)
    if w.shape != (n_users + n_items,):
        raise RuntimeError(f"unexpected libFM weight vector shape {w.shape}")
    model = FactorModel(
        global_bias=float(w0),
        user_bias=w[:n_users].copy(),
        item_bias=w[n_users:].copy(),
        user_factors=v[:n_users].copy(),
        item_factors=v[n_users:].copy(),
    )
    if not (
        math.isfinite(model.global_bias)
        and np.all(np.isfinite(model.user_factors))
        and np.all(np.isfinite(model.item_factors))
    ):
        log.warning("libFM %s fit produced non-finite parameters (diverged?)", method)
    clip = (float(ratings.min()), float(ratings.max()))
    train_rmse = float(
        np.sqrt(np.mean((model.predict(users, items, clip=clip) - ratings) ** 2))
    )
    log.info(
        "libFM %s: %d ratings, %d users x %d items, dim %d, %d iterations, "
        "init_stdev %g, lr %s, reg %s, seed %d: train RMSE %.4f%s in %.2f s",
        method, ratings.size, n_users, n_items, dim, num_iter, init_stdev,
        f"{lr:g}" if method == "sgd" else "n/a", regs, seed, train_rmse,
        " (last sample)" if method == "mcmc" else "", seconds,
    )
    return model, preds, samples


def fit_predict_libfm(
    users: np.ndarray,
    items: np.ndarray,
    ratings: np.ndarray,
    n_users: int,
    n_items: int,
    *,
    method: str,
    dim: int,
    num_iter: int,
    init_stdev: float,
    lr: float | None = None,
    reg: float | Sequence[float] = 0.1,
    seed: int,
    pred_users: np.ndarray | None = None,
    pred_items: np.ndarray | None = None,
) -> tuple[FactorModel, np.ndarray]:
    """Fit libFM like :func:`fit_libfm` and also return libFM's own predictions.

    The pairs ``(pred_users, pred_items)`` are handed to libFM as its test set, so for
    MCMC the returned predictions are libFM's posterior averages over all
    ``num_iter`` samples; for SGD/ALS they equal ``model.predict(...)`` clipped to
    the training ratings' [min, max]. The pairs never influence the fitted
    parameters. With no pairs, an empty array is returned.

    Returns:
        ``(model, predictions)``.
    """
    model, preds, _ = _run_libfm(users, items, ratings, n_users, n_items, method=method, dim=dim,
                                 num_iter=num_iter, init_stdev=init_stdev, lr=lr, reg=reg, seed=seed,
                                 pred_users=pred_users, pred_items=pred_items)
    return model, preds


@dataclass
class PosteriorSamples:
    """Every Gibbs sample of a libFM MCMC chain, stacked: ``global_bias`` (S,), ``user_bias``
    (S, n_users), ``item_bias`` (S, n_items), ``user_factors`` (S, n_users, k), ``item_factors``
    (S, n_items, k); ``clip``: the training ratings' (min, max), to which libFM clips every
    sample's prediction and their mean."""

    global_bias: np.ndarray
    user_bias: np.ndarray
    item_bias: np.ndarray
    user_factors: np.ndarray
    item_factors: np.ndarray
    clip: tuple[float, float]

    @property
    def n_samples(self) -> int:
        return int(self.global_bias.shape[0])

    def last(self) -> FactorModel:
        """The last sample as a :class:`FactorModel` (what ``fit_libfm`` returns for MCMC)."""
        return FactorModel(self.global_bias[-1], self.user_bias[-1], self.item_bias[-1],
                           self.user_factors[-1], self.item_factors[-1])

    def mean_scores(self, users: np.ndarray) -> np.ndarray:
        """libFM's MCMC prediction for every item of each user: the mean over samples of each
        sample's prediction clipped to :attr:`clip`, clipped again; one matrix product per sample
        (libFM's own test-set average to about 1e-8: libFM forms the pairwise term as a difference
        of squares)."""
        users = np.asarray(users, dtype=np.int64)
        low, high = self.clip
        total = np.zeros((users.size, self.item_bias.shape[1]))
        for s in range(self.n_samples):
            scores = self.user_factors[s][users] @ self.item_factors[s].T
            scores += (self.global_bias[s] + self.user_bias[s][users])[:, None]
            scores += self.item_bias[s][None, :]
            total += np.clip(scores, low, high, out=scores)
        return np.clip(total / self.n_samples, low, high, out=total)

    def mean_predict(self, users: np.ndarray, items: np.ndarray) -> np.ndarray:
        """libFM's MCMC prediction of the pairs ``(users[j], items[j])`` (as :meth:`mean_scores`)."""
        u = np.asarray(users, dtype=np.int64).ravel()
        i = np.asarray(items, dtype=np.int64).ravel()
        low, high = self.clip
        total = np.zeros(u.size)
        for s in range(self.n_samples):
            pred = (self.global_bias[s] + self.user_bias[s][u] + self.item_bias[s][i]
                    + np.einsum("nk,nk->n", self.user_factors[s][u], self.item_factors[s][i]))
            total += np.clip(pred, low, high, out=pred)
        return np.clip(total / self.n_samples, low, high, out=total).reshape(np.shape(users))


def mcmc_posterior(
    users: np.ndarray, items: np.ndarray, ratings: np.ndarray, n_users: int, n_items: int, *,
    dim: int, num_iter: int, init_stdev: float, reg: float | Sequence[float] = 0.0, seed: int,
) -> PosteriorSamples:
    """Run libFM's MCMC chain on the ratings and return every sample (the bindings are built with
    ``scripts/install/patch_wpyfm.py``). The chain is the one :func:`fit_predict_libfm`
    runs with the same arguments (libFM never reads the test set while sampling), so
    :meth:`PosteriorSamples.mean_predict` gives its predictions without libFM's per-pair loop."""
    _, _, samples = _run_libfm(users, items, ratings, n_users, n_items, method="mcmc", dim=dim,
                               num_iter=num_iter, init_stdev=init_stdev, reg=reg, seed=seed, keep_samples=True)
    ratings = np.asarray(ratings, dtype=np.float64)
    w = np.stack([np.asarray(sample[1], dtype=np.float64) for sample in samples])
    v = np.stack([np.asarray(sample[2], dtype=np.float64).reshape(n_users + n_items, dim) for sample in samples])
    return PosteriorSamples(
        global_bias=np.array([float(sample[0]) for sample in samples]),
        user_bias=w[:, :n_users].copy(), item_bias=w[:, n_users:].copy(),
        user_factors=v[:, :n_users].copy(), item_factors=v[:, n_users:].copy(),
        clip=(float(ratings.min()), float(ratings.max())),
    )


def fit_libfm(
    users: np.ndarray,
    items: np.ndarray,
    ratings: np.ndarray,
    n_users: int,
    n_items: int,
    *,
    method: str,
    dim: int,
    num_iter: int,
    init_stdev: float,
    lr: float | None = None,
    reg: float | Sequence[float] = 0.1,
    seed: int,
) -> FactorModel:
    """Fit a libFM model with user and item one-hot features and return its parameters.

    Args:
        users, items: integer indices in ``[0, n_users)`` / ``[0, n_items)``.
        ratings: the observed ratings (float).
        method: ``"sgd"``, ``"mcmc"`` or ``"als"``.
        dim: number of latent factors ``k`` (libFM ``dim=[1, 1, k]``).
        num_iter: SGD epochs, ALS sweeps or MCMC samples.
        init_stdev: standard deviation of the normal initialisation of ``V``.
        lr: SGD learning rate (required for SGD, ignored otherwise).
        reg: ``[reg_w0, reg_w, reg_V]``, or a scalar for all three. See the module
            docstring for how wpyfm uses it with ALS and MCMC (only ``reg_w0``).
        seed: libFM's ``srand`` seed (also seeds the SGD row shuffle).

    Returns:
        A :class:`FactorModel`. For SGD/ALS it holds the final parameters; for MCMC it
        holds the **last Gibbs sample** (libFM's MCMC predictions average all samples
        instead; see :func:`fit_predict_libfm`).
    """
    model, _ = fit_predict_libfm(
        users, items, ratings, n_users, n_items,
        method=method, dim=dim, num_iter=num_iter, init_stdev=init_stdev,
        lr=lr, reg=reg, seed=seed,
    )
    return model


# --------------------------------------------------------------- cross-validation
