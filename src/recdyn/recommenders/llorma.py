"""LLORMA: local low-rank matrix approximation (thesis section 2.4; Lee et al., ICML 2013 and
JMLR 17(15) 2016), the "Global LLORMA" variant that RecLab adapted from LLORMA-tensorflow.

The thesis: "LLORMA approximates the rating matrix as a weighted sum of low-rank matrices. We adapt
a publicly available implementation" (https://github.com/JoonyoungYi/LLORMA-tensorflow, whose
``llorma_g`` package RecLab vendored as ``reclab/recommenders/llorma/llorma_lib/llorma_g.py``).

Model
-----
``T`` anchor points ``(a_t, b_t)`` (observed training pairs) each carry a rank-``r`` local model
``P_t Q_t^T``. With user and item kernels ``K_u``, ``K_i`` the weight of anchor ``t`` at pair
``(u, i)`` is ``w_t(u, i) = K_u(a_t, u) * K_i(b_t, i)`` (product kernel) and the prediction is the
kernel-weighted average of the local predictions::

    r_hat(u, i) = sum_t w_t(u, i) <P_t[u], Q_t[i]> / sum_t w_t(u, i).

Global LLORMA (the JMLR 2016 paper's global variant; TF ``llorma_g/model.py::init_models``) trains
all local models jointly on the squared error of this combined prediction plus
``reg * sum_t (|P_t|^2 + |Q_t|^2)``. (Parallel LLORMA, the ICML 2013 variant, fits each local model
separately on kernel-weighted errors; ``llorma_p`` in TF. The thesis' RecLab used ``llorma_g``.)

Choices (source of each; "paper" = the ICML/JMLR papers, "TF" = LLORMA-tensorflow ``llorma_g``,
"RecLab" = ``reclab/recommenders/llorma`` and its experiment scripts)
-----------------------------------------------------------------------------------------------
* **Pre-training** (the global factorisation whose embeddings define distances): TF/RecLab's
  ``pre_train``: an unbiased rank-``pre_rank`` factorisation ``r ~ <p_u, q_i>`` minimising
  ``sum (r - <p_u, q_i>)^2 + pre_reg (|P|^2 + |Q|^2)`` (sums, not means) by full-batch gradient
  descent with momentum 0.9 (``tf.train.MomentumOptimizer``: ``acc = 0.9 acc + grad;
  x -= lr acc``, one accumulator per matrix), ``pre_iters`` iterations each of which updates ``P``
  and then ``Q`` (with the new ``P``). Fixed number of iterations as in RecLab (TF's own
  pre-trainer early-stopped on a validation set; here only the local training stops early,
  below; compiled: :func:`recdyn.recommenders.llorma_sgd.pretrain`). Because the loss is a sum,
  a step that suits the offline dataset can diverge on an online run's data (ratings pile onto
  recommended items); the pre-training then restarts from the same
  initial factors with ``pre_lr`` halved, up to 6 times (logged; ``pre_lr_used``). The papers
  take distances between the rows of a global factorisation; this one has no biases, so the
  global mean is carried by a direction shared by all factors, which keeps the angles between
  users (items) smaller than zero-mean factors would.
* **Pre-training regularisation** ``pre_reg`` default 0.01, RecLab's tuned value, which goes with
  its RBF kernel (below); TF's ``PRE_LAMBDA`` (``llorma_g/configs.py``) is 10. With the
  Epanechnikov kernel 0.01 is harmful. Measured (issue 4): with 0.01 the pre-trained factors
  overfit (latent-static, 943 x 1682, 80,000 training ratings: pre-training RMSE 0.667 on the
  training pairs, 0.922 on held-out ones), so the angles between them are mostly noise: 12% of
  the pairs (34% on a planted rank-5 problem) lie outside every anchor's support and the rest are
  localised on noise; with 10 the pre-training generalises (0.816 / 0.838), every pair is
  covered, and Epanechnikov LLORMA's held-out RMSE drops from 1.005 to 0.824 (TopPop 0.938;
  ml-100k stand-in: 0.603 to 0.598, TopPop 0.727). The price: the factors then share one
  dominant direction, so the kernels are nearly flat (mean weight 0.98 on latent-static, 0.999
  on ml-100k) and LLORMA is close to an average of jointly trained global models. Intermediate
  values localise more and fit worse there (``pre_reg`` 1: 0.980, 3: 0.895): these offline
  datasets are sampled uniformly from one global latent-factor model, so locality only removes
  data from each local model. The RBF kernel has no support boundary, so it covers every pair
  with either value. The preset grids hold both kernels and both values; the CV tuning chooses.
* **Initialisation** (pre-training and local models): TF's ``init_latent_mat``: truncated normal
  (redrawn beyond 2 standard deviations, like ``tf.truncated_normal``) with mean
  ``sqrt(mu / r)`` and standard deviation ``sqrt((sqrt(mu^2 + sd^2) - mu) / r)``, ``mu``/``sd``
  the mean/standard deviation of the training ratings, so every initial local prediction is about
  ``mu``. Drawn from ``numpy.random.default_rng`` streams spawned from ``seed``.
* **Kernel** ``kernel``, one kind on users and on items, multiplied; the weight of a pair is
  ``max(0, K_u K_i)``, RecLab's ``clip(K_u K_i, 0, 1)`` (``llorma_g.py::_get_local_k`` and
  ``predict``; as ``|K| <= 1`` the cap at 1 never binds).

  - ``"rbf"`` (default): RecLab's vendored copy replaced TF's kernel by ``anchor.py::_get_rbf_k``
    (commit "Changed kernel type", 2020-05, still the default on its ``experiments`` branch, which
    ran the thesis' experiments). For factors ``x``: ``k_aj = exp(-|x_a/|x_a| - x_j/|x_j||)
    |x_a| |x_j|`` (a Laplacian kernel of the chord distance, scaled by the norms), then
    ``k_aj - m_a - m_j + 2 mean(k)`` with ``m`` the row means (RecLab adds twice the mean, not
    once as double centring would), divided by ``sqrt(diag_a diag_j)``. The matrix stays
    positive semi-definite, so ``|K| <= 1``. It is not clipped at 0: entries are negative only
    for factors with very different norms, and not at all on the offline datasets measured here.
    A zero diagonal gives weight 0 where RecLab got NaN, and NaN became weight 0 there too. It
    has no bandwidth. This is the reading that matches the thesis' numbers. The authors' offline
    LLORMA on topics-static (RecLab branch ``sarah/final_plots``,
    ``experiments/plot_offline_online.ipynb``, saved outputs) has 5-fold MSE 1.605 (RMSE 1.267) and
    nDCG@20 0.901. Ours with their values (rbf, ``pre_reg`` 0.01), 5-fold CV on
    ``reset(0)``: 1.268 and 0.896. With the Epanechnikov kernel: 1.432 / 0.879 (``pre_reg``
    10) and 1.563 / 0.854 (0.01), where TopPop has 1.39. With rbf and ``pre_reg`` 10: 1.216 /
    0.909. Latent-static: rbf 0.854 (0.01), 0.828 (10).
  - ``"epanechnikov"``: the papers' and TF's ``_get_k_from_distance``. Distances: TF
    ``anchor.py::_get_distance_matrix``, the papers' arccos distance ``d(x, y) = arccos(<x, y> /
    (|x| |y|))`` between pre-trained factor rows (cosine clipped to [-1, 1]; a zero row counts as
    orthogonal to everything). Kernel: the Epanechnikov kernel, whose constant 3/4 cancels in the
    normalised average, ``K_h(d) = (1 - d^2) * 1[d < h]``. Default bandwidth ``h = 0.8``, the
    value TF hard-codes (``m[d < 0.8] = 1``). The TF form is not rescaled by ``h``, so weights
    inside the support lie in ``(1 - h^2, 1]``. It is floored at 0 so that a bandwidth above 1
    cannot produce negative weights (TF would multiply two negative factors into a positive
    weight); for ``h <= 1`` this is exactly TF's kernel.
* **Anchors**: TF/RecLab ``_init_anchor_points``: training pairs drawn uniformly at random without
  repetition, rejecting a candidate whose total kernel weight over the training pairs is below 1.
  Candidates are scanned in the order of one seeded permutation; duplicate (user, item) anchors are
  skipped. If fewer than ``n_anchors`` candidates pass (tiny data), the remaining anchors are the
  next candidates of the permutation (logged). ``n_anchors`` is capped at the number of distinct
  training pairs (RecLab capped it at the number of ratings).
* **Local training**: TF/RecLab: plain minibatch gradient descent (``GradientDescentOptimizer``) of
  the *summed* squared error of each batch plus the full regulariser ``reg * sum_t (|P_t|^2 +
  |Q_t|^2)`` at every step (so every factor row decays by ``1 - 2 lr reg`` per step), one
  simultaneous update of all local models per batch, ``epochs`` passes over the data in batches of
  ``batch_size``. TF walked the data in storage order every epoch; here each epoch uses a fresh
  seeded permutation. Training pairs whose kernel weights are all zero carry no gradient in TF
  (they predict a constant) and are left out of the batches here. The factors are stored as
  ``(n, T*r)`` rows; an epoch is one compiled pass (:func:`recdyn.recommenders.llorma_sgd.sgd_epoch`,
  numba, serial and deterministic) that forms each batch's ``T`` local predictions, keeps the
  gradients at the old values and then adds them to the batch's rows. The per-step decay is
  applied through a scalar factor (renormalised when it gets small), which is exact up to rounding
  and avoids touching every row at every step. (Until issue 21's last stop the same step was a
  dozen torch operations, 0.84-0.89 ms per step at 1000 x 10 x 20 against 0.27-0.31 ms now; the
  results differ only by the order of float32 sums.)
* **Precision** of the local training: ``precision="float32"`` (default), the dtype of TF's
  ``llorma_g`` (``tf.float32`` variables) which RecLab ran; pre-training, kernels, weights and
  predictions stay float64. (In the earlier torch step, memory-bound, float32 ran 2.8 times
  faster than float64.) Measured against ``precision="float64"`` (issue 21): 5-fold CV on the
  default preset's offline datasets gives the same nDCG@20 in every fold and RMSEs within 2e-8
  (latent-static, rbf, ``pre_reg`` 10; topics-static, Epanechnikov, ``pre_reg`` 0.01); on the planted problem of
  ``tests/test_libfm_llorma.py`` predictions differ by at most 1.6e-6 (the test's bound: 1e-5).
* **Zero total weight** (a pair no anchor's kernel reaches, which only the Epanechnikov kernel's
  bounded support produces): TF/RecLab predicted the constant 3. With ``cold_fallback=True``
  (default) the pair gets the mean fallback of cold pairs (below: for a pair whose user and item
  both have ratings, the user's mean rating); with ``cold_fallback=False`` the pre-trained global
  model ``<p_u, q_i>``, this module's earlier rule. With Epanechnikov and ``pre_reg = 0.01`` this
  is not a corner case (on a planted rank-5 943 x 1682 problem, 34% of 100,000 training pairs had
  no kernel weight); with ``pre_reg = 10`` no pair of the latent-static or ml-100k offline
  datasets falls back, but on real ML-100K some do. Measured on real ML-100K (80/20 split of
  ``u1.base``, 15,898 test pairs), RMSE on the zero-weight pairs with the mean fallback / with the
  pre-trained model: Epanechnikov, ``pre_reg`` 10, early stopping: 359 pairs, 1.147 / 1.160;
  ``pre_reg`` 0.01, early stopping: 1,362 pairs, 1.239 / 1.344 (all pairs 0.968 / 0.980);
  ``pre_reg`` 0.01, 20 epochs: 1,635 pairs, 1.239 / 1.332 (1.005 / 1.017). These pairs are the
  users and items whose pre-trained factors point away from every anchor, mostly poorly
  estimated ones, and the pre-trained model extrapolates worse there than the user's mean.
* **Cold pairs and clipping** (issue 23; :class:`recdyn.recommenders.scale.TrainingProfile` of all
  the training ratings): with ``cold_fallback=True`` (default) a user or item without any training
  rating gets the profile's fallback (a cold item: the user's mean rating; a cold user: the item's
  mean; both: the global mean) instead of its untrained factors (which predicted about -0.09 for
  never-rated items on ML-100K). With ``clip=True`` (default) ``predict`` clips to the training
  ratings' [min, max] (the thesis' code did not clip: -0.56 to 6.36 on ``u1.test``).
  ``score_users`` applies the same fallbacks but never clips: clipping changes no order, it only
  turns the items predicted above the top of the scale into ties, which rankings should not have.
  ``RECLAB_DEFAULTS["llorma"]`` (:mod:`recdyn.recommenders.defaults`) sets both off.
* **Early stopping** (:mod:`recdyn.recommenders.early_stopping`; issue 23): with the thesis' 50
  fixed epochs LLORMA overfits real ML-100K (training RMSE 0.36, test 0.954; 20 epochs gave
  0.922). ``val_fraction=0.1`` of the training ratings are held out (seeded by ``seed`` on a stream
  of their own) and every step of the fit (pre-training, anchors, local models) uses the others;
  after every epoch of the local training the validation RMSE (of ``predict``'s clipped,
  fallback-applied predictions) is computed; training stops after ``patience=3`` epochs without
  an improvement of 1e-4, at most ``epochs=100``. With ``refit=True`` (default) the whole model is
  then fitted afresh on all the ratings for the best epoch count (= a fit with ``val_fraction=0``
  and ``epochs=best_epoch_``); with ``refit=False`` the best epoch's local factors are kept.
  Pre-training on all the ratings while stopping on the held-out ones was tried and rejected: the
  held-out ratings then shape the kernels, and the validation RMSE is optimistic (0.887 against
  0.917). ``val_fraction=0`` trains ``epochs`` epochs exactly as before (bit-identical).
* **Hyperparameter defaults**: RecLab's tuned topics-environment values
  (``experiments/experiment_scripts/llorma_optimal_params.py::OPT_TOPICS``, branch
  ``experiments``): pre-rank 10, pre-learning-rate 3e-4, pre-regularisation 0.01, 70
  pre-training steps, rank 20, learning rate 0.02, regularisation 1e-4, batch size 1000, with its
  RBF kernel; bandwidth 0.8 (Epanechnikov only) from TF. RecLab ran 10 anchors and 50 epochs
  (DESIGN.md section 4: "LLORMA 10 anchors, rank 20"), kept in ``RECLAB_DEFAULTS["llorma"]``; the
  defaults are 20 anchors and early stopping (the papers used 50 anchors, TF 100; the fit time
  grows linearly in the number of anchors). Chosen on real MovieLens-100K without its test files:
  a screen on one seeded 80/20 split of ``u1.base`` (RMSE with refit: ``reg`` 1e-4 0.9276, 1e-3
  0.9274, 1e-2 0.9505, 3e-2 0.985; ``lr`` 0.01 0.9273 but 39 epochs; rank 10 0.9301;
  ``pre_reg`` 1 0.9282; Epanechnikov with ``pre_reg`` 10 0.9315; ``val_fraction`` 0.05 0.9293;
  fixed 20 / 30 / 50 epochs 0.9280 / 0.9291 / 0.9510), then 5-fold CV inside ``u1.base`` (a
  seeded partition of its 80,000 ratings; train on 64,000, RMSE on 16,000). Rule: the lowest
  mean CV RMSE, unless a cheaper candidate is within one standard error of the paired fold
  differences. 5-fold CV RMSE (mean fit seconds, one torch thread, 2 shared CPU cores):

  ==========================================================  ======  =====
  thesis values: 10 anchors, 50 epochs, unclipped              0.9643    3.4
  10 anchors, patience 3, best epoch kept (no refit)           0.9372    2.6
  10 anchors, patience 3, refit                                0.9328    4.1
  10 anchors, patience 5, refit                                0.9328    3.5
  15 anchors, patience 3, refit                                0.9305    5.8
  **20 anchors, patience 3, refit** (default)                  0.9283   10.7
  ==========================================================  ======  =====

  Refit beats keeping the best epoch by 0.0044 +- 0.0009 (10 anchors); 20 anchors beat 15 by
  0.0022 +- 0.0008 and 10 by 0.0045 +- 0.0011. The best epoch is 30-40 with 20 anchors (15-23
  with 10). Official splits (train ``uK.base``, test ``uK.test``, K = 1..5, seed 0): mean RMSE
  0.9191 (fits 8.1-12.1 s, mean 9.5 s; predictions 1..5) against 0.9539 with the thesis' values
  (4.2 s; predictions -0.67..7.10); Surprise's SVD: 0.936-0.951, SVD++ about 0.92-0.933.

Fits run on one thread (the local training is a serial compiled loop; pre-training and kernels
are numpy). ``train_rmse_`` holds the running training RMSE of each epoch (over the batches,
before each update, like TF's ``batch_rmses``) for diagnostics.
"""

from __future__ import annotations

import logging
import math
import time

import numpy as np
import scipy.sparse as sp

from recdyn.metrics import rmse
from recdyn.ratings import Ratings
from recdyn.recommenders.base import Recommender
from recdyn.recommenders.early_stopping import (check_early_stopping, publish_epochs,
                                                run_epochs, train_then_refit, validation_mask)
from recdyn.recommenders.llorma_sgd import pretrain, sgd_epoch
from recdyn.recommenders.scale import TrainingProfile

log = logging.getLogger(__name__)

#: Times the pre-training step is halved after a divergence before giving up.
_PRE_HALVINGS = 6

#: Candidate anchors whose kernel mass is computed at once.
_ANCHOR_CHUNK = 64
#: Renormalise the running decay factor of the local factors below this value.
_MIN_SCALE = 1e-3
#: Users per block when scoring densely.
_SCORE_BLOCK = 512
#: Rows per block when accumulating the RBF kernel's row means.
_KERNEL_BLOCK = 512
#: Kernels on the pre-trained factors (module docstring, "Kernel").
KERNELS = ("rbf", "epanechnikov")
#: dtypes of the local training (module docstring, "Precision").
PRECISIONS = ("float32", "float64")


def _truncated_normal(rng: np.random.Generator, shape: tuple[int, ...], mean: float,
                      std: float) -> np.ndarray:
    """Normal(mean, std) draws, redrawn while beyond 2 standard deviations (tf.truncated_normal)."""
    z = rng.standard_normal(shape)
    bad = np.abs(z) > 2.0
    while bad.any():
        z[bad] = rng.standard_normal(int(bad.sum()))
        bad = np.abs(z) > 2.0
    return mean + std * z


def _init_factors(rng: np.random.Generator, n: int, rank: int, mu: float, sd: float) -> np.ndarray:
    """TF's ``init_latent_mat``: every initial dot product is about ``mu``."""
    mean = math.sqrt(max(mu, 0.0) / rank)
    std = math.sqrt(max(math.sqrt(mu * mu + sd * sd) - mu, 0.0) / rank)
    return _truncated_normal(rng, (n, rank), mean, std)


def _normalise_rows(x: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(x, axis=1, keepdims=True)
    return np.divide(x, norms, out=np.zeros_like(x), where=norms > 0)


def epanechnikov(cos: np.ndarray, bandwidth: float) -> np.ndarray:
    """Kernel weights ``max(0, 1 - d^2) * 1[d < h]`` of arccos distances ``d = arccos(cos)``."""
    d = np.arccos(np.clip(cos, -1.0, 1.0))
    return np.where(d < bandwidth, np.maximum(1.0 - d * d, 0.0), 0.0)


def _pair_weights(ku: np.ndarray, ki: np.ndarray) -> np.ndarray:
    """Anchor weights of pairs from their kernel entries: RecLab's ``clip(K_u K_i, 0, 1)``."""
    return np.maximum(ku * ki, 0.0)


class SideKernel:
    """Rows of the user (or item) kernel matrix built from pre-trained factors (module docstring,
    "Kernel"): ``"epanechnikov"`` on arccos distances, or RecLab's centred ``"rbf"``. Entries lie
    in [-1, 1] (in [0, 1] for Epanechnikov), so the pair weight ``max(0, K_u K_i)`` is RecLab's
    ``clip(K_u K_i, 0, 1)``. Only the requested rows are formed; the RBF centring needs the
    matrix's row means, accumulated in blocks of ``_KERNEL_BLOCK`` rows."""

    def __init__(self, latent: np.ndarray, kind: str, bandwidth: float) -> None:
        if kind not in KERNELS:
            raise ValueError(f"LLORMA: kernel must be one of {KERNELS}, got {kind!r}")
        self.kind, self.bandwidth = kind, bandwidth
        self._unit = _normalise_rows(latent)
        if kind == "rbf":
            n = latent.shape[0]
            self._norms = np.linalg.norm(latent, axis=1)
            self._sq = np.einsum("nk,nk->n", self._unit, self._unit)  # 1, or 0 for a zero row
            means = np.empty(n)
            for start in range(0, n, _KERNEL_BLOCK):
                rows = np.arange(start, min(start + _KERNEL_BLOCK, n))
                means[rows] = self._scaled(rows).mean(axis=1)
            self._means, self._avg = means, float(means.mean())
            # Centred diagonal: exp(0) |x_j|^2 - 2 m_j + 2 avg (>= 0: the centred matrix is PSD).
            diag = self._norms**2 - 2.0 * means + 2.0 * self._avg
            self._inv_root = np.divide(1.0, np.sqrt(np.maximum(diag, 0.0)), out=np.zeros(n),
                                       where=diag > 0)

    def _scaled(self, rows: np.ndarray) -> np.ndarray:
        """``exp(-|x_a/|x_a| - x_j/|x_j||) |x_a| |x_j|`` for a in ``rows``, every j."""
        chord2 = self._sq[rows, None] + self._sq[None, :] - 2.0 * (self._unit[rows] @ self._unit.T)
        return np.exp(-np.sqrt(np.maximum(chord2, 0.0))) * np.outer(self._norms[rows], self._norms)

    def rows(self, rows: np.ndarray) -> np.ndarray:
        """Kernel rows ``K[rows, :]``, shape ``(len(rows), n)``."""
        rows = np.asarray(rows, dtype=np.int64)
        if self.kind == "epanechnikov":
            return epanechnikov(self._unit[rows] @ self._unit.T, self.bandwidth)
        k = self._scaled(rows) - self._means[None, :] - self._means[rows, None] + 2.0 * self._avg
        k *= self._inv_root[rows, None] * self._inv_root[None, :]
        return np.clip(k, -1.0, 1.0, out=k)  # |k| <= 1 up to rounding (Cauchy-Schwarz)


class LLORMA(Recommender):
    """Global LLORMA: kernel-weighted average of ``n_anchors`` jointly trained rank-``rank`` models.

    Args:
        n_anchors: number of anchor points / local models.
        rank: rank of each local model.
        kernel: ``"rbf"`` (RecLab's, which the thesis ran) or ``"epanechnikov"`` (the papers' and
            LLORMA-tensorflow's), on users and on items alike.
        bandwidth: Epanechnikov bandwidth ``h`` on the arccos distance (unused by ``"rbf"``).
        lr: learning rate of the local models (minibatch gradient descent on summed losses).
        reg: L2 regularisation of the local factors.
        epochs: passes over the training data: at most (early stopping) or exactly
            (``val_fraction=0``).
        batch_size: ratings per minibatch.
        pre_rank, pre_lr, pre_reg, pre_iters: the global pre-training factorisation (rank,
            momentum learning rate, L2 regularisation, iterations).
        clip: ``predict`` clips to the training ratings' [min, max] (``score_users`` never does).
        cold_fallback: cold users/items and pairs without kernel weight get the mean fallback of
            :class:`recdyn.recommenders.scale.TrainingProfile` (False: untrained factors and
            the pre-trained model, as the thesis' code).
        val_fraction: share of the training ratings held out for early stopping (0: off).
        patience: epochs without improvement of the validation RMSE before stopping.
        refit: after early stopping, fit again on all ratings for the best epoch count (else
            keep the best epoch's local factors).
        seed: seed of every random draw (validation split, initialisations, anchors, batch
            order).
        precision: dtype of the local training, ``"float32"`` (TF's) or ``"float64"`` (not a
            hyperparameter; module docstring, "Precision").
    """

    name = "llorma"

    def __init__(self, *, n_anchors: int = 20, rank: int = 20, kernel: str = "rbf",
                 bandwidth: float = 0.8, lr: float = 0.02, reg: float = 1e-4, epochs: int = 100,
                 batch_size: int = 1000, pre_rank: int = 10, pre_lr: float = 3e-4,
                 pre_reg: float = 0.01, pre_iters: int = 70, clip: bool = True,
                 cold_fallback: bool = True, val_fraction: float = 0.1, patience: int = 3,
                 refit: bool = True, seed: int = 0, precision: str = "float32") -> None:
        checks = {
            "n_anchors": int(n_anchors) >= 1, "rank": int(rank) >= 1, "kernel": kernel in KERNELS,
            "bandwidth": 0 < float(bandwidth) <= math.pi, "lr": float(lr) > 0,
            "reg": float(reg) >= 0, "epochs": int(epochs) >= 0, "batch_size": int(batch_size) >= 1,
            "pre_rank": int(pre_rank) >= 1, "pre_lr": float(pre_lr) > 0,
            "pre_reg": float(pre_reg) >= 0, "pre_iters": int(pre_iters) >= 0,
        }
        bad = [k for k, ok in checks.items() if not ok]
        if bad:
            raise ValueError(f"LLORMA: invalid hyperparameter(s) {bad}")
        if precision not in PRECISIONS:
            raise ValueError(f"LLORMA: precision must be one of {PRECISIONS}, got {precision!r}")
        check_early_stopping(val_fraction, patience)
        super().__init__(seed=seed, n_anchors=int(n_anchors), rank=int(rank), kernel=str(kernel),
                         bandwidth=float(bandwidth), lr=float(lr), reg=float(reg),
                         epochs=int(epochs), batch_size=int(batch_size), pre_rank=int(pre_rank),
                         pre_lr=float(pre_lr), pre_reg=float(pre_reg), pre_iters=int(pre_iters),
                         clip=bool(clip), cold_fallback=bool(cold_fallback),
                         val_fraction=float(val_fraction), patience=int(patience),
                         refit=bool(refit))
        self.precision = precision
        self.train_rmse_: list[float] = []
        self.anchors_: np.ndarray | None = None  # (T, 2) user, item
        self._global_p: np.ndarray | None = None
        self._global_q: np.ndarray | None = None
        self._ku: np.ndarray | None = None  # (T, n_users) user kernel rows of the anchors
        self._ki: np.ndarray | None = None  # (T, n_items)
        self._p: np.ndarray | None = None  # (n_users, T, r)
        self._q: np.ndarray | None = None  # (n_items, T, r)
        self._item_block: np.ndarray | None = None  # (n_items, T*r): K_i+-weighted item factors
        self._item_block_neg: np.ndarray | None = None  # K_i- (rbf only; None when K_i >= 0)
        self.profile_: TrainingProfile | None = None  # clipping range and cold-pair fallbacks

    # ---- fit --------------------------------------------------------------------------------
    def _fit(self, data: Ratings) -> None:
        if len(data) == 0:
            raise ValueError("LLORMA: cannot fit on an empty dataset")
        hp = self.hyperparameters
        users = np.asarray(data.users, dtype=np.int64)
        items = np.asarray(data.items, dtype=np.int64)
        ratings = np.asarray(data.ratings, dtype=np.float64)
        if not np.all(np.isfinite(ratings)):
            raise ValueError("LLORMA: ratings contain NaN or inf")
        n_users, n_items = int(data.n_users), int(data.n_items)
        self.profile_ = TrainingProfile.of(users, items, ratings, n_users, n_items)
        held = (validation_mask(users, items, hp["val_fraction"], self.seed)
                if hp["val_fraction"] > 0 else None)

        def train(mask: np.ndarray | None, epochs: int) -> None:
            self._fit_once(users, items, ratings, mask, epochs)

        train_then_refit(self, train, held, hp["epochs"], hp["refit"])

    def _fit_once(self, users: np.ndarray, items: np.ndarray, ratings: np.ndarray,
                  held: np.ndarray | None, epochs: int) -> None:
        """One fit, at most ``epochs`` epochs; with ``held`` (validation mask), every step
        (pre-training, anchors, local models) uses the other ratings and the local training
        stops early on the held ones."""
        hp = self.hyperparameters
        n_users, n_items = self.n_users, self.n_items
        start = time.perf_counter()
        if held is not None and held.any():
            val = (users[held], items[held], ratings[held])
            users, items, ratings = users[~held], items[~held], ratings[~held]
        else:
            val = None
        streams = np.random.SeedSequence(self.seed).spawn(4)
        rng_pre, rng_anchor, rng_init, rng_batch = (np.random.default_rng(s) for s in streams)
        mu, sd = float(ratings.mean()), float(ratings.std())

        # 1. Global pre-training (unbiased MF, momentum GD, alternating P then Q).
        gp, gq = self._pretrain(users, items, ratings, n_users, n_items, mu, sd, rng_pre)
        self._global_p, self._global_q = gp, gq

        # 2. Anchors and their kernel rows.
        user_kernel = SideKernel(gp, hp["kernel"], hp["bandwidth"])
        item_kernel = SideKernel(gq, hp["kernel"], hp["bandwidth"])
        anchors = self._choose_anchors(users, items, n_users, n_items, user_kernel, item_kernel,
                                       rng_anchor)
        self.anchors_ = anchors
        self._ku = user_kernel.rows(anchors[:, 0])
        self._ki = item_kernel.rows(anchors[:, 1])

        # 3. Normalised training weights; pairs without any weight are not trained on.
        w = _pair_weights(self._ku[:, users], self._ki[:, items]).T  # (n, T)
        total = w.sum(axis=1)
        keep = total > 0
        w = w[keep] / total[keep, None]
        n_anchor, rank = anchors.shape[0], hp["rank"]

        # 4. Local models, trained jointly.
        p = np.stack([_init_factors(rng_init, n_users, rank, mu, sd)
                      for _ in range(n_anchor)], axis=1)
        q = np.stack([_init_factors(rng_init, n_items, rank, mu, sd)
                      for _ in range(n_anchor)], axis=1)
        self.train_rmse_ = []
        if keep.any() and epochs > 0:
            p, q = self._train_local(users[keep], items[keep], ratings[keep], w, p, q, rng_batch,
                                     epochs, val)
        else:
            publish_epochs(self, 0)
        self._p, self._q = p, q
        ki_pos, ki_neg = np.maximum(self._ki, 0.0), np.maximum(-self._ki, 0.0)
        self._item_block = (ki_pos.T[:, :, None] * q).reshape(n_items, n_anchor * rank)
        self._item_block_neg = ((ki_neg.T[:, :, None] * q).reshape(n_items, n_anchor * rank)
                                if ki_neg.any() else None)
        log.info("LLORMA: %d ratings%s, %d users x %d items, %d anchors, rank %d, %d of %d epochs "
                 "(kept %d); %d training pairs without kernel weight; final epoch RMSE %s; %.2f s",
                 len(ratings), "" if val is None else f" (+{val[0].size} validation)", n_users,
                 n_items, n_anchor, rank, self.stopped_epoch_, epochs, self.best_epoch_,
                 int((~keep).sum()), f"{self.train_rmse_[-1]:.4f}" if self.train_rmse_ else "n/a",
                 time.perf_counter() - start)

    def _pretrain(self, users: np.ndarray, items: np.ndarray, ratings: np.ndarray, n_users: int,
                  n_items: int, mu: float, sd: float,
                  rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
        """Global pre-training (module docstring). The loss is a sum, so its curvature grows with the
        ratings per user and item: a fixed ``pre_lr`` that suits the offline dataset can diverge once an
        online run has piled ratings onto the recommended items. Then the run restarts from the same
        initial factors with the step halved (at most ``_PRE_HALVINGS`` times, logged); runs that do not
        diverge are unchanged."""
        hp = self.hyperparameters
        rank, reg = hp["pre_rank"], hp["pre_reg"]
        p0 = _init_factors(rng, n_users, rank, mu, sd)
        q0 = _init_factors(rng, n_items, rank, mu, sd)
        # Ratings sorted by user, then item: the compiled loop's sums run in the order of the
        # sparse products (residuals @ Q, residuals^T @ P) of the numpy version it replaced.
        order = np.lexsort((items, users))
        u_o, i_o, r_o = users[order], items[order], ratings[order]
        for halvings in range(_PRE_HALVINGS + 1):
            lr = hp["pre_lr"] / 2.0**halvings
            p, q = p0.copy(), q0.copy()
            pretrain(p, q, u_o, i_o, r_o, lr, reg, hp["pre_iters"])
            if np.all(np.isfinite(p)) and np.all(np.isfinite(q)):
                if halvings:
                    log.warning("LLORMA: pre-training diverged with pre_lr %g on %d ratings; used %g",
                                hp["pre_lr"], len(ratings), lr)
                self.pre_lr_used = lr
                return p, q
        raise FloatingPointError(f"LLORMA: pre-training diverged even with pre_lr {lr:g} (lower pre_lr)")

    def _choose_anchors(self, users: np.ndarray, items: np.ndarray, n_users: int, n_items: int,
                        user_kernel: SideKernel, item_kernel: SideKernel,
                        rng: np.random.Generator) -> np.ndarray:
        n_anchor = self.hyperparameters["n_anchors"]
        counts = sp.csr_array((np.ones(len(users)), (users, items)), shape=(n_users, n_items))
        counts_t = counts.T.tocsr()
        chosen: list[int] = []
        seen: set[tuple[int, int]] = set()
        skipped: list[int] = []
        perm = rng.permutation(len(users))
        for start in range(0, perm.size, _ANCHOR_CHUNK):
            cand = perm[start:start + _ANCHOR_CHUNK]
            ku = user_kernel.rows(users[cand])  # (C, n_users)
            ki = item_kernel.rows(items[cand])  # (C, n_items)
            # mass_c = sum over training ratings of K_u(a_c, u) K_i(b_c, i) (unclipped, as RecLab)
            mass = np.einsum("ci,ci->c", (counts_t @ ku.T).T, ki)
            for c, m in zip(cand, mass):
                key = (int(users[c]), int(items[c]))
                if key in seen:
                    continue
                if m >= 1.0:
                    chosen.append(int(c))
                    seen.add(key)
                else:
                    skipped.append(int(c))
                if len(chosen) == n_anchor:
                    break
            if len(chosen) == n_anchor:
                break
        passing = len(chosen)
        if passing < n_anchor:
            for c in skipped:
                key = (int(users[c]), int(items[c]))
                if key not in seen:
                    chosen.append(c)
                    seen.add(key)
                if len(chosen) == n_anchor:
                    break
            log.warning("LLORMA: only %d of %d anchors have kernel mass >= 1; using %d anchors",
                        passing, n_anchor, len(chosen))
        idx = np.asarray(chosen, dtype=np.int64)
        return np.stack([users[idx], items[idx]], axis=1)

    def _train_local(self, users: np.ndarray, items: np.ndarray, ratings: np.ndarray,
                     weights: np.ndarray, p: np.ndarray, q: np.ndarray, rng: np.random.Generator,
                     epochs: int, val: tuple[np.ndarray, np.ndarray, np.ndarray] | None,
                     ) -> tuple[np.ndarray, np.ndarray]:
        """Joint minibatch training of the local models, ``epochs`` epochs at most (each one
        :func:`recdyn.recommenders.llorma_sgd.sgd_epoch` over a fresh seeded permutation): with
        validation pairs ``val`` (users, items, ratings; None: none) it stops early and keeps
        the best epoch (:func:`recdyn.recommenders.early_stopping.run_epochs`)."""
        hp = self.hyperparameters
        lr, reg, batch = hp["lr"], hp["reg"], hp["batch_size"]
        n_users, n_anchor, rank = p.shape
        n_items = q.shape[0]
        width = n_anchor * rank
        decay = 1.0 - 2.0 * lr * reg
        if decay <= 0:
            raise ValueError(f"LLORMA: lr * reg too large (1 - 2 lr reg = {decay} <= 0)")
        dtype = np.dtype(self.precision)
        # Actual factors = scale * (tp, tq); both matrices decay alike.
        tp = p.reshape(n_users, width).astype(dtype)
        tq = q.reshape(n_items, width).astype(dtype)
        tr = ratings.astype(dtype)
        tw = np.ascontiguousarray(weights, dtype=dtype)
        scale = 1.0
        n = ratings.size

        def train_epoch() -> None:
            nonlocal scale
            perm = rng.permutation(n)
            sse, scale = sgd_epoch(tp, tq, users[perm], items[perm], tr[perm], tw[perm],
                                   min(batch, n), lr, decay, scale, _MIN_SCALE, rank)
            self.train_rmse_.append(math.sqrt(sse / n))

        validate = None
        if val is not None:
            vu, vi, vr = val
            vw, has_weight = self._normalised_weights(vu, vi)
            vw = vw.astype(dtype)

            def validate() -> float:
                local = np.einsum("ntr,ntr->nt", tp[vu].reshape(-1, n_anchor, rank),
                                  tq[vi].reshape(-1, n_anchor, rank)) * dtype.type(scale * scale)
                pred = (vw * local).sum(axis=1).astype(np.float64)
                return rmse(self._finish(vu, vi, pred, has_weight), vr)

        def restore(state: tuple[np.ndarray, np.ndarray, float]) -> None:
            nonlocal scale
            tp[:] = state[0]
            tq[:] = state[1]
            scale = state[2]

        run_epochs(self, epochs, train_epoch, validate,
                   lambda: (tp.copy(), tq.copy(), scale), restore, hp["patience"])
        p = (tp * dtype.type(scale)).astype(np.float64).reshape(n_users, n_anchor, rank)
        q = (tq * dtype.type(scale)).astype(np.float64).reshape(n_items, n_anchor, rank)
        if not (np.all(np.isfinite(p)) and np.all(np.isfinite(q))):
            raise FloatingPointError("LLORMA: local training diverged (lower lr)")
        return p, q

    def _normalised_weights(self, users: np.ndarray,
                            items: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(n, T) anchor weights of pairs summing to 1 (0 where none), and whether any is > 0."""
        w = _pair_weights(self._ku[:, users], self._ki[:, items]).T
        total = w.sum(axis=1)
        has = total > 0
        w[has] /= total[has, None]
        return w, has

    def _finish(self, users: np.ndarray, items: np.ndarray, values: np.ndarray,
                has_weight: np.ndarray) -> np.ndarray:
        """Pair predictions from their kernel averages ``values`` (in place): pairs without
        kernel weight, then cold pairs, get their fallbacks and predictions are clipped (module
        docstring, "Zero total weight", "Cold pairs and clipping")."""
        hp = self.hyperparameters
        none = ~has_weight
        if none.any():
            if hp["cold_fallback"]:
                values[none] = self.profile_.fallback(users[none], items[none])
            else:
                values[none] = np.einsum("nk,nk->n", self._global_p[users[none]],
                                         self._global_q[items[none]])
        if hp["cold_fallback"]:
            return self.profile_.apply_to_pairs(users, items, values, clip=hp["clip"])
        return self.profile_.clip(values) if hp["clip"] else values

    # ---- prediction -------------------------------------------------------------------------
    def predict(self, users: np.ndarray, items: np.ndarray) -> np.ndarray:
        """Kernel-weighted local predictions of the pairs, with the fallbacks and clipping of
        :meth:`_finish`."""
        users, items = self._fitted_pairs(users, items)
        u, i = users.ravel(), items.ravel()
        w = _pair_weights(self._ku[:, u].T, self._ki[:, i].T)  # (n, T)
        local = np.einsum("ntr,ntr->nt", self._p[u], self._q[i])
        num = np.einsum("nt,nt->n", w, local)
        den = w.sum(axis=1)
        has = den > 0
        out = np.zeros(u.size)
        out[has] = num[has] / den[has]
        return self._finish(u, i, out, has).reshape(users.shape)

    def score_users(self, users: np.ndarray) -> np.ndarray:
        """Dense predicted ratings with the fallbacks of :meth:`predict` but never clipped (clipping
        would only turn the items above the top of the scale into ties)."""
        self._check_fitted()
        hp = self.hyperparameters
        users = np.asarray(users, dtype=np.int64)
        n_anchor, rank = self._p.shape[1], self._p.shape[2]
        out = np.empty((users.size, self.n_items), dtype=np.float64)
        # max(0, K_u K_i) = K_u+ K_i+ + K_u- K_i- since |K| <= 1: two factorised terms.
        ki_pos, ki_neg = np.maximum(self._ki, 0.0), np.maximum(-self._ki, 0.0)
        for start in range(0, users.size, _SCORE_BLOCK):
            u = users[start:start + _SCORE_BLOCK]
            ku = self._ku[:, u].T  # (B, T)
            ku_pos = np.maximum(ku, 0.0)
            left = (ku_pos[:, :, None] * self._p[u]).reshape(u.size, n_anchor * rank)
            num = left @ self._item_block.T
            den = ku_pos @ ki_pos
            if self._item_block_neg is not None:
                ku_neg = np.maximum(-ku, 0.0)
                left = (ku_neg[:, :, None] * self._p[u]).reshape(u.size, n_anchor * rank)
                num += left @ self._item_block_neg.T
                den += ku_neg @ ki_neg
            block = self._global_p[u] @ self._global_q.T
            np.divide(num, den, out=block, where=den > 0)
            if hp["cold_fallback"] and not (den > 0).all():
                rr, cc = np.nonzero(~(den > 0))
                block[rr, cc] = self.profile_.fallback(u[rr], cc)
            out[start:start + u.size] = block
        if hp["cold_fallback"]:
            self.profile_.apply_to_rows(users, out, clip=False)
        return out
