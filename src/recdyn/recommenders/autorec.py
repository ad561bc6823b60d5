"""I-AutoRec (Sedhain et al. 2015, "AutoRec: Autoencoders Meet Collaborative Filtering"), thesis 2.4.

The thesis: "AutoRec - An autoencoder framework for collaborative filtering [206]. We train the
algorithm with RMSProp and use the item-based version I-AutoRec. Our implementation makes use of
the source code provided by the authors" (github.com/mesuvash/NNRec, through RecLab's PyTorch port
``reclab/recommenders/autorec``).

Model. Item ``i``'s vector of user ratings ``r_i`` (n_users entries, 0 where unobserved) is encoded
and decoded,

    h(r_i) = sigmoid(V r_i + mu)            (hidden_units sigmoid units)
    r_hat_i = W h(r_i) + b                  (identity output, one unit per user)

and trained on the observed entries only, with L2 weight decay on the two weight matrices:

    sum_{(u, i) observed} (r_ui - r_hat_ui)^2 + reg / 2 * (||W||_F^2 + ||V||_F^2)

(the paper's objective; biases are not decayed). The prediction of pair (u, i) is
``r_hat_i[u]`` computed from item ``i``'s full training vector, clipped to [1, 5].

Choices (sources: the paper; NNRec ``nn/autorec/*``; RecLab ``reclab/recommenders/autorec/*`` and
``experiments/experiment_scripts/autorec_*.py``, read for facts only)
----------------------------------------------------------------------------------------------
* ``hidden_units=500``: paper and RecLab (``autorec_topics_dynamic.py``: "Hidden neuron set based
  on Autorec paper", 500). Sigmoid hidden and identity output: the paper's best pair of
  activations (its poster's table: RMSE 0.831 on ML-1M versus 0.836-0.872 for the other pairs).
* Optimiser: ``torch.optim.RMSprop`` with torch defaults (alpha 0.99, eps 1e-8), ``lr=1e-3``:
  thesis ("trained with RMSProp"); RecLab used ``torch.optim.RMSprop(lr=base_lr)`` with
  ``base_lr=1e-3`` (NNRec's rmsprop step rate was also 0.001). RecLab tuned ``lambda_value`` over
  ``linspace(0, 10, 5)`` and ``base_lr`` over ``linspace(1e-4, 1e-2, 5)`` with 200 epochs, then
  ran 1000 epochs online.
* Loss scale: a **sum** of squared errors (paper, NNRec, RecLab). With mini-batches of items the
  penalty of a batch is weighted by its share of the items, so one epoch sums to the paper's
  objective exactly once (RecLab added the full penalty on every batch).
* ``reg`` (the paper's lambda) default 100: the authors' ML-1M config (NNRec
  ``nn/autorec/config/1M/1M.yaml``) has ``lamda: [100.0, 100.0]`` in its
  ``0.5 * SSE + lamda * ||W||^2`` form (lambda = 400 in ours). RecLab defaulted to
  ``lambda_value=1`` and tuned over ``linspace(0, 10, 5)``, but its optimiser stopped learning
  early (below); with a correctly optimised model lambda = 1 overfits: on a 943 x 1682 latent
  environment with 90,000 training ratings, held-out RMSE 0.93 after 25 epochs and 1.05 after 100
  with lambda = 1, versus 0.875-0.88 with lambda = 100 (TopPop: 0.934).
* ``epochs`` (at most 100 with early stopping; the thesis ran 20, below), mini-batches of
  ``batch_size=256`` items (random order each epoch, a local generator); ``batch_size=0`` is one
  full batch per epoch. RecLab used 1000 items per batch and 1000 epochs online (200 while
  tuning); NNRec's 1M config used 10,000 rows, i.e. full batch.
* ``dropout`` on the hidden units, default 0 (the paper has none; RecLab's default was 0.05).
* Initialisation: ``torch.nn.Linear``'s default uniform(+-1/sqrt(fan_in)) for the weights and the
  encoder bias (RecLab's ``nn.Linear`` layers); the output bias starts at the training mean rating
  instead of near 0 (our choice: with RMSProp's ~lr-sized steps a bias starting at 0 needs
  thousands of updates to reach the rating scale; this only changes the starting point).
* What we do not repeat from RecLab (facts from ``autorec.py``): it never called
  ``optimizer.zero_grad()`` (gradients accumulated over all batches and epochs), and it stepped a
  ``StepLR(step_size=100, gamma=lr_decay=0.01)`` scheduler once per **batch**, so its learning
  rate dropped 100-fold every 100 batches (every 50 epochs at ML-100K size with 1000-item
  batches). We use a constant learning rate and fresh gradients every batch.
* Repeated (user, item) pairs in the training data: the last rating counts.
* Cold pairs: a user or an item without any training rating gets the global mean of the training
  ratings, clipped to [1, 5] (its output weights or its input vector were never trained; NNRec's
  evaluation used a constant default rating 3 for such pairs, RecLab predicted 3 when both the user
  and the item were unseen).
* Determinism: all randomness (initialisation, batch order, dropout) comes from a local
  ``torch.Generator`` seeded with ``seed``, and every kernel used is deterministic on the CPU (no
  scatter/index-add: the sparse products below are custom autograd functions built on CSR
  products), so a fit is a function of (hyperparameters, seed, data, thread count). On a GPU
  the fit runs under ``torch.use_deterministic_algorithms(True, warn_only=True)``.
* ``num_threads`` (not a hyperparameter): torch's intra-op threads during fit/predict (None: leave
  as is); ``device`` (not a hyperparameter): e.g. "cpu" or "cuda"; None (default) takes
  :func:`recdyn.devices.default_device` ("cpu" unless a pipeline job set the config's ``device``).

Early stopping and defaults (issue 23)
-------------------------------------
The number of epochs is chosen per fit on held-out ratings
(:mod:`recdyn.recommenders.early_stopping`): ``val_fraction=0.1`` of the training ratings is held
out (seeded by ``seed`` on a stream of its own), the validation RMSE (clipped predictions, each
item encoded from its other training ratings) is evaluated after every epoch, training stops after
``patience=5`` epochs without an improvement of 1e-4, at most ``epochs=100``; with ``refit=True``
(default) the model is then trained afresh on all the ratings for the best epoch count, with
``refit=False`` the best epoch's parameters are kept (and the held-out ratings still enter the
encoder at prediction: 0.913 against 0.915 without them, on the screening split below).
``val_fraction=0`` trains ``epochs`` epochs exactly as before (bit-identical). The thesis' values
(20 epochs, no early stopping) are ``RECLAB_DEFAULTS["autorec"]`` in
:mod:`recdyn.recommenders.defaults`.

How the defaults were chosen, on real MovieLens-100K without its test files: a screen on one
seeded 80/20 split of ``u1.base`` (lr 2.5e-4, 5e-4, 1e-3; full batch: 0.934, out), then 5-fold CV
inside ``u1.base`` (a seeded partition of its 80,000 ratings; train on 64,000, RMSE on 16,000).
Rule: the lowest mean CV RMSE, unless a cheaper candidate is within one standard error of the
paired fold differences. 5-fold CV RMSE (mean fit seconds, 2 shared CPU cores):

======================================================  ======  =====
thesis values: 20 epochs, lr 1e-3                        0.9115   1.4
lr 5e-4, early stopping, best epoch kept (no refit)      0.9134   2.8
same with ``val_fraction`` 0.05                          0.9128   1.8
lr 5e-4, early stopping + refit                          0.9104   5.4
**lr 1e-3, early stopping + refit** (default)            0.9111   4.0
======================================================  ======  =====

Refit beats keeping the best epoch by 0.0030 +- 0.0003 (lr 5e-4); lr 1e-3 is within one standard
error of 5e-4 (0.0007 +- 0.0008) and cheaper. The best epoch on ML-100K is 17-29 of 22-34
trained, so the thesis' 20 epochs were about right here; early stopping makes the count follow
the data (an online run's training set grows). Official splits (train ``uK.base``, test
``uK.test``, K = 1..5, seed 0): mean RMSE 0.9013 (fits 3.2-5.2 s, mean 3.8 s) against 0.9003 with
the thesis' values (1.8 s); Surprise's SVD: 0.936-0.951.

Compute: the encoder is a sparse (CSR) x dense product and the decoder is evaluated only on the
observed entries (sampled dense-dense product, SDDMM), so an epoch costs O(nnz * hidden_units);
nothing loops over users or items in Python. The helpers (:class:`SparsePattern`, :func:`spmm`,
:func:`sddmm`, :class:`TorchRecommender`) are shared with :mod:`recdyn.recommenders.cfnade`.
"""

from __future__ import annotations

import contextlib
import warnings
from collections.abc import Callable, Iterator

import numpy as np
import torch

from recdyn.devices import default_device
from recdyn.metrics import rmse
from recdyn.ratings import Ratings
from recdyn.recommenders.base import Recommender
from recdyn.recommenders.early_stopping import (check_early_stopping, run_epochs,
                                                train_then_refit, validation_mask)

RATING_RANGE = (1.0, 5.0)
#: (user, item) pairs per chunk in ``predict``.
_PREDICT_CHUNK = 8192

# torch warns once per process that CSR support is "in beta"; the few CSR operations used here
# (construction, CSR @ dense, sampled_addmm) are covered by tests/test_neural.py. Consume that
# one-time warning here, silently, without touching the global warning filters.
with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    torch.sparse_csr_tensor(torch.zeros(2, dtype=torch.int64), torch.zeros(1, dtype=torch.int64),
                            torch.ones(1), (1, 1), check_invariants=False)


# ---- deterministic sparse products ---------------------------------------------------------
class SparsePattern:
    """Sparsity pattern of an (n_rows, n_cols) matrix and of its transpose, as CSR index tensors.

    ``rows`` must be sorted ascending (the order of the nonzeros is the order of ``rows``/``cols``,
    and values passed to :meth:`csr` follow it).
    """

    def __init__(self, rows: np.ndarray, cols: np.ndarray, shape: tuple[int, int],
                 device: torch.device) -> None:
        rows = np.asarray(rows, dtype=np.int64)
        cols = np.asarray(cols, dtype=np.int64)
        n_rows, n_cols = int(shape[0]), int(shape[1])
        self.shape = (n_rows, n_cols)
        self.nnz = int(rows.size)
        t_perm = np.argsort(cols, kind="stable")  # rows stay sorted within each column
        self.crow = torch.as_tensor(_crow(rows, n_rows), device=device)
        self.col = torch.as_tensor(cols, device=device)
        self.t_crow = torch.as_tensor(_crow(cols[t_perm], n_cols), device=device)
        self.t_col = torch.as_tensor(rows[t_perm], device=device)
        self.t_perm = torch.as_tensor(t_perm, device=device)

    def csr(self, values: torch.Tensor) -> torch.Tensor:
        return torch.sparse_csr_tensor(self.crow, self.col, values, self.shape, check_invariants=False)

    def csr_t(self, values: torch.Tensor) -> torch.Tensor:
        return torch.sparse_csr_tensor(self.t_crow, self.t_col, values[self.t_perm],
                                       (self.shape[1], self.shape[0]), check_invariants=False)


def _crow(sorted_rows: np.ndarray, n_rows: int) -> np.ndarray:
    crow = np.zeros(n_rows + 1, dtype=np.int64)
    np.cumsum(np.bincount(sorted_rows, minlength=n_rows), out=crow[1:])
    return crow


class _SpMM(torch.autograd.Function):
    """``X @ dense`` for a constant sparse ``X`` (pattern + values); gradient w.r.t. ``dense``."""

    @staticmethod
    def forward(ctx, pattern: SparsePattern, values: torch.Tensor, dense: torch.Tensor):  # noqa: D102
        ctx.pattern = pattern
        ctx.save_for_backward(values)
        if pattern.nnz == 0:
            return dense.new_zeros((pattern.shape[0], dense.shape[1]))
        return pattern.csr(values) @ dense

    @staticmethod
    def backward(ctx, grad: torch.Tensor):  # noqa: D102
        (values,) = ctx.saved_tensors
        pattern = ctx.pattern
        if pattern.nnz == 0 or not ctx.needs_input_grad[2]:
            return None, None, None
        return None, None, pattern.csr_t(values) @ grad.contiguous()


class _SDDMM(torch.autograd.Function):
    """Values ``a[row_e] . b[col_e]`` at the pattern's nonzeros (in pattern order)."""

    @staticmethod
    def forward(ctx, pattern: SparsePattern, a: torch.Tensor, b: torch.Tensor):  # noqa: D102
        ctx.pattern = pattern
        ctx.save_for_backward(a, b)
        if pattern.nnz == 0:
            return a.new_zeros(0)
        ones = torch.ones(pattern.nnz, dtype=a.dtype, device=a.device)
        return torch.sparse.sampled_addmm(pattern.csr(ones), a, b.t(), beta=0.0).values()

    @staticmethod
    def backward(ctx, grad: torch.Tensor):  # noqa: D102
        a, b = ctx.saved_tensors
        pattern = ctx.pattern
        if pattern.nnz == 0:
            return None, torch.zeros_like(a), torch.zeros_like(b)
        grad = grad.contiguous()
        grad_a = pattern.csr(grad) @ b if ctx.needs_input_grad[1] else None
        grad_b = pattern.csr_t(grad) @ a if ctx.needs_input_grad[2] else None
        return None, grad_a, grad_b


def spmm(pattern: SparsePattern, values: torch.Tensor, dense: torch.Tensor) -> torch.Tensor:
    """(n_rows, k) product of the sparse matrix (``pattern``, constant ``values``) with ``dense``."""
    return _SpMM.apply(pattern, values, dense)


def sddmm(pattern: SparsePattern, a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """(nnz,) dot products ``a[row] . b[col]`` at the nonzeros of ``pattern``."""
    return _SDDMM.apply(pattern, a, b)


# ---- shared recommender plumbing -----------------------------------------------------------
def dedupe_last(users: np.ndarray, items: np.ndarray, ratings: np.ndarray,
                n_items: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Pairs sorted by (user, item), each pair once with its last rating."""
    key = users.astype(np.int64) * int(n_items) + items.astype(np.int64)
    order = np.argsort(key, kind="stable")
    key_sorted = key[order]
    last = np.ones(key_sorted.size, dtype=bool)
    last[:-1] = key_sorted[1:] != key_sorted[:-1]
    keep = order[last]
    return users[keep].astype(np.int64), items[keep].astype(np.int64), ratings[keep].astype(np.float64)


class TorchRecommender(Recommender):
    """Base of the torch recommenders: threads, device, determinism, early stopping and cold-pair
    fallbacks.

    Subclasses implement ``_train(users, items, ratings, held, epochs)`` (deduplicated, sorted by
    user then item; ``held`` masks the validation ratings, None without early stopping), calling
    :meth:`_run_epochs` for the epoch loop, and ``_scores(users)`` / ``_pair_scores(users, items)``
    returning float tensors of the model's predictions; this class applies the cold-pair fallback
    and clipping. Hyperparameters ``epochs``, ``val_fraction``, ``patience`` and ``refit`` are
    read here (:mod:`recdyn.recommenders.early_stopping`).
    """

    def __init__(self, *, seed: int = 0, num_threads: int | None = None, device: str | None = None,
                 **hyperparameters) -> None:
        super().__init__(seed=seed, **hyperparameters)
        if num_threads is not None and int(num_threads) < 1:
            raise ValueError(f"num_threads must be >= 1 or None, got {num_threads}")
        self.num_threads = None if num_threads is None else int(num_threads)
        self.device = torch.device(device or default_device())
        self.loss_history_: list[float] = []
        self.global_mean_: float | None = None
        self._user_seen: np.ndarray | None = None
        self._item_seen: np.ndarray | None = None

    @contextlib.contextmanager
    def _session(self) -> Iterator[None]:
        """Thread count and (on GPUs) deterministic algorithms while fitting or predicting."""
        old_threads = torch.get_num_threads()
        old_det = torch.are_deterministic_algorithms_enabled()
        old_warn = torch.is_deterministic_algorithms_warn_only_enabled()
        try:
            if self.num_threads is not None:
                torch.set_num_threads(self.num_threads)
            if self.device.type != "cpu":
                torch.use_deterministic_algorithms(True, warn_only=True)
            yield
        finally:
            if self.num_threads is not None:
                torch.set_num_threads(old_threads)
            if self.device.type != "cpu":
                torch.use_deterministic_algorithms(old_det, warn_only=old_warn)

    def _generator(self) -> torch.Generator:
        """CPU generator seeded with ``seed`` (draws happen on the CPU, then move to the device)."""
        gen = torch.Generator(device="cpu")
        gen.manual_seed(self.seed & 0xFFFF_FFFF_FFFF_FFFF)
        return gen

    def _fit(self, data: Ratings) -> None:
        if len(data) == 0:
            raise ValueError(f"{type(self).__name__}: cannot fit on an empty dataset")
        users, items, ratings = dedupe_last(np.asarray(data.users), np.asarray(data.items),
                                            np.asarray(data.ratings, dtype=np.float64),
                                            int(data.n_items))
        if (users.min() < 0 or users.max() >= data.n_users
                or items.min() < 0 or items.max() >= data.n_items):
            raise ValueError(f"{type(self).__name__}: user or item index out of range")
        self.global_mean_ = float(np.clip(ratings.mean(), *RATING_RANGE))
        self._user_seen = np.bincount(users, minlength=data.n_users) > 0
        self._item_seen = np.bincount(items, minlength=data.n_items) > 0
        hp = self.hyperparameters
        held = (validation_mask(users, items, hp["val_fraction"], self.seed)
                if hp["val_fraction"] > 0 else None)

        def train(mask: np.ndarray | None, epochs: int) -> None:
            self.loss_history_ = []
            self._train(users, items, ratings, mask, epochs)

        with self._session():
            train_then_refit(self, train, held, hp["epochs"], hp["refit"])

    def _train(self, users: np.ndarray, items: np.ndarray, ratings: np.ndarray,
               held: np.ndarray | None, epochs: int) -> None:
        """Train on the pairs (sorted by user, then item) for at most ``epochs`` epochs; ``held``
        (None: no early stopping) masks the validation pairs, kept out of the loss
        (:mod:`recdyn.recommenders.early_stopping`)."""
        raise NotImplementedError

    def _run_epochs(self, epochs: int, train_epoch: Callable[[], None],
                    validate: Callable[[], torch.Tensor] | None, params: list[torch.Tensor],
                    val_ratings: np.ndarray | None) -> None:
        """:func:`run_epochs` over ``params`` (tensors updated in place); ``validate()`` returns
        the raw predictions of the validation pairs, clipped here as ``predict`` does."""
        def val_rmse() -> float:
            with torch.no_grad():
                pred = validate().to(device="cpu", dtype=torch.float64).numpy()
            return rmse(np.clip(pred, *RATING_RANGE), val_ratings)

        def restore(state: list[torch.Tensor]) -> None:
            with torch.no_grad():
                for param, value in zip(params, state):
                    param.copy_(value)

        run_epochs(self, epochs, train_epoch, None if validate is None else val_rmse,
                   lambda: [p.detach().clone() for p in params], restore,
                   self.hyperparameters["patience"])

    def _scores(self, users: torch.Tensor) -> torch.Tensor:
        raise NotImplementedError

    def _pair_scores(self, users: torch.Tensor, items: torch.Tensor) -> torch.Tensor:
        raise NotImplementedError

    def score_users(self, users: np.ndarray) -> np.ndarray:
        """Dense (len(users), n_items) predicted ratings in [1, 5]."""
        self._check_fitted()
        users = np.asarray(users, dtype=np.int64).reshape(-1)
        with self._session(), torch.no_grad():
            out = self._scores(torch.as_tensor(users, device=self.device))
            out = out.to(device="cpu", dtype=torch.float64).numpy()
        np.clip(out, *RATING_RANGE, out=out)
        out[:, ~self._item_seen] = self.global_mean_
        out[~self._user_seen[users]] = self.global_mean_
        return out

    def predict(self, users: np.ndarray, items: np.ndarray) -> np.ndarray:
        """Predicted ratings in [1, 5] of the pairs ``(users[j], items[j])``."""
        users, items = self._fitted_pairs(users, items)
        flat_u, flat_i = users.reshape(-1), items.reshape(-1)
        out = np.empty(flat_u.size, dtype=np.float64)
        with self._session(), torch.no_grad():
            for start in range(0, flat_u.size, _PREDICT_CHUNK):
                stop = start + _PREDICT_CHUNK
                u = torch.as_tensor(flat_u[start:stop], device=self.device)
                i = torch.as_tensor(flat_i[start:stop], device=self.device)
                out[start:stop] = self._pair_scores(u, i).to(device="cpu", dtype=torch.float64).numpy()
        np.clip(out, *RATING_RANGE, out=out)
        cold = ~(self._user_seen[flat_u] & self._item_seen[flat_i])
        out[cold] = self.global_mean_
        return out.reshape(users.shape)


def uniform_(shape: tuple[int, ...], bound: float, gen: torch.Generator) -> torch.Tensor:
    """Uniform(-bound, bound) float32 CPU tensor drawn from ``gen``."""
    return (torch.rand(shape, generator=gen, dtype=torch.float32) * 2.0 - 1.0) * bound


# ---- AutoRec -------------------------------------------------------------------------------
class AutoRec(TorchRecommender):
    """Item-based AutoRec (I-AutoRec) trained with RMSProp; see the module docstring.

    Args:
        hidden_units: sigmoid hidden units (paper and RecLab: 500).
        reg: L2 weight decay lambda of ``reg / 2 * (||W||^2 + ||V||^2)``.
        epochs: passes over the items per fit: at most (early stopping) or exactly
            (``val_fraction=0``); every fit starts from scratch.
        lr: RMSProp learning rate.
        batch_size: items per mini-batch; 0 means one full batch per epoch.
        dropout: dropout probability on the hidden units during training (0: none).
        val_fraction: share of the training ratings held out for early stopping (0: off).
        patience: epochs without improvement of the validation RMSE before stopping.
        refit: after early stopping, retrain on all ratings for the best epoch count (else keep
            the best epoch's parameters).
        seed: seed of the validation split, the initialisation, batch order and dropout.
        num_threads: torch intra-op threads while fitting/predicting (None: unchanged).
        device: torch device ("cpu", "cuda", ...).
    """

    name = "autorec"

    def __init__(self, *, hidden_units: int = 500, reg: float = 100.0, epochs: int = 100,
                 lr: float = 1e-3, batch_size: int = 256, dropout: float = 0.0,
                 val_fraction: float = 0.1, patience: int = 5, refit: bool = True, seed: int = 0,
                 num_threads: int | None = None, device: str | None = None) -> None:
        if int(hidden_units) < 1:
            raise ValueError(f"hidden_units must be >= 1, got {hidden_units}")
        if float(reg) < 0:
            raise ValueError(f"reg must be >= 0, got {reg}")
        if int(epochs) < 0:
            raise ValueError(f"epochs must be >= 0, got {epochs}")
        if not float(lr) > 0:
            raise ValueError(f"lr must be > 0, got {lr}")
        if int(batch_size) < 0:
            raise ValueError(f"batch_size must be >= 0 (0: full batch), got {batch_size}")
        if not 0.0 <= float(dropout) < 1.0:
            raise ValueError(f"dropout must be in [0, 1), got {dropout}")
        check_early_stopping(val_fraction, patience)
        super().__init__(seed=seed, num_threads=num_threads, device=device,
                         hidden_units=int(hidden_units), reg=float(reg), epochs=int(epochs),
                         lr=float(lr), batch_size=int(batch_size), dropout=float(dropout),
                         val_fraction=float(val_fraction), patience=int(patience),
                         refit=bool(refit))
        self._enc_w: torch.Tensor | None = None   # (n_users, H): h = sigmoid(R @ enc_w + enc_b)
        self._enc_b: torch.Tensor | None = None   # (H,)
        self._dec: torch.Tensor | None = None     # (n_users, H + 1): [W | b], r_hat_u = W_u . h + b_u
        self._hidden: torch.Tensor | None = None  # (n_items, H + 1): [h(r_i) | 1] after fitting

    def _train(self, users: np.ndarray, items: np.ndarray, ratings: np.ndarray,
               held: np.ndarray | None, epochs: int) -> None:
        hp = self.hyperparameters
        n_users, n_items, n_hidden = self.n_users, self.n_items, hp["hidden_units"]
        dev, gen = self.device, self._generator()

        # Item-major CSR of the training pairs: rows are items, columns users (dedupe_last sorted
        # by user: re-sort). ``all_*``: every pair, the held-out ones included (prediction input).
        order = np.lexsort((users, items))
        all_rows, all_cols, all_vals = items[order], users[order], ratings[order]
        train = slice(None) if held is None else ~held[order]
        rows, cols, vals = all_rows[train], all_cols[train], all_vals[train]
        row_ptr = _crow(rows, n_items)
        active = np.flatnonzero(np.diff(row_ptr) > 0)  # items with ratings (others carry no loss)

        bound_enc, bound_dec = 1.0 / np.sqrt(n_users), 1.0 / np.sqrt(n_hidden)
        enc_w = uniform_((n_users, n_hidden), bound_enc, gen)
        enc_b = uniform_((n_hidden,), bound_enc, gen)
        dec = torch.cat([uniform_((n_users, n_hidden), bound_dec, gen),
                         torch.full((n_users, 1), float(vals.mean()))], dim=1)
        enc_w, enc_b, dec = (t.to(dev).requires_grad_() for t in (enc_w, enc_b, dec))
        optimizer = torch.optim.RMSprop([enc_w, enc_b, dec], lr=hp["lr"])

        batch = hp["batch_size"] or active.size
        reg, dropout = hp["reg"], hp["dropout"]
        n_active = active.size

        def train_epoch() -> None:
            perm = active[torch.randperm(n_active, generator=gen).numpy()]
            epoch_loss = 0.0
            for start in range(0, n_active, batch):
                batch_items = perm[start:start + batch]
                pattern, values, _ = _row_batch(row_ptr, cols, vals, batch_items, n_users, dev)
                hidden = torch.sigmoid(spmm(pattern, values, enc_w) + enc_b)
                if dropout > 0:
                    keep = (torch.rand(hidden.shape, generator=gen) >= dropout).to(dev)
                    hidden = hidden * keep / (1.0 - dropout)
                hidden = torch.cat([hidden, hidden.new_ones((hidden.shape[0], 1))], dim=1)
                pred = sddmm(pattern, hidden, dec)
                share = batch_items.size / n_active
                penalty = 0.5 * reg * share * (enc_w.square().sum() + dec[:, :-1].square().sum())
                loss = (pred - values).square().sum() + penalty
                optimizer.zero_grad(set_to_none=True)
                loss.backward()
                optimizer.step()
                epoch_loss += float(loss.detach())
            self.loss_history_.append(epoch_loss / vals.size)

        validate, val_ratings = None, None
        if held is not None and held.any():
            # Validation pairs are predicted from their item's training vector (its held-out
            # ratings are not part of the input, or the model would see the answer).
            val_items, val_pos = np.unique(all_rows[~train], return_inverse=True)
            val_users = torch.as_tensor(all_cols[~train], device=dev)
            val_pattern, val_values, _ = _row_batch(row_ptr, cols, vals, val_items, n_users, dev)
            val_pos, val_ratings = torch.as_tensor(val_pos, device=dev), all_vals[~train]

            def validate() -> torch.Tensor:
                hidden = torch.sigmoid(spmm(val_pattern, val_values, enc_w) + enc_b)[val_pos]
                return (hidden * dec[val_users, :-1]).sum(dim=1) + dec[val_users, -1]

        self._run_epochs(epochs, train_epoch, validate, [enc_w, enc_b, dec], val_ratings)

        with torch.no_grad():  # prediction input: every rating, the held-out ones included
            full = SparsePattern(all_rows, all_cols, (n_items, n_users), dev)
            hidden = torch.sigmoid(spmm(full, torch.as_tensor(all_vals, dtype=torch.float32,
                                                              device=dev), enc_w) + enc_b)
            self._hidden = torch.cat([hidden, hidden.new_ones((n_items, 1))], dim=1)
        self._enc_w, self._enc_b, self._dec = enc_w.detach(), enc_b.detach(), dec.detach()

    def _scores(self, users: torch.Tensor) -> torch.Tensor:
        return (self._hidden @ self._dec[users].T).T

    def _pair_scores(self, users: torch.Tensor, items: torch.Tensor) -> torch.Tensor:
        return (self._hidden[items] * self._dec[users]).sum(dim=1)


def _row_batch(row_ptr: np.ndarray, cols: np.ndarray, vals: np.ndarray, batch_rows: np.ndarray,
               n_cols: int, device: torch.device) -> tuple[SparsePattern, torch.Tensor, np.ndarray]:
    """CSR pattern (batch position x column), float32 values and entry indices of ``batch_rows``."""
    lengths = row_ptr[batch_rows + 1] - row_ptr[batch_rows]
    entry = _row_entries(row_ptr, batch_rows)
    local_rows = np.repeat(np.arange(batch_rows.size), lengths)
    pattern = SparsePattern(local_rows, cols[entry], (batch_rows.size, n_cols), device)
    values = torch.as_tensor(vals[entry], dtype=torch.float32, device=device)
    return pattern, values, entry


def _row_entries(row_ptr: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """Indices of the CSR entries of ``rows``, row after row."""
    starts, lengths = row_ptr[rows], row_ptr[rows + 1] - row_ptr[rows]
    return np.repeat(starts - np.cumsum(lengths) + lengths, lengths) + np.arange(lengths.sum())
