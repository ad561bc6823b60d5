"""Stochastic recommendation policies that expose their probabilities (thesis section 3.3: CAFL
needs ``P(A_s,ui | Theta_{s-1})``, "the recommendation probability under the policy that was used
at step s", logged at recommendation time).

A policy maps each online user's predicted scores over the items and the user's *eligible* items
(not yet recommended/rated, not in the held-out test set) to a distribution over those items.
Everything is vectorised over users (rows).

* :class:`EpsilonGreedy` (``eps``): with probability ``1 - eps`` the highest-scored eligible item,
  with probability ``eps`` a uniformly random eligible item (the greedy one included), so
  ``q(i) = eps / n_eligible + (1 - eps) 1{i is a maximiser} / n_maximisers``; exact ties among
  maximisers share the greedy mass (a user without data, whose scores are all equal, is served
  uniformly). This is RecLab's ``eps_greedy`` strategy for one recommendation (exploration draws
  from all candidate items; ties broken by a random permutation), the CAFL authors' policy
  (``eps = 0.1`` in their README); their weight code computes the same probability.
* :class:`Softmax` (``temperature``): ``q(i) propto exp(score_i / temperature)`` over the eligible
  items (RecLab's ``thompson`` strategy of the thesis author's June 2022 revision:
  ``scipy.special.softmax(predictions / temperature)``).
* :class:`UniformPolicy`: uniform over the eligible items (the Uniform learner's sampling).

Slates (``size > 1``; *choice*): the slate is drawn slot by slot without replacement, each slot
from the policy's distribution over the eligible items not yet in the slate (for Softmax this is
the Plackett-Luce model; for EpsilonGreedy each slot is an epsilon-greedy draw among the
remaining items), best slot first. The probability returned for a slate item is its *inclusion*
probability ``P(i in slate)``: exact for UniformPolicy (``size / n_eligible``), otherwise a Monte
Carlo estimate from ``n_mc`` further independent slates, counting the realised one,
``(1 + #slates containing i) / (1 + n_mc)`` (so never 0 for a shown item).
"""

from __future__ import annotations

from abc import ABC, abstractmethod

import numpy as np


def _check(scores: np.ndarray, eligible: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    scores = np.asarray(scores, dtype=np.float64)
    eligible = np.asarray(eligible, dtype=bool)
    if scores.ndim != 2 or scores.shape != eligible.shape:
        raise ValueError(f"scores {scores.shape} and eligible {eligible.shape} must be equal 2-d shapes")
    if scores.shape[0] and not eligible.any(axis=1).all():
        raise ValueError("a user has no eligible item")
    if np.isnan(scores[eligible]).any():
        raise ValueError("scores contain NaN")
    return scores, eligible


def draw_from(probs: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """One column index per row of the row-stochastic ``probs`` (inverse CDF; never a
    zero-probability column)."""
    cum = np.cumsum(probs, axis=1)
    u = (1.0 - rng.random(probs.shape[0])) * cum[:, -1]  # in (0, total]
    return np.minimum((cum < u[:, None]).sum(axis=1), probs.shape[1] - 1).astype(np.int64)


class Policy(ABC):
    """Base class: subclasses define :meth:`probabilities`."""

    name = "policy"

    @abstractmethod
    def probabilities(self, scores: np.ndarray, eligible: np.ndarray) -> np.ndarray:
        """(n, n_items) recommendation probabilities: rows sum to 1, 0 off ``eligible``."""

    def sample(self, scores: np.ndarray, eligible: np.ndarray, rng: np.random.Generator,
               size: int = 1, *, n_mc: int = 200) -> tuple[np.ndarray, np.ndarray]:
        """Draw ``size`` distinct eligible items per row.

        Returns:
            ``(items, probs)``, both (n, size): the items (slot order) and the probability of
            each, logged now: for ``size == 1`` the exact ``q(i)``; for slates the inclusion
            probability (module docstring).
        """
        scores, eligible = _check(scores, eligible)
        size = int(size)
        if size < 1:
            raise ValueError(f"size must be >= 1, got {size}")
        if scores.shape[0] and eligible.sum(axis=1).min() < size:
            raise ValueError(f"a user has fewer than size={size} eligible items")
        if size == 1:
            q = self.probabilities(scores, eligible)
            items = draw_from(q, rng)
            rows = np.arange(q.shape[0])
            return items[:, None], q[rows, items][:, None]
        slates = self._slates(scores, eligible, rng, size)
        return slates, self._inclusion(scores, eligible, slates, rng, n_mc)

    def _slates(self, scores: np.ndarray, eligible: np.ndarray, rng: np.random.Generator,
                size: int) -> np.ndarray:
        left = eligible.copy()
        rows = np.arange(scores.shape[0])
        out = np.empty((scores.shape[0], size), dtype=np.int64)
        for slot in range(size):
            pick = draw_from(self.probabilities(scores, left), rng)
            out[:, slot] = pick
            left[rows, pick] = False
        return out

    def _inclusion(self, scores: np.ndarray, eligible: np.ndarray, slates: np.ndarray,
                   rng: np.random.Generator, n_mc: int) -> np.ndarray:
        n, size = slates.shape
        n_mc = int(n_mc)
        hits = np.ones((n, size))
        if n_mc > 0:
            rep_scores = np.repeat(scores, n_mc, axis=0)
            rep_eligible = np.repeat(eligible, n_mc, axis=0)
            sims = self._slates(rep_scores, rep_eligible, rng, size).reshape(n, n_mc, size)
            hits += (sims[:, :, :, None] == slates[:, None, None, :]).any(axis=2).sum(axis=1)
        return hits / (1 + n_mc)


class EpsilonGreedy(Policy):
    """Epsilon-greedy over predicted scores (module docstring). ``eps`` in [0, 1]."""

    name = "epsilon-greedy"

    def __init__(self, eps: float = 0.1) -> None:
        eps = float(eps)
        if not 0.0 <= eps <= 1.0:
            raise ValueError(f"eps must be in [0, 1], got {eps}")
        self.eps = eps

    def __repr__(self) -> str:
        return f"EpsilonGreedy(eps={self.eps})"

    def probabilities(self, scores: np.ndarray, eligible: np.ndarray) -> np.ndarray:
        scores, eligible = _check(scores, eligible)
        masked = np.where(eligible, scores, -np.inf)
        best = masked == masked.max(axis=1, keepdims=True)
        best &= eligible
        n_elig = eligible.sum(axis=1, keepdims=True)
        n_best = best.sum(axis=1, keepdims=True)
        return self.eps * eligible / n_elig + (1.0 - self.eps) * best / n_best


class Softmax(Policy):
    """Softmax over predicted scores with a temperature (> 0)."""

    name = "softmax"

    def __init__(self, temperature: float = 1.0) -> None:
        temperature = float(temperature)
        if not temperature > 0:
            raise ValueError(f"temperature must be positive, got {temperature}")
        self.temperature = temperature

    def __repr__(self) -> str:
        return f"Softmax(temperature={self.temperature})"

    def probabilities(self, scores: np.ndarray, eligible: np.ndarray) -> np.ndarray:
        scores, eligible = _check(scores, eligible)
        z = np.where(eligible, scores / self.temperature, -np.inf)
        z -= z.max(axis=1, keepdims=True)
        e = np.exp(z)
        return e / e.sum(axis=1, keepdims=True)


class UniformPolicy(Policy):
    """Uniform over the eligible items (scores ignored)."""

    name = "uniform"

    def __repr__(self) -> str:
        return "UniformPolicy()"

    def probabilities(self, scores: np.ndarray, eligible: np.ndarray) -> np.ndarray:
        _, eligible = _check(scores, eligible)
        return eligible / eligible.sum(axis=1, keepdims=True)

    def _inclusion(self, scores: np.ndarray, eligible: np.ndarray, slates: np.ndarray,
                   rng: np.random.Generator, n_mc: int) -> np.ndarray:
        size = slates.shape[1]
        return np.broadcast_to(size / eligible.sum(axis=1, keepdims=True), slates.shape).astype(np.float64)


POLICIES = {"epsilon-greedy": EpsilonGreedy, "softmax": Softmax, "uniform": UniformPolicy}


def make_policy(name: str, **params: float) -> Policy:
    """``"epsilon-greedy"`` (``eps``), ``"softmax"`` (``temperature``) or ``"uniform"``."""
    try:
        cls = POLICIES[name]
    except KeyError:
        raise ValueError(f"unknown policy {name!r}; expected one of {tuple(POLICIES)}") from None
    return cls(**params)
