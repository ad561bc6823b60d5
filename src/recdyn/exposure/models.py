"""Rating models whose embeddings define the exposure games of thesis section 5.3.

The thesis fits (with scikit-surprise) probabilistic matrix factorisation on centred ratings (PMF),
non-negative matrix factorisation (NMF) and matrix factorisation with user/item biases (MF, section 5.7),
choosing regularisation and learning rate by two-fold 90/10 cross-validation; the user embeddings define
the demand ``P_c`` (uniform over users) and the item embeddings are the pre-adaptation "baseline" creators.

Our implementation (torch, vectorised over ratings): mini-batch Adam on the squared error with the
surprise-style per-rating penalty ``reg * (||p_u||^2 + ||q_i||^2 [+ b_u^2 + b_i^2])``:

- ``pmf``: ``r_ui - mean(r) ~ <p_u, q_i>``;
- ``nmf``: ``r_ui ~ <p_u, q_i>`` with ``p, q >= 0`` (projected: clamped at zero after every step, started
  from absolute Gaussian values), so the fitted user embeddings make a non-negative game (Definition 2);
- ``mf``: ``r_ui ~ mean(r) + b_u + b_i + <p_u, q_i>``; the game ignores the biases (section 5.7).

Readings of the text: the thesis' exact optimiser (surprise's SGD / multiplicative NMF) is replaced by
Adam, whose learning rate is the tuned "learning rate"; "two-fold 90/10" is read as two independent random
90/10 train/validation splits, selecting the grid point of least mean validation RMSE.
"""

from __future__ import annotations

import itertools
import logging
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
import torch

from recdyn.optim import make_optimizer
from recdyn.progress import Progress

LOG = logging.getLogger(__name__)
MODELS = ("pmf", "nmf", "mf")
PRECISIONS = {"float32": torch.float32, "float64": torch.float64}


@dataclass
class RatingData:
    """Ratings as contiguous integer indices: users ``0..m-1``, items ``0..k-1``."""

    users: np.ndarray
    items: np.ndarray
    ratings: np.ndarray
    user_ids: np.ndarray  # original id of each user index
    item_ids: np.ndarray  # original id of each item index

    @property
    def n_users(self) -> int:
        return len(self.user_ids)

    @property
    def n_items(self) -> int:
        return len(self.item_ids)


def rating_data(table: pd.DataFrame, user_col: str, item_col: str, rating_col: str = "rating") -> RatingData:
    """Index a tidy ratings table (e.g. ml100k ``ratings.parquet`` or lastfm ``plays.parquet``)."""
    missing = {user_col, item_col, rating_col} - set(table.columns)
    if missing:
        raise KeyError(f"ratings table lacks columns {sorted(missing)}; has {list(table.columns)}")
    users, user_ids = pd.factorize(table[user_col], sort=True)
    items, item_ids = pd.factorize(table[item_col], sort=True)
    return RatingData(users.astype(np.int64), items.astype(np.int64), table[rating_col].to_numpy(np.float64),
                      np.asarray(user_ids), np.asarray(item_ids))


@dataclass
class FittedModel:
    """Embeddings of one fitted model: users ``(m, d)`` (the demand) and items ``(k, d)`` (baseline creators)."""

    model: str
    users: np.ndarray
    items: np.ndarray
    user_bias: np.ndarray | None
    item_bias: np.ndarray | None
    offset: float

    def predict(self, users: np.ndarray, items: np.ndarray) -> np.ndarray:
        pred = self.offset + np.einsum("ij,ij->i", self.users[users], self.items[items])
        if self.user_bias is not None:
            pred = pred + self.user_bias[users] + self.item_bias[items]
        return pred


def fit_model(
    data: RatingData, model: str, dim: int, reg: float, lr: float, epochs: int, batch_size: int,
    init_std: float, seed: int, train: np.ndarray | None = None, precision: str = "float64",
) -> FittedModel:
    """Fit one rating model (see module docstring) on ``data`` (restricted to the ``train`` mask if given).

    ``precision`` is the dtype of the embeddings, gradients and Adam state during the fit. Every step of
    dense Adam reads and writes all ``(m + k) d`` parameters and their moments (most rows have a zero
    gradient in a batch of 1,000 ratings), so the fit is memory-bound and ``float32`` roughly halves it.
    The initial values are drawn in float64 either way (same draws), and the result is float64.
    The batch gradients are written out (:func:`batch_gradients`) and added into persistent dense
    gradients whose touched rows are zeroed after each step: the same Adam steps as autograd's dense
    gradients (float64: embeddings equal to 1e-15 relative; float32: 1e-6 after 2 LastFM-size epochs),
    faster: the LastFM d = 50 audit fits took 164 instead of 223-247 CPU s (issue 21).
    """
    if model not in MODELS:
        raise ValueError(f"unknown rating model {model!r}; expected one of {MODELS}")
    if precision not in PRECISIONS:
        raise ValueError(f"precision must be one of {sorted(PRECISIONS)}, got {precision!r}")
    dtype = PRECISIONS[precision]
    idx = np.arange(len(data.ratings)) if train is None else np.flatnonzero(train)
    users = torch.as_tensor(data.users[idx])
    items = torch.as_tensor(data.items[idx])
    ratings = torch.as_tensor(data.ratings[idx], dtype=torch.float64)
    offset = 0.0 if model == "nmf" else float(ratings.mean())
    target = (ratings - offset).to(dtype)
    gen = torch.Generator().manual_seed(int(seed))
    p = init_std * torch.randn(data.n_users, dim, generator=gen, dtype=torch.float64)
    q = init_std * torch.randn(data.n_items, dim, generator=gen, dtype=torch.float64)
    if model == "nmf":
        # start at the scale where <p, q> matches the mean rating, so the positive fit is reachable
        level = math.sqrt(max(float(ratings.mean()), 1e-6) / dim)
        p, q = p.abs() + level, q.abs() + level
    p, q = p.to(dtype), q.to(dtype)
    params = [p, q]
    bu = bi = None
    if model == "mf":
        bu = torch.zeros(data.n_users, dtype=dtype)
        bi = torch.zeros(data.n_items, dtype=dtype)
        params += [bu, bi]
    for x in params:  # dense gradients, zero outside the rows of the current batch
        x.grad = torch.zeros_like(x)
    opt = make_optimizer(torch.optim.Adam, params, lr=lr)
    n = len(target)
    progress = Progress(epochs, f"{model} fit (epochs)")
    with torch.no_grad():
        for _ in range(epochs):
            progress.step()
            order = torch.randperm(n, generator=gen)
            for start in range(0, n, batch_size):
                b = order[start:start + batch_size]
                u, i = users.index_select(0, b), items.index_select(0, b)
                rows = (u, i, u, i)
                grads = batch_gradients(p, q, bu, bi, u, i, target.index_select(0, b), reg)
                for x, r, g in zip(params, rows, grads):
                    x.grad.index_add_(0, r, g)
                opt.step()
                for x, r in zip(params, rows):
                    x.grad.index_fill_(0, r, 0.0)
                if model == "nmf":
                    p.clamp_(min=0.0)
                    q.clamp_(min=0.0)
    def as_float64(x: torch.Tensor | None) -> np.ndarray | None:
        return None if x is None else x.detach().numpy().astype(np.float64)  # a copy for either dtype

    return FittedModel(model=model, users=as_float64(p), items=as_float64(q), user_bias=as_float64(bu),
                       item_bias=as_float64(bi), offset=offset)


def batch_gradients(
    p: torch.Tensor, q: torch.Tensor, bu: torch.Tensor | None, bi: torch.Tensor | None,
    u: torch.Tensor, i: torch.Tensor, target: torch.Tensor, reg: float,
) -> list[torch.Tensor]:
    """Gradients of one batch's loss ``mean((t - pred)^2 + reg * penalty)`` (module docstring) with
    respect to the batch's rows ``p[u], q[i]`` (and ``bu[u], bi[i]`` for MF), one row per rating:
    ``index_add_`` them at ``u, i`` for the dense gradients. Written out instead of autograd: advanced
    indexing and its backward (a zero-filled dense gradient, then ``index_put_``) took 3/4 of a step."""
    pu, qi = p.index_select(0, u), q.index_select(0, i)
    pred = (pu * qi).sum(1)
    if bu is not None:
        bu_u, bi_i = bu.index_select(0, u), bi.index_select(0, i)
        pred = pred + bu_u + bi_i
    scale = 2.0 / len(target)
    err = (target - pred)[:, None]
    grads = [scale * (reg * pu - err * qi), scale * (reg * qi - err * pu)]
    if bu is not None:
        grads += [scale * (reg * bu_u - err[:, 0]), scale * (reg * bi_i - err[:, 0])]
    return grads


def rmse(fitted: FittedModel, data: RatingData, mask: np.ndarray) -> float:
    """Root mean squared error of ``fitted`` on the ratings selected by ``mask``."""
    idx = np.flatnonzero(mask)
    err = fitted.predict(data.users[idx], data.items[idx]) - data.ratings[idx]
    return float(np.sqrt(np.mean(err**2)))


def cross_validate(
    data: RatingData, model: str, dim: int, grid: Mapping[str, Sequence[float]], folds: int,
    holdout: float, seed: int, **fit_kwargs,
) -> pd.DataFrame:
    """Validation RMSE of every (reg, lr) grid point over ``folds`` random ``1-holdout``/``holdout`` splits.

    Returns one row per grid point with columns ``reg, lr, rmse`` (mean over folds) sorted best first.
    """
    if set(grid) != {"reg", "lr"}:
        raise KeyError(f"CV grid must have exactly the keys reg and lr, got {sorted(grid)}")
    rng = np.random.default_rng(seed)
    masks = [rng.random(len(data.ratings)) >= holdout for _ in range(folds)]
    rows = []
    for reg, lr in itertools.product(grid["reg"], grid["lr"]):
        scores = [rmse(fit_model(data, model, dim, reg=reg, lr=lr, seed=seed + f, train=train, **fit_kwargs),
                       data, ~train) for f, train in enumerate(masks)]
        rows.append({"reg": float(reg), "lr": float(lr), "rmse": float(np.mean(scores))})
        LOG.info("cv %s d=%d reg=%g lr=%g: rmse %.4f", model, dim, reg, lr, rows[-1]["rmse"])
    return pd.DataFrame(rows).sort_values("rmse", kind="stable", ignore_index=True)
