"""CF-NADE (Zheng, Tang, Ding and Zhou 2016, "A Neural Autoregressive Approach to Collaborative
Filtering", ICML), thesis section 2.4: "CF-NADE - A neural autoregressive architecture for
collaborative filtering [248] trained with Adam. We adapt a publicly available implementation"
(github.com/JoonyoungYi/CFNADE-keras, ported into RecLab as ``reclab/recommenders/cfnade``).

Model (one hidden layer, rating-specific weights with the paper's cumulative sharing). Each *row*
(an item by default, see ``orientation``) is a sequence of (column, rating) pairs, the ratings of
that item by its users; ratings are K = 5 levels. Given a context S of observed pairs,

    h(S)      = tanh(c + sum_{(j, r) in S} sum_{k <= r} W^k_j)        (sharing across ratings)
    s^k_j(S)  = sum_{l <= k} (b^l_j + V^l_j . h(S))                    (sharing on the output side)
    p(r_j = k | S) = softmax_k(s^k_j(S))

Training is the orderless NADE objective of Uria et al. (2014), as CFNADE-keras ``data_gen.py`` and
``rating_cost_lambda_func`` implement it: for every row and every epoch, draw a random ordering of its D
observed pairs and a split point d uniform in {0, ..., D-1}; the first d pairs are the context, and
the cost of the row is D / (D - d) times the cost of predicting each remaining pair from the
context. The pair cost is the paper's hybrid ``(1 - ordinal_weight) * C_reg + ordinal_weight *
C_ord``: C_reg = -log p(r), C_ord the ordinal cost

    C_ord = - sum_{k <= r} log(p(k) / sum_{l <= k} p(l)) - sum_{k >= r} log(p(k) / sum_{l >= k} p(l)).

The batch cost is the mean over its rows; Adam minimises it plus ``weight_decay * ||theta||^2``
summed over all parameters (W, V, b, c). The predicted rating of pair (u, i) is the expected
rating sum_k k p(r = k | S) under the model's conditional given *all* observed training pairs of
the row as context.

Choices (sources, read for facts only: the paper; CFNADE-keras ``run.py``/``nade.py``/
``data_gen.py``; RecLab ``reclab/recommenders/cfnade/cfnade.py`` and ``cfnade_lib/{nade,utils}.py``,
``experiments/experiment_scripts/cfnade_*.py``)
------------------------------------------------------------------------------------------------
* ``orientation="item"`` (I-CF-NADE: rows are items, the autoregression runs over an item's
  raters, and a user's prediction for item i is conditioned on all of item i's training ratings).
  This is what the thesis ran: CFNADE-keras and RecLab feed ``(batch of items, n_users, 5)``
  tensors (RecLab transposes the user x item matrix before training and predicting; the paper
  defines both variants). ``orientation="user"`` gives U-CF-NADE (rows are users: random
  orderings of each user's ratings, predictions conditioned on all of the user's ratings); same
  code, transposed data.
* ``hidden_units=500``, ``lr=1e-3``: RecLab's tuned values (DESIGN.md section 4; RecLab
  ``cfnade_topics_dynamic.py``: hidden_dim 500, learning_rate 0.001, batch 64, 10 epochs online,
  30 epochs offline; its lr sweep over {1e-4, 1e-3, 1e-2} notes "lr > 0.01 gets nan"). Adam
  betas (0.9, 0.999), eps 1e-8 (both codes).
* ``batch_size``: RecLab and CFNADE-keras used 64 rows; the default is 256 (below: as accurate
  with early stopping here, and half the cost per epoch).
* Weight sharing: both the cumulative input sharing and the cumulative output scores, as in
  CFNADE-keras ``nade.py`` (input: reversed cumsum of one-hot ratings) and ``prediction_layer``
  (cumsum of the scores before the softmax). No factorisation of W/V, one hidden layer, no
  dropout (RecLab ``Dropout(0.0)``), no input normalisation by the context size (RecLab
  ``normalized_layer=False``).
* ``weight_decay=0.02``: CFNADE-keras and RecLab put ``l2(0.02)`` regularisers on W, V, b and c,
  i.e. ``0.02 * sum(w^2)`` added to every batch's mean cost; we pass the same gradient to Adam as
  ``weight_decay=2 * 0.02`` (classic L2, not decoupled).
* ``ordinal_weight`` (lambda of the hybrid cost), default 0.01: the two codes disagree. RecLab's
  cost is ``1.0 * NLL + 0.01 * ordinal`` ("in the paper they reported alpha = 0.01 and std = 1.0"),
  i.e. lambda ~ 0.0099 in the convex form; CFNADE-keras uses ``0.01 * NLL + 1.0 * ordinal`` (lambda
  ~ 0.99). We default to the thesis' (RecLab's) weighting, rescaled to the convex form.
* Orderings: a fresh uniformly random ordering and split point per row per epoch (the split is
  uniform on {0, ..., D-1}, so at least one pair is predicted; ``np.random.randint(0, D)`` in both
  codes), from a ``numpy`` generator seeded with ``seed``. Only the context set matters for a
  one-layer NADE, so we draw a uniformly random subset of size d. Rows without ratings are not
  batched (the Keras generator padded batches with empty rows, which only shrank the batch mean).
* Initialisation: uniform(-0.05, 0.05) for every parameter (Keras' ``'uniform'`` initializer used
  by ``nade.py``), from a ``torch.Generator`` seeded with ``seed``.
* Non-integer ratings are rounded to the nearest level (half to even, as RecLab's ``np.around``)
  and clipped to 1..5 for training (RecLab's ``astype(int)`` after rounding would have turned a
  rating below 0.5 into "missing"; ours are clipped to level 1). Predictions are expectations and
  hence continuous.
* Repeated (user, item) pairs: the last rating counts. Cold pairs (a user or an item without any
  training rating) get the global mean of the (unrounded) training ratings, clipped to [1, 5]:
  a cold column's output parameters were never trained, and a cold row's conditional has an
  empty context; one rule for both, in both orientations (RecLab predicted 3 for unseen items).
* ``epochs``: at most 100 with early stopping (below); RecLab ran 10 online. Cost at ML-100K size
  (943 x 1682, 100,000 ratings, 500 hidden units, one CPU core): about 0.25-0.35 s per epoch with
  256-row batches, 0.5-0.6 s with 64-row batches (the Adam step over ~4.7M parameters is paid once
  per batch).
* Determinism, ``num_threads`` and ``device``: as :mod:`recdyn.recommenders.autorec` (local
  generators, CSR products with hand-written backward passes, no scatter kernels).

Early stopping and defaults (issue 23)
-------------------------------------
As :mod:`recdyn.recommenders.autorec` (:mod:`recdyn.recommenders.early_stopping`):
``val_fraction=0.1`` of the training ratings held out (seeded by ``seed`` on a stream of its own);
after every epoch the expected ratings of the held-out pairs, each conditioned on all the other
training ratings of its row, give the validation RMSE; stop after ``patience=10`` epochs without an
improvement of 1e-4, at most ``epochs=100``; ``refit=True`` (default) then trains afresh on all the
ratings for the best epoch count (``refit=False`` keeps the best epoch's parameters; the held-out
ratings then still join the prediction context: 0.9319 against 0.9312 without them on the screening
split). ``val_fraction=0`` trains ``epochs`` epochs exactly as before (bit-identical). The thesis'
values (batch 64, 10 epochs) are ``RECLAB_DEFAULTS["cfnade"]`` in
:mod:`recdyn.recommenders.defaults`.

On ML-100K the validation RMSE falls for 25-40 epochs and then wanders on a plateau (+-0.005
from epoch to epoch, no clear rise by epoch 80 under the 0.02 weight decay), so ``patience`` is
10: with 5, noise stopped some folds at 11-17 epochs (CV 0.9457 below). Chosen without the test
files: a screen on one seeded 80/20 split of ``u1.base`` (batch 64 / 128 / 256, lr 5e-4 /
1e-3 / 2e-3; batch 256 with lr 2e-3 was noisier, 0.958), then 5-fold CV inside ``u1.base`` (a
seeded partition of its 80,000 ratings; train on 64,000, RMSE on 16,000). Rule: the lowest mean
CV RMSE, unless a cheaper candidate is within one standard error of the paired fold differences.
5-fold CV RMSE (mean fit seconds, 2 shared CPU cores):

==========================================================  ======  =====
thesis values: batch 64, lr 1e-3, 10 epochs                  0.9476    4.4
batch 256, lr 1e-3, patience 5, best epoch kept              0.9457    8.0
same with ``val_fraction`` 0.05                              0.9463    5.7
batch 64, lr 5e-4, patience 5, best epoch kept               0.9431   17.3
batch 256, lr 1e-3, patience 10, best epoch kept             0.9415   12.2
batch 64, lr 5e-4, patience 10, best epoch kept              0.9380   22.9
batch 64, lr 5e-4, patience 10, refit                        0.9303   36.0
**batch 256, lr 1e-3, patience 10, refit** (default)         0.9321   18.6
==========================================================  ======  =====

Refit beats keeping the best epoch by 0.0094 +- 0.0020 (batch 256); batch 256 is within one
standard error of batch 64 with lr 5e-4 (0.0018 +- 0.0020) at half the fit time. Official
splits (train ``uK.base``, test ``uK.test``, K = 1..5, seed 0): mean RMSE 0.9201 (best epochs
25-58; fits 16.0-30.9 s, mean 22.6 s) against 0.9411 with the thesis' values (mean 5.4 s);
Surprise's SVD: 0.936-0.951, SVD++ about 0.92-0.933.

Compute: contexts enter through a sparse (CSR) x dense product with W (one nonzero per context
pair and rating level below it) and outputs are evaluated only for the predicted pairs (SDDMM with
V), so an epoch costs O(nnz * K * hidden_units) plus one Adam step over the 2 * n_cols * K *
hidden_units parameters per batch; nothing loops over users or items in Python.
"""

from __future__ import annotations

import numpy as np
import torch

from recdyn.optim import make_optimizer
from recdyn.recommenders.autorec import (SparsePattern, TorchRecommender, _crow, _row_entries,
                                         sddmm, spmm, uniform_)
from recdyn.recommenders.early_stopping import check_early_stopping

N_LEVELS = 5
ORIENTATIONS = ("item", "user")
#: Keras' default 'uniform' initializer bound.
_INIT_BOUND = 0.05
#: Users per block in ``score_users`` (bounds the (n_items, block, K) score tensor).
_SCORE_BLOCK = 256


def rating_levels(ratings: np.ndarray) -> np.ndarray:
    """0-based levels 0..4 of ratings (rounded half to even, clipped to 1..5)."""
    return (np.clip(np.rint(ratings), 1, N_LEVELS) - 1).astype(np.int64)


def expected_rating(scores: torch.Tensor) -> torch.Tensor:
    """Expected rating under softmax(cumsum(scores)) over the last axis (K levels, ratings 1..K)."""
    probs = torch.softmax(torch.cumsum(scores, dim=-1), dim=-1)
    levels = torch.arange(1, scores.shape[-1] + 1, dtype=scores.dtype, device=scores.device)
    return probs @ levels


def _log_cumsum_exp(logp: torch.Tensor) -> torch.Tensor:
    """``logcumsumexp`` over the K (few) columns, by running ``logaddexp`` (faster on the CPU)."""
    cols = [logp[:, 0]]
    for k in range(1, logp.shape[1]):
        cols.append(torch.logaddexp(cols[-1], logp[:, k]))
    return torch.stack(cols, dim=1)


def _ordinal_cost(logp: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """Ordinal cost per row of ``logp`` (n, K) log-probabilities with true levels ``target``."""
    k = torch.arange(logp.shape[1], device=logp.device)
    up = _log_cumsum_exp(logp) - logp                      # log sum_{l<=k} p(l) - log p(k)
    down = _log_cumsum_exp(logp.flip(1)).flip(1) - logp    # log sum_{l>=k} p(l) - log p(k)
    t = target[:, None]
    return (up * (k <= t)).sum(dim=1) + (down * (k >= t)).sum(dim=1)


class CFNADE(TorchRecommender):
    """CF-NADE with cumulative rating sharing, trained with Adam; see the module docstring.

    Args:
        hidden_units: tanh hidden units (RecLab: 500).
        epochs: passes over the rows per fit: at most (early stopping) or exactly
            (``val_fraction=0``); every fit starts from scratch.
        lr: Adam learning rate (RecLab: 1e-3).
        batch_size: rows (items, or users with ``orientation="user"``) per batch (RecLab: 64).
        weight_decay: coefficient of ``sum(theta^2)`` added to each batch's cost (RecLab: 0.02).
        ordinal_weight: lambda of the hybrid cost ``(1 - lambda) * NLL + lambda * ordinal``.
        orientation: "item" (I-CF-NADE, as the thesis' code) or "user" (U-CF-NADE).
        val_fraction: share of the training ratings held out for early stopping (0: off).
        patience: epochs without improvement of the validation RMSE before stopping.
        refit: after early stopping, retrain on all ratings for the best epoch count (else keep
            the best epoch's parameters).
        seed: seed of the validation split, the initialisation, orderings and batch order.
        num_threads: torch intra-op threads while fitting/predicting (None: unchanged).
        device: torch device ("cpu", "cuda", ...); None: :func:`recdyn.devices.default_device`.
    """

    name = "cfnade"

    def __init__(self, *, hidden_units: int = 500, epochs: int = 100, lr: float = 1e-3,
                 batch_size: int = 256, weight_decay: float = 0.02, ordinal_weight: float = 0.01,
                 orientation: str = "item", val_fraction: float = 0.1, patience: int = 10,
                 refit: bool = True, seed: int = 0, num_threads: int | None = None,
                 device: str | None = None) -> None:
        if int(hidden_units) < 1:
            raise ValueError(f"hidden_units must be >= 1, got {hidden_units}")
        if int(epochs) < 0:
            raise ValueError(f"epochs must be >= 0, got {epochs}")
        if not float(lr) > 0:
            raise ValueError(f"lr must be > 0, got {lr}")
        if int(batch_size) < 1:
            raise ValueError(f"batch_size must be >= 1, got {batch_size}")
        if float(weight_decay) < 0:
            raise ValueError(f"weight_decay must be >= 0, got {weight_decay}")
        if not 0.0 <= float(ordinal_weight) <= 1.0:
            raise ValueError(f"ordinal_weight must be in [0, 1], got {ordinal_weight}")
        if orientation not in ORIENTATIONS:
            raise ValueError(f"orientation must be one of {ORIENTATIONS}, got {orientation!r}")
        check_early_stopping(val_fraction, patience)
        super().__init__(seed=seed, num_threads=num_threads, device=device,
                         hidden_units=int(hidden_units), epochs=int(epochs), lr=float(lr),
                         batch_size=int(batch_size), weight_decay=float(weight_decay),
                         ordinal_weight=float(ordinal_weight), orientation=orientation,
                         val_fraction=float(val_fraction), patience=int(patience),
                         refit=bool(refit))
        self._hidden: torch.Tensor | None = None  # (n_rows, H + 1): [h(all row pairs) | 1]
        self._out: torch.Tensor | None = None     # (n_cols, K, H + 1): [V | b]

    # ---- training --------------------------------------------------------------------------
    def _train(self, users: np.ndarray, items: np.ndarray, ratings: np.ndarray,
               held: np.ndarray | None, epochs: int) -> None:
        hp = self.hyperparameters
        item_rows = hp["orientation"] == "item"
        rows, cols = (items, users) if item_rows else (users, items)
        n_rows, n_cols = (self.n_items, self.n_users) if item_rows else (self.n_users, self.n_items)
        order = np.lexsort((cols, rows))
        # ``all_*``: every pair, the held-out ones included (the prediction context).
        all_rows, all_cols, all_levels = rows[order], cols[order], rating_levels(ratings[order])
        train = slice(None) if held is None else ~held[order]
        rows, cols, levels = all_rows[train], all_cols[train], all_levels[train]
        row_ptr = _crow(rows, n_rows)
        counts = np.diff(row_ptr)
        active = np.flatnonzero(counts > 0)
        n_hidden, dev = hp["hidden_units"], self.device
        lam, batch = hp["ordinal_weight"], hp["batch_size"]

        gen = self._generator()
        weights_in = uniform_((n_cols * N_LEVELS, n_hidden), _INIT_BOUND, gen).to(dev).requires_grad_()
        bias_hidden = uniform_((n_hidden,), _INIT_BOUND, gen).to(dev).requires_grad_()
        out = uniform_((n_cols * N_LEVELS, n_hidden + 1), _INIT_BOUND, gen).to(dev).requires_grad_()
        params = [weights_in, bias_hidden, out]
        optimizer = _adam(params, hp["lr"], 2.0 * hp["weight_decay"], dev)
        rng = np.random.default_rng(np.random.SeedSequence([self.seed & 0xFFFF_FFFF, 0x4E414445]))

        def train_epoch() -> None:
            # Context of each pair: a uniformly random subset of size d_r of its row, d_r uniform
            # on {0, ..., D_r - 1} (equivalently the first d_r pairs of a random ordering).
            keys = rng.random(rows.size)
            split = np.floor(rng.random(n_rows) * counts).astype(np.int64)
            by_key = np.lexsort((keys, rows))
            rank = np.empty(rows.size, dtype=np.int64)
            rank[by_key] = np.arange(rows.size) - row_ptr[rows[by_key]]
            is_context = rank < split[rows]
            row_weight = counts / np.maximum(counts - split, 1)
            perm = active[rng.permutation(active.size)]
            epoch_cost, n_batches = 0.0, 0
            for start in range(0, perm.size, batch):
                cost = self._batch_cost(perm[start:start + batch], row_ptr, cols, levels, is_context,
                                        row_weight, weights_in, bias_hidden, out, lam)
                optimizer.zero_grad(set_to_none=True)
                cost.backward()
                optimizer.step()
                epoch_cost += float(cost.detach())
                n_batches += 1
            with torch.no_grad():
                penalty = hp["weight_decay"] * sum(float(p.square().sum()) for p in params)
            self.loss_history_.append(epoch_cost / max(n_batches, 1) + penalty)

        validate, val_ratings = None, None
        if held is not None and held.any():
            # A validation pair is predicted from all training pairs of its row (not itself).
            val_rows, val_pos = np.unique(all_rows[~train], return_inverse=True)
            ctx = np.repeat(np.arange(val_rows.size), counts[val_rows])
            entry = _row_entries(row_ptr, val_rows)
            val_pos = torch.as_tensor(val_pos, device=dev)
            val_cols = torch.as_tensor(all_cols[~train], device=dev)
            val_ratings = ratings[order][~train]

            def validate() -> torch.Tensor:
                hidden = torch.tanh(_context_product(ctx, cols[entry], levels[entry],
                                                     (val_rows.size, n_cols), weights_in, dev)
                                    + bias_hidden)
                hidden = torch.cat([hidden, hidden.new_ones((hidden.shape[0], 1))], dim=1)
                scores = torch.bmm(out.view(n_cols, N_LEVELS, n_hidden + 1)[val_cols],
                                   hidden[val_pos][:, :, None]).squeeze(2)
                return expected_rating(scores)

        self._run_epochs(epochs, train_epoch, validate, params, val_ratings)

        with torch.no_grad():  # prediction context: every rating, the held-out ones included
            hidden = torch.tanh(_context_product(all_rows, all_cols, all_levels, (n_rows, n_cols),
                                                 weights_in, dev) + bias_hidden)
            self._hidden = torch.cat([hidden, hidden.new_ones((n_rows, 1))], dim=1)
        self._out = out.detach().view(n_cols, N_LEVELS, n_hidden + 1)

    def _batch_cost(self, batch_rows: np.ndarray, row_ptr: np.ndarray, cols: np.ndarray,
                    levels: np.ndarray, is_context: np.ndarray, row_weight: np.ndarray,
                    weights_in: torch.Tensor, bias_hidden: torch.Tensor, out: torch.Tensor,
                    lam: float) -> torch.Tensor:
        dev = self.device
        lengths = row_ptr[batch_rows + 1] - row_ptr[batch_rows]
        entry = _row_entries(row_ptr, batch_rows)
        local = np.repeat(np.arange(batch_rows.size), lengths)
        ctx = is_context[entry]
        n_cols = out.shape[0] // N_LEVELS
        shape = (batch_rows.size, n_cols)
        hidden = torch.tanh(_context_product(local[ctx], cols[entry[ctx]], levels[entry[ctx]], shape,
                                             weights_in, dev) + bias_hidden)
        hidden = torch.cat([hidden, hidden.new_ones((hidden.shape[0], 1))], dim=1)

        tgt = entry[~ctx]
        tgt_rows = local[~ctx]
        pattern = SparsePattern(np.repeat(tgt_rows, N_LEVELS),
                                (cols[tgt][:, None] * N_LEVELS + np.arange(N_LEVELS)).reshape(-1),
                                (batch_rows.size, n_cols * N_LEVELS), dev)
        scores = sddmm(pattern, hidden, out).view(-1, N_LEVELS)
        logp = torch.log_softmax(torch.cumsum(scores, dim=1), dim=1)
        target = torch.as_tensor(levels[tgt], device=dev)
        cost = -logp.gather(1, target[:, None]).squeeze(1) * (1.0 - lam)
        if lam > 0:
            cost = cost + lam * _ordinal_cost(logp, target)
        weight = torch.as_tensor(row_weight[batch_rows][tgt_rows], dtype=logp.dtype, device=dev)
        return (weight * cost).sum() / batch_rows.size

    # ---- prediction ------------------------------------------------------------------------
    def _scores(self, users: torch.Tensor) -> torch.Tensor:
        n_hidden1 = self._out.shape[2]
        if self.hyperparameters["orientation"] == "user":
            flat = self._out.reshape(-1, n_hidden1)
            blocks = [expected_rating((self._hidden[u] @ flat.T).view(u.numel(), -1, N_LEVELS))
                      for u in users.split(_SCORE_BLOCK)]
        else:
            blocks = [expected_rating((self._hidden @ self._out[u].reshape(-1, n_hidden1).T)
                                      .view(self._hidden.shape[0], u.numel(), N_LEVELS)).T
                      for u in users.split(_SCORE_BLOCK)]
        if not blocks:
            return torch.empty((0, self.n_items), device=self.device)
        return torch.cat(blocks, dim=0)

    def _pair_scores(self, users: torch.Tensor, items: torch.Tensor) -> torch.Tensor:
        rows, cols = (items, users) if self.hyperparameters["orientation"] == "item" else (users, items)
        scores = torch.bmm(self._out[cols], self._hidden[rows][:, :, None]).squeeze(2)
        return expected_rating(scores)


def _context_product(rows: np.ndarray, cols: np.ndarray, levels: np.ndarray, shape: tuple[int, int],
                     weights_in: torch.Tensor, device: torch.device) -> torch.Tensor:
    """sum over the context pairs (row, col, level) of sum_{k <= level} W[col * K + k], per row.

    ``rows`` must be sorted; returns (shape[0], H).
    """
    width = levels + 1
    offsets = np.arange(width.sum()) - np.repeat(np.cumsum(width) - width, width)
    pattern = SparsePattern(np.repeat(rows, width), np.repeat(cols * N_LEVELS, width) + offsets,
                            (shape[0], shape[1] * N_LEVELS), device)
    ones = torch.ones(pattern.nnz, dtype=weights_in.dtype, device=device)
    return spmm(pattern, ones, weights_in)


def _adam(params: list[torch.Tensor], lr: float, l2: float, device: torch.device) -> torch.optim.Adam:
    """Adam (betas 0.9/0.999, eps 1e-8) with classic L2 gradient ``l2 * w``; fused when available."""
    return make_optimizer(torch.optim.Adam, params, lr=lr, betas=(0.9, 0.999), eps=1e-8, weight_decay=l2)
