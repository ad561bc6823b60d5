"""The environment API of the simulation framework (thesis section 2.3; RecLab's design).

An environment holds hidden user/item state. ``reset(seed)`` draws that state and returns the
initial *offline* dataset; then each step exposes the users online at that step
(``online_users()``), takes one item (or a slate of items) per online user (``step``), returns
what the users rated and updates the hidden state (dynamics). ``true_ratings()`` is the dense
matrix of current noise-free expected ratings (for the Oracle and for evaluation).
``state_dict()``/``load_state_dict()`` save and restore everything, including random streams.

Subclasses implement the four ``_``-methods; the base class owns seeding, online-user sampling
and the offline dataset. Everything is vectorised over the online users.
"""

from __future__ import annotations

import copy
from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import Any

import numpy as np

from recdyn.ratings import Ratings

RATING_RANGE = (1.0, 5.0)


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

    def __init__(self, *, n_users: int, n_items: int, online_users: int, initial_ratings: int,
                 sampling: str = "uniform", slate_size: int = 1) -> None:
        if online_users > n_users:
            raise ValueError(f"online_users={online_users} exceeds n_users={n_users}")
        if initial_ratings > n_users * n_items:
            raise ValueError(f"initial_ratings={initial_ratings} exceeds n_users*n_items={n_users * n_items}")
        self.n_users, self.n_items = n_users, n_items
        self.n_online, self.initial_ratings = online_users, initial_ratings
        self.sampling, self.slate_size = sampling, slate_size
        self._online: np.ndarray | None = None
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

    def _choose(self, users: np.ndarray, slates: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        """Slate environments: the item each user picks from its slate (row of ``slates``)."""
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
        self._init_state(self._rng_state)
        users, items = sample_pairs(self, self.initial_ratings, self.sampling, self._rng_offline)
        ratings = self._rate(users, items, self._rng_noise)
        self._online = self._draw_online()
        return Ratings(users, items, ratings, self.n_users, self.n_items)

    def online_users(self) -> np.ndarray:
        """Users online at the current step (sorted), fixed until :meth:`step` is called."""
        if self._online is None:
            raise RuntimeError("call reset(seed) first")
        return self._online

    def step(self, recommendations: np.ndarray) -> StepResult:
        """Recommend ``recommendations[k]`` (an item, or a slate row) to ``online_users()[k]``."""
        users = self.online_users()
        recs = np.asarray(recommendations, dtype=np.int64)
        expected_shape = (users.size,) if self.slate_size == 1 else (users.size, self.slate_size)
        if recs.shape != expected_shape:
            raise ValueError(f"{self.name}: expected recommendations of shape {expected_shape}, got {recs.shape}")
        items = recs if self.slate_size == 1 else self._choose(users, recs, self._rng_noise)
        ratings = self._rate(users, items, self._rng_noise)
        self._update(users, items, ratings)
        self.timestep += 1
        self._online = self._draw_online()
        return StepResult(users, items, ratings)

    def true_ratings(self) -> np.ndarray:
        """Dense (n_users, n_items) matrix of current noise-free expected ratings."""
        users = np.repeat(np.arange(self.n_users), self.n_items)
        items = np.tile(np.arange(self.n_items), self.n_users)
        return self._expected(users, items).reshape(self.n_users, self.n_items)

    def state_dict(self) -> dict[str, Any]:
        """Everything needed to resume: hidden state, timestep, online users, random streams."""
        return copy.deepcopy({
            "state": self._state(), "timestep": self.timestep, "online": self._online,
            "rngs": [g.bit_generator.state for g in
                     (self._rng_state, self._rng_offline, self._rng_online, self._rng_noise)],
        })

    def load_state_dict(self, saved: dict[str, Any]) -> None:
        """Restore a :meth:`state_dict` (the environment must have the same configuration)."""
        saved = copy.deepcopy(saved)
        for key, value in saved["state"].items():
            setattr(self, key, value)
        self.timestep, self._online = saved["timestep"], saved["online"]
        gens = [np.random.default_rng() for _ in range(4)]
        for gen, state in zip(gens, saved["rngs"]):
            gen.bit_generator.state = state
        self._rng_state, self._rng_offline, self._rng_online, self._rng_noise = gens

    def _draw_online(self) -> np.ndarray:
        return np.sort(self._rng_online.choice(self.n_users, size=self.n_online, replace=False))
