"""latent-static, latent-dynamic and ml-100k (thesis section 2.3).

Model (thesis 2.3)
------------------
    r(u, i) = clip(mu0 + c_u + b_i + p_u . q_i - boredom(u, i) + eps),  eps ~ N(0, sigma^2),
    clip to [1, 5];  mu0 = 3,  c_u, b_i ~ N(0, 0.25),  p_u, q_i ~ N(0, sqrt(0.5 / d)) (d = 100).

The thesis writes N(mean, variance): biases have variance 0.25 (sd 0.5) and factor entries
variance sqrt(0.5/d) (sd (0.5/d)^(1/4) = 0.266 for d = 100), so that p_u . q_i has variance
d * (sqrt(0.5/d))^2 = 0.5 whatever d. RecLab agrees (``reclab/environments/latent_factors.py``
at tag 0.1.2, ``_generate_latent_factors``: ``normal(scale=0.5)`` for both biases and
``factor_sd = np.sqrt(np.sqrt(0.5 / latent_dim))`` for the factors, offset 3.0), and so does
DESIGN.md's "biases N(0, 0.5)", which gives the standard deviation.

Facts from RecLab (``latent_factors.py``, ``registry.py``, ``environment.py``, tag 0.1.2)
-----------------------------------------------------------------------------------------
* Defaults: ``latent-static-v1``: d = 100, 943 users, 1682 items, rating_frequency 0.2 (188
  users online: ``int(0.2 * 943)``), 100,000 offline ratings, noise sd 0.5, no dynamics.
  ``latent-dynamic-v1``: affinity_change 0.2, memory_length 5, boredom_threshold 0,
  boredom_penalty 2.
* Draw order: user biases, user factors, item biases, item factors (kept here, with numpy's
  Generator).
* Affinity change (``LatentFactorBehavior._rate_items``), after the rating:
  ``p_u <- (1 - a) p_u + a q_i``.
* Boredom (``_get_rating``/``_get_dense_ratings``): for every item j in the user's own history
  of their last ``memory_length`` consumptions (appended after the rating, current item not
  included), the penalty adds ``max(0, cos(q_i, q_j) - boredom_threshold)``; the sum is
  multiplied by ``boredom_penalty / memory_length`` (the constructor divides the penalty by
  the memory length). Subtracted before the noise. (RecLab 0.1.2's per-rating code multiplies a
  1-D by a 2-D array here and fails for d > 1 once a history exists; its dense code and the
  docstring give the formula used here. The thesis presents no latent-dynamic results.)
* Offline ratings go through the same rating function, so offline consumptions move the user
  factors (history stays empty); ``offline_dynamics`` offers the same ``"after"`` (default),
  ``"sequential"`` (RecLab) and ``"none"`` readings as the topics environments, see
  :mod:`recdyn.envs.topics`.
* ml-100k (``DatasetLatentFactor``): a latent-static environment whose offset, biases and factors
  are those of a factorisation model fitted to MovieLens-100K (RecLab: its own libFM fit saved
  as ``fm_model.npz``: ``offset`` = global bias, ``user_bias``, ``item_bias``,
  ``user_factors``, ``item_factors``); here a :class:`recdyn.fit.libfm.FactorModel`, so
  ``true_ratings() == clip(model.predict(u, i), 1, 5)``.

``true_ratings()`` is ``clip(mu0 + c + b + P Q^T - boredom, 1, 5)`` (RecLab's dense ratings are
unclipped; its experiment code clips them to [1, 5] before use).
"""

from __future__ import annotations

import os
from typing import Any

import numpy as np

from recdyn.envs.base import Environment, check_choice, within_user_rounds
from recdyn.envs.topics import OFFLINE_DYNAMICS

#: Pairs per block when computing p_u . q_i for many pairs (bounds the gathered memory).
_PAIR_BLOCK = 1 << 15
_EXCESS_CACHE_CELLS = 25_000_000  # item x item boredom cache (200 MB of float64) at most


class LatentEnv(Environment):
    """Latent-factor environment (latent-static / latent-dynamic, thesis section 2.3).

    Args:
        latent_dim: d (100).
        n_users, n_items: 943, 1682.
        online_users: users online per step (188).
        initial_ratings: offline ratings (100,000).
        noise: sd of the rating noise (0.5).
        offset: mu0 (3).
        bias_sd: sd of user and item biases (0.5, i.e. variance 0.25).
        factor_sd: sd of factor entries; default ``(0.5 / d) ** 0.25`` (variance sqrt(0.5/d)).
        affinity_change: a in ``p_u <- (1 - a) p_u + a q_i`` (0 static, 0.2 dynamic).
        memory_length: remembered consumptions (0 static, 5 dynamic).
        boredom_threshold: cosine-similarity threshold (0).
        boredom_penalty: penalty factor, divided by ``memory_length`` (0 static, 2 dynamic).
        offline_dynamics: ``"after"``, ``"sequential"`` or ``"none"``.
        sampling: offline sampling scheme.
    """

    name = "latent"

    def __init__(self, *, latent_dim: int = 100, n_users: int = 943, n_items: int = 1682,
                 online_users: int = 188, initial_ratings: int = 100_000, noise: float = 0.5,
                 offset: float = 3.0, bias_sd: float = 0.5, factor_sd: float | None = None,
                 affinity_change: float = 0.0, memory_length: int = 0, boredom_threshold: float = 0.0,
                 boredom_penalty: float = 0.0, offline_dynamics: str = "after",
                 sampling: str = "uniform") -> None:
        super().__init__(n_users=n_users, n_items=n_items, online_users=online_users,
                         initial_ratings=initial_ratings, sampling=sampling)
        if int(latent_dim) < 1:
            raise ValueError(f"latent_dim must be positive, got {latent_dim}")
        if int(memory_length) < 0:
            raise ValueError(f"memory_length must be >= 0, got {memory_length}")
        if noise < 0:
            raise ValueError(f"noise must be >= 0, got {noise}")
        self.latent_dim = int(latent_dim)
        self.noise = float(noise)
        self.offset = float(offset)
        self.bias_sd = float(bias_sd)
        self.factor_sd = float((0.5 / self.latent_dim) ** 0.25 if factor_sd is None else factor_sd)
        self.affinity_change = float(affinity_change)
        self.memory_length = int(memory_length)
        self.boredom_threshold = float(boredom_threshold)
        self.boredom_penalty = float(boredom_penalty)
        self.offline_dynamics = check_choice("offline_dynamics", offline_dynamics, OFFLINE_DYNAMICS)

    # ---- public views ----------------------------------------------------------------------
    @property
    def user_factors(self) -> np.ndarray:
        return self._h_user_factors.copy()

    @property
    def item_factors(self) -> np.ndarray:
        return self._h_item_factors.copy()

    @property
    def user_bias(self) -> np.ndarray:
        return self._h_user_bias.copy()

    @property
    def item_bias(self) -> np.ndarray:
        return self._h_item_bias.copy()

    @property
    def boredom_active(self) -> bool:
        return self.memory_length > 0 and self.boredom_penalty != 0.0

    # ---- state -----------------------------------------------------------------------------
    def _draw_parameters(self, rng: np.random.Generator) -> tuple[float, np.ndarray, np.ndarray,
                                                                   np.ndarray, np.ndarray]:
        user_bias = rng.normal(0.0, self.bias_sd, size=self.n_users)
        user_factors = rng.normal(0.0, self.factor_sd, size=(self.n_users, self.latent_dim))
        item_bias = rng.normal(0.0, self.bias_sd, size=self.n_items)
        item_factors = rng.normal(0.0, self.factor_sd, size=(self.n_items, self.latent_dim))
        return self.offset, user_bias, user_factors, item_bias, item_factors

    def _init_state(self, rng: np.random.Generator) -> None:
        offset, user_bias, user_factors, item_bias, item_factors = self._draw_parameters(rng)
        self._h_offset = float(offset)
        self._h_user_bias = np.array(user_bias, dtype=np.float64)
        self._h_user_factors = np.array(user_factors, dtype=np.float64)
        self._h_item_bias = np.array(item_bias, dtype=np.float64)
        self._h_item_factors = np.array(item_factors, dtype=np.float64)
        norms = np.linalg.norm(self._h_item_factors, axis=1, keepdims=True)
        self._h_item_unit = self._h_item_factors / np.where(norms > 0, norms, 1.0)
        self._h_hist = np.full((self.n_users, self.memory_length), -1, dtype=np.int64)
        self._h_hpos = np.zeros(self.n_users, dtype=np.int64)

    # ---- ratings ---------------------------------------------------------------------------
    def _dot(self, users: np.ndarray, items: np.ndarray) -> np.ndarray:
        out = np.empty(users.size, dtype=np.float64)
        p, q = self._h_user_factors, self._h_item_factors
        for start in range(0, users.size, _PAIR_BLOCK):
            u, i = users[start:start + _PAIR_BLOCK], items[start:start + _PAIR_BLOCK]
            out[start:start + u.size] = np.einsum("nk,nk->n", p[u], q[i])
        return out

    def _boredom(self, users: np.ndarray, items: np.ndarray) -> np.ndarray:
        hist = self._h_hist[users]
        seen = hist >= 0
        if not seen.any():
            return np.zeros(users.size)
        unit = self._h_item_unit
        sims = np.einsum("nmk,nk->nm", unit[np.where(seen, hist, 0)], unit[items])
        excess = np.where(seen, np.maximum(sims - self.boredom_threshold, 0.0), 0.0)
        return excess.sum(axis=1) * (self.boredom_penalty / self.memory_length)

    def _mean(self, users: np.ndarray, items: np.ndarray) -> np.ndarray:
        mean = (self._h_offset + self._h_user_bias[users] + self._h_item_bias[items]
                + self._dot(users, items))
        if self.boredom_active:
            mean = mean - self._boredom(users, items)
        return mean

    def _expected(self, users: np.ndarray, items: np.ndarray) -> np.ndarray:
        return np.clip(self._mean(users, items), *self.rating_range)

    def _rate(self, users: np.ndarray, items: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        eps = rng.standard_normal(users.size) * self.noise
        return np.clip(self._mean(users, items) + eps, *self.rating_range)

    def _expected_rows(self, users: np.ndarray) -> np.ndarray:
        dense = self._h_user_factors[users] @ self._h_item_factors.T
        dense += self._h_user_bias[users, None]
        dense += self._h_item_bias[None, :]
        dense += self._h_offset
        if self.boredom_active:
            scale = self.boredom_penalty / self.memory_length
            excess = self._item_excess()
            for slot in range(self.memory_length):  # loop over memory slots, not users
                col = self._h_hist[users, slot]
                rows = np.flatnonzero(col >= 0)
                if rows.size:
                    dense[rows] -= scale * (excess[col[rows]] if excess is not None else np.maximum(
                        self._h_item_unit[col[rows]] @ self._h_item_unit.T - self.boredom_threshold, 0.0))
        return np.clip(dense, *self.rating_range, out=dense)

    def _item_excess(self) -> np.ndarray | None:
        """Item-item ``max(0, cos - threshold)``, cached while the item factors stay the same object
        (they never change during a run); None when the matrix would exceed _EXCESS_CACHE_CELLS."""
        unit = self._h_item_unit
        if unit.shape[0] ** 2 > _EXCESS_CACHE_CELLS:
            return None
        cached = getattr(self, "_excess_cache", None)
        if cached is None or cached[0] is not unit:
            self._excess_cache = (unit, np.maximum(unit @ unit.T - self.boredom_threshold, 0.0))
        return self._excess_cache[1]

    # ---- dynamics --------------------------------------------------------------------------
    def _affinity(self, users: np.ndarray, items: np.ndarray) -> None:
        a = self.affinity_change
        if a == 0.0 or users.size == 0:
            return
        self._h_user_factors[users] = ((1.0 - a) * self._h_user_factors[users]
                                       + a * self._h_item_factors[items])

    def _remember(self, users: np.ndarray, items: np.ndarray) -> None:
        if self.memory_length == 0:
            return
        pos = self._h_hpos[users]
        self._h_hist[users, pos] = items
        self._h_hpos[users] = (pos + 1) % self.memory_length

    def _update(self, users: np.ndarray, items: np.ndarray, ratings: np.ndarray) -> None:
        self._affinity(users, items)
        self._remember(users, items)

    def _offline_order(self, n: int) -> np.ndarray:
        """Order in which the offline consumptions act on the dynamics: a random permutation
        drawn from the offline stream (RecLab: the order of its random sample of pairs)."""
        return self._rng_offline.permutation(n)

    def _offline(self, users: np.ndarray, items: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        eps = rng.standard_normal(users.size) * self.noise
        if self.affinity_change == 0.0 or self.offline_dynamics == "none" or users.size == 0:
            return np.clip(self._mean(users, items) + eps, *self.rating_range)
        rounds = within_user_rounds(users, self._offline_order(users.size))
        if self.offline_dynamics == "after":
            ratings = np.clip(self._mean(users, items) + eps, *self.rating_range)
            for idx in rounds:
                self._affinity(users[idx], items[idx])
            return ratings
        ratings = np.empty(users.size, dtype=np.float64)
        for idx in rounds:
            ratings[idx] = np.clip(self._mean(users[idx], items[idx]) + eps[idx], *self.rating_range)
            self._affinity(users[idx], items[idx])
        return ratings


class LatentStatic(LatentEnv):
    """latent-static: RecLab's ``latent-static-v1``."""

    name = "latent-static"

    def __init__(self, **params: Any) -> None:
        defaults = dict(affinity_change=0.0, memory_length=0, boredom_threshold=0.0, boredom_penalty=0.0)
        super().__init__(**{**defaults, **params})


class LatentDynamic(LatentEnv):
    """latent-dynamic: RecLab's ``latent-dynamic-v1`` (affinity 0.2, memory 5, threshold 0, penalty 2)."""

    name = "latent-dynamic"

    def __init__(self, **params: Any) -> None:
        defaults = dict(affinity_change=0.2, memory_length=5, boredom_threshold=0.0, boredom_penalty=2.0)
        super().__init__(**{**defaults, **params})


class ML100KEnv(LatentEnv):
    """ml-100k: latent-static with the parameters of a fitted :class:`~recdyn.fit.libfm.FactorModel`.

    Args:
        model: a ``FactorModel`` or the path of one saved with ``FactorModel.save`` (npz).
        **params: as :class:`LatentEnv`; ``online_users`` defaults to ``int(0.2 * n_users)``
            (188 for ML-100K's 943 users). Sizes, ``latent_dim``, ``offset`` and the random
            parameter scales come from the model and cannot be given.
    """

    name = "ml-100k"

    def __init__(self, model: Any, **params: Any) -> None:
        from recdyn.fit.libfm import FactorModel

        if isinstance(model, (str, os.PathLike)):
            model = FactorModel.load(model)
        if not isinstance(model, FactorModel):
            raise TypeError(f"model must be a FactorModel or a path to one, got {type(model).__name__}")
        fixed = {"n_users", "n_items", "latent_dim", "offset", "bias_sd", "factor_sd"} & set(params)
        if fixed:
            raise ValueError(f"ml-100k takes {sorted(fixed)} from the model")
        self.model = model
        params.setdefault("online_users", max(1, int(0.2 * model.n_users)))  # RecLab's rating_frequency 0.2
        super().__init__(latent_dim=model.dim, n_users=model.n_users, n_items=model.n_items,
                         offset=model.global_bias, **params)

    def _draw_parameters(self, rng: np.random.Generator) -> tuple[float, np.ndarray, np.ndarray,
                                                                   np.ndarray, np.ndarray]:
        m = self.model
        return m.global_bias, m.user_bias, m.user_factors, m.item_bias, m.item_factors
