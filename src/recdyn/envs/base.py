"""The environment API of the simulation framework (thesis section 2.3; RecLab's design).

An environment holds hidden user/item state. ``reset(seed)`` draws that state and returns the
initial *offline* dataset; then each step exposes the users online at that step
(``online_users()``), takes one item (or a slate of items) per online user (``step``), returns
what the users rated and updates the hidden state (dynamics). ``true_ratings()`` is the dense
matrix of current noise-free expected ratings (for the Oracle and for evaluation).
``state_dict()``/``load_state_dict()`` save and restore everything, including random streams.

Subclasses implement the ``_``-methods below; the base class owns seeding, online-user sampling,
input validation and the offline dataset. Everything is vectorised over the online users.

Random streams (all children of ``SeedSequence(seed)``, so a seed fixes a whole trial):
``state`` (hidden state), ``offline`` (offline pairs; environments may draw further offline-only
numbers from it *after* the pairs, e.g. the order in which offline consumptions act on the
dynamics), ``online`` (online users) and ``noise`` (rating noise and slate choices).
Environments with equal sizes draw their state identically whatever their dynamics parameters,
so e.g. topics-static and topics-dynamic with the same seed share preferences, item topics and
the offline pairs.

Subclass hooks:

* ``_init_state(rng)``: draw the hidden state (``_h_``-prefixed attributes are saved by
  :meth:`state_dict`).
* ``_expected(users, items)``: noise-free expected rating of pairs (clipped to
  :attr:`rating_range`).
* ``_rate(users, items, rng)``: observed ratings of pairs, no state change.
* ``_update(users, items, ratings)``: dynamics after the online users consumed ``items``.
* ``_offline(users, items, rng)``: ratings of the offline pairs and any dynamics they cause
  (default: ``_rate``, no dynamics).
* ``_expected_rows(users)``: the rows ``users`` of the dense ``true_ratings`` matrix (default:
  ``_expected`` on every pair of those rows in blocks; override with a fast dense formula). It
  serves :meth:`true_ratings` (every row) and :meth:`true_ratings_rows` (the online users of a
  step: the online protocol and the Oracle read only those), so both give the same numbers (a
  matrix product over fewer rows may round the last bit differently: 1e-16 measured).
* ``_choose(users, slates, scores, rng)``: slate environments only; the item each user consumes
  and, optionally, its rating when the choice already drew it.
"""

from __future__ import annotations

import copy
from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import Any

import numpy as np

from recdyn.ratings import Ratings

RATING_RANGE = (1.0, 5.0)
#: Pairs per block when ``true_ratings`` falls back on ``_expected``.
_DENSE_BLOCK = 1 << 20


@dataclass(frozen=True)
class StepResult:
    """What one step produced: for each online user, the item consumed and its observed rating."""

    users: np.ndarray
    items: np.ndarray
    ratings: np.ndarray


class Environment(ABC):
    """Base class: subclass it and implement ``_init_state``, ``_expected``, ``_rate`` and ``_update``.

    Args:
        n_users, n_items: sizes.
        online_users: users online per step, drawn uniformly without replacement each step.
        initial_ratings: size of the offline dataset returned by :meth:`reset`.
        sampling: offline sampling scheme, see :func:`recdyn.sim.sampling.sample_pairs`.
        slate_size: 1 for environments where users consume the recommended item; > 1 for
            slate environments where users choose among the recommended items.
    """

    name = "environment"
    #: (low, high) of every rating and of ``true_ratings()`` (instances may override).
    rating_range: tuple[float, float] = RATING_RANGE

    def __init__(self, *, n_users: int, n_items: int, online_users: int, initial_ratings: int,
                 sampling: str = "uniform", slate_size: int = 1) -> None:
        n_users, n_items = int(n_users), int(n_items)
        online_users, initial_ratings, slate_size = int(online_users), int(initial_ratings), int(slate_size)
        if n_users < 1 or n_items < 1:
            raise ValueError(f"n_users and n_items must be positive, got {n_users} and {n_items}")
        if not 0 < online_users <= n_users:
            raise ValueError(f"online_users={online_users} must be in [1, n_users={n_users}]")
        if not 0 <= initial_ratings <= n_users * n_items:
            raise ValueError(f"initial_ratings={initial_ratings} must be in [0, n_users*n_items={n_users * n_items}]")
        if not 1 <= slate_size <= n_items:
            raise ValueError(f"slate_size={slate_size} must be in [1, n_items={n_items}]")
        self.n_users, self.n_items = n_users, n_items
        self.n_online, self.initial_ratings = online_users, initial_ratings
        self.sampling, self.slate_size = sampling, slate_size
        self._online: np.ndarray | None = None
        self._has_state = False
        self.timestep = 0

    # ---- what subclasses implement -------------------------------------------------------
    @abstractmethod
    def _init_state(self, rng: np.random.Generator) -> None:
        """Draw the hidden state (preferences, topics, factors ...) from ``rng``."""

    @abstractmethod
    def _expected(self, users: np.ndarray, items: np.ndarray) -> np.ndarray:
        """Noise-free expected rating of each (user, item) pair under the current state."""

    @abstractmethod
    def _rate(self, users: np.ndarray, items: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        """Observed (noisy, clipped) ratings of the given pairs, without changing the state."""

    def _update(self, users: np.ndarray, items: np.ndarray, ratings: np.ndarray) -> None:
        """Dynamics after users consumed ``items`` (static environments: nothing)."""

    def _offline(self, users: np.ndarray, items: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        """Ratings of the offline pairs (and any dynamics they cause); default: ``_rate``."""
        return self._rate(users, items, rng)

    def _expected_rows(self, users: np.ndarray) -> np.ndarray:
        """Rows ``users`` of the dense expected ratings; default: ``_expected`` in blocks."""
        out = np.empty(users.size * self.n_items, dtype=np.float64)
        for start in range(0, out.size, _DENSE_BLOCK):
            flat = np.arange(start, min(start + _DENSE_BLOCK, out.size), dtype=np.int64)
            out[start:start + flat.size] = self._expected(users[flat // self.n_items], flat % self.n_items)
        return out.reshape(users.size, self.n_items)

    def _choose(self, users: np.ndarray, slates: np.ndarray, scores: np.ndarray | None,
                rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray | None]:
        """Slate environments: ``(items, ratings)``, the item each user picks from its slate (row
        of ``slates``, best-ranked first) and its rating, or ``None`` to rate with ``_rate``."""
        raise NotImplementedError(f"{self.name} takes one item per user, not a slate")

    def _state(self) -> dict[str, Any]:
        """Subclass state to save (arrays and scalars); default: every ``_h_``-prefixed attribute."""
        return {key: value for key, value in vars(self).items() if key.startswith("_h_")}

    # ---- the public API --------------------------------------------------------------------
    def reset(self, seed: int) -> Ratings:
        """Draw the hidden state and return the offline dataset (pairs sampled without replacement)."""
        from recdyn.sim.sampling import sample_pairs

        streams = np.random.SeedSequence(seed).spawn(4)
        self._rng_state, self._rng_offline, self._rng_online, self._rng_noise = (
            np.random.default_rng(s) for s in streams)
        self.timestep = 0
        self._online = None
        self._init_state(self._rng_state)
        self._has_state = True
        users, items = sample_pairs(self, self.initial_ratings, self.sampling, self._rng_offline)
        users = np.asarray(users, dtype=np.int64)
        items = np.asarray(items, dtype=np.int64)
        ratings = np.asarray(self._offline(users, items, self._rng_noise), dtype=np.float64)
        self._online = self._draw_online()
        return Ratings(users, items, ratings, self.n_users, self.n_items)

    def online_users(self) -> np.ndarray:
        """Users online at the current step (sorted), fixed until :meth:`step` is called."""
        if self._online is None:
            raise RuntimeError("call reset(seed) first")
        return self._online

    def step(self, recommendations: np.ndarray, scores: np.ndarray | None = None) -> StepResult:
        """Recommend ``recommendations[k]`` (an item, or a slate row best-ranked first) to
        ``online_users()[k]``.

        ``scores`` (optional, slate environments only): the recommender's predicted rating of
        each recommended item, same shape as ``recommendations``; environments whose users
        combine the recommender's scores with their own knowledge (latent-score) use them.
        """
        users = self.online_users()
        recs = self._check_items(recommendations, users.size)
        if scores is not None:
            if self.slate_size == 1:
                raise ValueError(f"{self.name}: scores are only used by slate environments")
            scores = np.asarray(scores, dtype=np.float64)
            if scores.shape != recs.shape:
                raise ValueError(f"{self.name}: scores must have the shape of the recommendations "
                                 f"{recs.shape}, got {scores.shape}")
            if not np.all(np.isfinite(scores)):
                raise ValueError(f"{self.name}: scores must be finite")
        if self.slate_size == 1:
            items, ratings = recs, None
        else:
            items, ratings = self._choose(users, recs, scores, self._rng_noise)
        if ratings is None:
            ratings = self._rate(users, items, self._rng_noise)
        self._update(users, items, ratings)
        self.timestep += 1
        self._online = self._draw_online()
        return StepResult(users, items, ratings)

    def rate_pairs(self, users: np.ndarray, items: np.ndarray, seed: int) -> np.ndarray:
        """Observed ratings of arbitrary pairs under the current state, without dynamics and without
        touching the trial's random streams (noise from ``seed``): held-out evaluation sets
        (section 2.5's control, the side checks of section 2.6)."""
        users, items = self._checked_pairs(users, items)
        return np.asarray(self._rate(users, items, np.random.default_rng(seed)), dtype=np.float64)

    def _checked_pairs(self, users: np.ndarray, items: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """``users``, ``items`` as int64 arrays of one shape inside the catalogue (after reset)."""
        if not self._has_state:
            raise RuntimeError("call reset(seed) first")
        users = np.asarray(users, dtype=np.int64)
        items = np.asarray(items, dtype=np.int64)
        if users.shape != items.shape:
            raise ValueError(f"{self.name}: users {users.shape} and items {items.shape} differ in shape")
        if users.size and (users.min() < 0 or users.max() >= self.n_users or items.min() < 0
                           or items.max() >= self.n_items):
            raise ValueError(f"{self.name}: pairs out of range {(self.n_users, self.n_items)}")
        return users, items

    def true_ratings(self) -> np.ndarray:
        """Dense (n_users, n_items) matrix of current noise-free expected ratings (a new array)."""
        if not self._has_state:
            raise RuntimeError("call reset(seed) first")
        return self._expected_rows(np.arange(self.n_users, dtype=np.int64))

    def true_ratings_rows(self, users: np.ndarray) -> np.ndarray:
        """Rows ``users`` of :meth:`true_ratings` (a new ``(len(users), n_items)`` array), computed
        for those users only: the same numbers as ``true_ratings()[users]`` (up to the last bit of
        a matrix product's rounding) at a fraction of the cost when few users are asked for (the
        online users of a step: 5-8x less time per step in the default chapter 2 runs)."""
        if not self._has_state:
            raise RuntimeError("call reset(seed) first")
        users = np.asarray(users, dtype=np.int64).reshape(-1)
        if users.size and (users.min() < 0 or users.max() >= self.n_users):
            raise ValueError(f"{self.name}: users out of range [0, {self.n_users})")
        return self._expected_rows(users)

    def true_ratings_at(self, users: np.ndarray, items: np.ndarray) -> np.ndarray:
        """``true_ratings()[users, items]`` for pairs (same shape as ``users``), computed for those
        pairs only: the same numbers up to the last bit (the pairwise and the dense formulas add
        the same terms in another order). The online protocol reads the expected ratings of the
        recommended items this way, not by computing whole rows of 1,682 items per online user."""
        users, items = self._checked_pairs(users, items)
        if not users.size:
            return np.zeros(users.shape)
        return np.asarray(self._expected(users.ravel(), items.ravel()), dtype=np.float64).reshape(users.shape)

    def state_dict(self) -> dict[str, Any]:
        """Everything needed to resume: hidden state, timestep, online users, random streams."""
        if self._online is None:
            raise RuntimeError("call reset(seed) first")
        return copy.deepcopy({
            "env": type(self).__name__, "shape": (self.n_users, self.n_items),
            "state": self._state(), "timestep": self.timestep, "online": self._online,
            "rngs": [g.bit_generator.state for g in
                     (self._rng_state, self._rng_offline, self._rng_online, self._rng_noise)],
        })

    def load_state_dict(self, saved: dict[str, Any]) -> None:
        """Restore a :meth:`state_dict` (the environment must have the same configuration)."""
        env = saved.get("env", type(self).__name__)
        shape = tuple(saved.get("shape", (self.n_users, self.n_items)))
        if env != type(self).__name__ or shape != (self.n_users, self.n_items):
            raise ValueError(f"state of a {env} {shape} cannot be loaded into a {type(self).__name__} "
                             f"{(self.n_users, self.n_items)}")
        saved = copy.deepcopy(saved)
        for key, value in saved["state"].items():
            setattr(self, key, value)
        self.timestep, self._online = saved["timestep"], saved["online"]
        self._has_state = True
        gens = [np.random.default_rng() for _ in range(4)]
        for gen, state in zip(gens, saved["rngs"]):
            gen.bit_generator.state = state
        self._rng_state, self._rng_offline, self._rng_online, self._rng_noise = gens

    # ---- helpers ---------------------------------------------------------------------------
    def _draw_online(self) -> np.ndarray:
        return np.sort(self._rng_online.choice(self.n_users, size=self.n_online, replace=False))

    def _check_items(self, recommendations: Any, n: int) -> np.ndarray:
        """Validate a step's recommendations: shape, integer item ids in range."""
        raw = np.asarray(recommendations)
        expected_shape = (n,) if self.slate_size == 1 else (n, self.slate_size)
        if raw.shape != expected_shape:
            what = "one item per online user" if self.slate_size == 1 else \
                f"a slate of {self.slate_size} items per online user"
            raise ValueError(f"{self.name}: expected recommendations of shape {expected_shape} "
                             f"({what}), got {raw.shape}")
        if raw.size and raw.dtype.kind not in "iu":
            if raw.dtype.kind == "f" and np.all(np.isfinite(raw)) and np.all(raw == np.round(raw)):
                pass  # integral floats are accepted
            else:
                raise ValueError(f"{self.name}: recommendations must be integer item ids, got dtype {raw.dtype}")
        recs = raw.astype(np.int64)
        if recs.size and (recs.min() < 0 or recs.max() >= self.n_items):
            raise ValueError(f"{self.name}: item ids must be in [0, {self.n_items}), got "
                             f"[{recs.min()}, {recs.max()}]")
        return recs


# ---- small shared helpers for subclasses ----------------------------------------------------
def within_user_rounds(users: np.ndarray, order: np.ndarray) -> list[np.ndarray]:
    """Split pair indices into rounds: round ``r`` holds, for every user with more than ``r``
    pairs, the index of that user's ``r``-th pair when the pairs are taken in ``order`` (a
    permutation of ``range(len(users))``). Each round has every user at most once, so the
    sequential per-user dynamics of a list of consumptions run vectorised, one round at a time.
    """
    users = np.asarray(users, dtype=np.int64)
    if users.size == 0:
        return []
    order = np.asarray(order, dtype=np.int64)
    by_user = order[np.argsort(users[order], kind="stable")]  # grouped by user, in `order` within
    sorted_users = users[by_user]
    starts = np.flatnonzero(np.r_[True, sorted_users[1:] != sorted_users[:-1]])
    sizes = np.diff(np.r_[starts, sorted_users.size])
    rank = np.arange(sorted_users.size) - np.repeat(starts, sizes)
    by_round = np.argsort(rank, kind="stable")
    bounds = np.r_[0, np.cumsum(np.bincount(rank))]
    return [by_user[by_round[bounds[r]:bounds[r + 1]]] for r in range(bounds.size - 1)]


def check_choice(name: str, value: str, options: tuple[str, ...]) -> str:
    if value not in options:
        raise ValueError(f"{name} must be one of {options}, got {value!r}")
    return value
