"""Linear bandit problems of thesis section 4.3, batched over ``B`` independent runs.

Each problem exposes ``reset(rng, batch)``, ``contexts(rng) -> (x, f)`` with arm features ``x``
``(B, A, d)`` and their expected rewards ``f`` ``(B, A)`` for the current round, and
``reward(rng, chosen) -> r`` ``(B,)`` (the realised reward of the chosen arm, observed by the
learners). Regret is computed from ``f`` (pseudo-regret): under the "stack of rewards" model
(section 4.7) it has the same expectation as the realised regret of section 4.2, with less noise.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from recdyn.twostage.amazon import AmazonData, target_distribution


@dataclass
class SyntheticProblem:
    """Section 4.3: ``r_ta = <theta*, x_ta> + eps_ta``, ``theta*`` uniform on the unit sphere of
    R^d (one per run, fixed), ``x_ta ~ N(0, I)`` fresh for every arm and round, ``eps ~ N(0,
    noise_std^2)`` (the thesis' ``N(0, 0.01)`` is ``noise_std = 0.1``)."""

    n_arms: int
    dim: int
    noise_std: float = 0.1
    fixed_contexts: bool = field(init=False, default=False)
    theta: np.ndarray = field(init=False, repr=False, default=None)
    _mean: np.ndarray = field(init=False, repr=False, default=None)

    def reset(self, rng: np.random.Generator, batch: int) -> None:
        theta = rng.standard_normal((batch, self.dim))
        self.theta = theta / np.linalg.norm(theta, axis=1, keepdims=True)

    def contexts(self, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
        x = rng.standard_normal((self.theta.shape[0], self.n_arms, self.dim))
        self._mean = np.einsum("bad,bd->ba", x, self.theta)
        return x, self._mean

    def reward(self, rng: np.random.Generator, chosen: np.ndarray) -> np.ndarray:
        mean = np.take_along_axis(self._mean, chosen[:, None], axis=1)[:, 0]
        return mean + self.noise_std * rng.standard_normal(mean.shape)


@dataclass
class AmazonProblem:
    """Section 4.3's AmazonCat-13K bandit. Our reading of the terse text (see the module
    :mod:`recdyn.twostage.amazon` and the report):

    * the ``|A|`` arms are reviews drawn uniformly without replacement from the whole dataset once
      per run ("An |A|-armed linear bandit is then created by sampling |A| reviews uniformly");
      their (standardised, first-400-dimension) BERT features are the fixed contexts ``x_ta = x_a``;
    * every round draws one hidden target category ``c_t`` from the kept categories (by default
      with probability proportional to its frequency, i.e. the category of a uniformly drawn
      positive label) and an arm earns reward 1 iff its review carries ``c_t`` ("a reward of one
      for correctly predicting any one of the categories to which the product belongs");
    * hence ``f*(a) = sum_c q_c 1{a in c}``; the overall positive rate is ``sum_c q_c p_c`` (thesis:
      10.73%), about that share of the arms is optimal in a round (as in the thesis' 1 - (9/10)^10
      argument), and the positive rewards per arm decay like a power law (Figure 4.2, right).
    """

    data: AmazonData
    n_arms: int
    target: str = "frequency"
    fixed_contexts: bool = field(init=False, default=True)
    items: np.ndarray = field(init=False, repr=False, default=None)
    _x: np.ndarray = field(init=False, repr=False, default=None)
    _labels: np.ndarray = field(init=False, repr=False, default=None)
    _mean: np.ndarray = field(init=False, repr=False, default=None)
    _q_cdf: np.ndarray = field(init=False, repr=False, default=None)

    def __post_init__(self) -> None:
        if self.n_arms > self.data.n_items:
            raise ValueError(f"n_arms={self.n_arms} exceeds the {self.data.n_items} AmazonCat items")
        q = target_distribution(self.data, self.target)
        self._q = q
        self._q_cdf = np.cumsum(q)

    @property
    def dim(self) -> int:
        return int(self.data.features.shape[1])

    def reset(self, rng: np.random.Generator, batch: int) -> None:
        keys = rng.random((batch, self.data.n_items))
        self.items = np.argpartition(keys, self.n_arms - 1, axis=1)[:, :self.n_arms]
        self._x = self.data.features[self.items].astype(np.float64)
        flat = self.data.labels[self.items.ravel()].toarray().astype(bool)
        self._labels = flat.reshape(batch, self.n_arms, -1)
        self._mean = self._labels @ self._q

    def contexts(self, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
        return self._x, self._mean

    def reward(self, rng: np.random.Generator, chosen: np.ndarray) -> np.ndarray:
        batch = chosen.shape[0]
        cat = np.searchsorted(self._q_cdf, rng.random(batch) * self._q_cdf[-1], side="right")
        cat = np.minimum(cat, self._q.size - 1)
        return self._labels[np.arange(batch), chosen, cat].astype(np.float64)


__all__ = ["AmazonProblem", "SyntheticProblem"]
