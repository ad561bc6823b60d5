"""Slate environments: latent-score and beta-rank (thesis section 2.3).

In both, the recommender shows each online user a slate (``slate_size`` items, best-ranked
first) and the user consumes and rates **one** item of it, chosen with partial knowledge of the
items' values combined with what the recommender says. ``step`` returns the chosen items.

latent-score (Schmit and Riquelme 2018, "Human interaction with recommendation systems")
--------------------------------------------------------------------------------------------
Value of item i to user u (RecLab ``reclab/environments/schmit.py``, tag 0.1.2, which follows
the paper's simulation code)::

    V(u, i) = clip(3 + a_i + b_u + U_u . V_i + X_u . Y_i + eps, 1, 5),  eps ~ N(0, sigma^2)

with item biases a_i ~ N(0, 1) / 1.5, user biases b_u ~ N(0, 1) / 3, and U, V, X, Y with
i.i.d. N(0, 1) / sqrt(rank) entries (rank 10, sigma 0.2; RecLab calls sigma a "variance" but
uses it as the standard deviation, as the paper's code does). ``X_u . Y_i`` is the user's
*private* information: known to the user, never to the recommender. The observed rating is
V(u, i); ``true_ratings()`` is V without noise, clipped.

Choice: the paper's rule (its simulation code: ``a_t = argmax_j s_ijt + x_i y_j^T``, ``s`` the
recommender's score): the user consumes the slate item maximising
``score(u, i) + X_u . Y_i``, where ``score`` is the recommender's predicted rating, passed to
``step(recommendations, scores=...)``. Without ``scores`` the scores are taken as 0, i.e. the
user picks by private information alone within the slate (the paper's "no score" case). Ties
go to the better-ranked item. The choice itself is deterministic (noise only enters ratings).
RecLab 0.1.2's ``Schmit`` does not implement the choice (it rates the first slate item, and
its ``_rate_item`` does not even override the abstract ``_rate_items``), so the rule is taken
from the paper's code and RecLab's description ("users ... use this partial information, along
with the recommender's predicted score, to select an item from a slate").

beta-rank (Chaney, Stewart and Engelhardt 2018, "How algorithmic confounding ...")
-----------------------------------------------------------------------------------
RecLab ``reclab/environments/beta_rank.py`` (tag 0.1.2 and the thesis author's 2022 revision,
commit 3f5a8d7):

* users ``p_u ~ Dirichlet(c_u * w)``, ``w ~ Dirichlet(1_K)`` (one draw shared by all users);
  items ``q_i ~ Dirichlet(0.1 * v)``, ``v ~ Dirichlet(100 * 1_K)``; K = ``dimension`` = 19.
  c_u is 10 in 0.1.2 and 100 in the 2022 revision (default here: 100, ``user_concentration``).
* value ``V(u, i) ~ Beta(p_u . q_i, sd^2)``, the Beta parameterised by mean and variance:
  ``alpha = ((1 - m) / sd^2 - 1 / m) m^2``, ``beta = alpha (1 / m - 1)``; RecLab's ``sd`` is
  1e-5 (the thesis writes Beta(p.q, sigma^2); RecLab's earlier Engelhardt environment also
  squared its ``beta_var`` = 1e-5 the same way, so 1e-5 is a standard deviation). RecLab adds
  1e-6 to alpha (commit 5ba34f8, "Fix issue where beta-rank received alpha=0"); where the
  moments are infeasible (sd^2 >= m (1 - m), which RecLab would crash on) alpha is floored at
  0 before adding the 1e-6. Means are kept in [1e-12, 1 - 1e-12].
* known fraction ``eta ~ Beta(known_mean, sd^2)`` per slate item (known_mean 0.98).
* choice: the user sorts the slate by ``rank^(-0.8) * eta * V`` (rank 1 = first slate item)
  and consumes the best item **not already rated** by them (offline ratings included); the
  rating is that item's V. If every slate item was already rated RecLab records no rating;
  here the user then consumes the best item of the slate anyway (a step always yields one
  rating per online user).
* rating scale (``rating_scale``): ``"five"`` (default, the 2022 revision):
  ``clip(round(20 V + 1), 1, 5)`` and dense ``clip(round(20 p.q + 1), 1, 5)``, so beta-rank
  shares the 1-5 scale every recommender and metric assumes (RecLab's AutoRec clamps to
  [1, 5]); ``"unit"`` (0.1.2, the thesis' formula): the rating is V itself in [0, 1] and
  ``rating_range`` is (0, 1).

Sizes
-----
The thesis evaluates both "with 170 users and 100 items"; RecLab's small configurations for
these environments (``experiments/env_defaults.py`` SCHMIT_SMALL / ENGELHARDT_SMALL,
``registry.py`` ``beta-rank-small-v1``) are 100 users x 170 items, 20% online (20 users),
1000 offline ratings and runs to 2000 ratings, which matches the thesis' "we sample 1000 initial
ratings and run the simulation until we have 2000 ratings"; the thesis sentence looks
transposed, and the defaults here are RecLab's 100 users x 170 items. The slate size is not
fixed by RecLab (its environments take any slate width, its README example uses 10); default 10.
"""

from __future__ import annotations

import numpy as np

from recdyn.envs.base import Environment, check_choice

RATING_SCALES = ("five", "unit")
_MEAN_EPS = 1e-12


def beta_mean_sd(mean: np.ndarray | float, sd: float, rng: np.random.Generator,
                 size: tuple[int, ...] | None = None) -> np.ndarray:
    """Draw Beta variates with the given mean(s) and standard deviation (RecLab's
    ``BetaRank._beta_prime``; infeasible moments floored, see the module docstring)."""
    m = np.clip(np.asarray(mean, dtype=np.float64), _MEAN_EPS, 1.0 - _MEAN_EPS)
    var = float(sd) ** 2
    alpha = np.maximum(((1.0 - m) / var - 1.0 / m) * m ** 2, 0.0) + 1e-6
    beta = alpha * (1.0 / m - 1.0)
    if size is not None:
        alpha, beta = np.broadcast_to(alpha, size), np.broadcast_to(beta, size)
    return rng.beta(alpha, beta)


class LatentScoreEnv(Environment):
    """latent-score (Schmit and Riquelme 2018): see the module docstring.

    Args:
        n_users, n_items: 100, 170 (RecLab's small configuration).
        online_users: 20. initial_ratings: 1000.
        rank: rank of the public (U, V) and private (X, Y) factors (10).
        sigma: sd of the rating noise (0.2).
        offset: 3. item_bias_sd: 1/1.5. user_bias_sd: 1/3.
        slate_size: 10.
        sampling: offline sampling scheme.
    """

    name = "latent-score"

    def __init__(self, *, n_users: int = 100, n_items: int = 170, online_users: int = 20,
                 initial_ratings: int = 1000, rank: int = 10, sigma: float = 0.2, offset: float = 3.0,
                 item_bias_sd: float = 1 / 1.5, user_bias_sd: float = 1 / 3, slate_size: int = 10,
                 sampling: str = "uniform") -> None:
        super().__init__(n_users=n_users, n_items=n_items, online_users=online_users,
                         initial_ratings=initial_ratings, sampling=sampling, slate_size=slate_size)
        if int(rank) < 1:
            raise ValueError(f"rank must be positive, got {rank}")
        if sigma < 0:
            raise ValueError(f"sigma must be >= 0, got {sigma}")
        self.rank, self.sigma, self.offset = int(rank), float(sigma), float(offset)
        self.item_bias_sd, self.user_bias_sd = float(item_bias_sd), float(user_bias_sd)

    def _init_state(self, rng: np.random.Generator) -> None:
        sd = 1.0 / np.sqrt(self.rank)
        self._h_item_bias = rng.standard_normal(self.n_items) * self.item_bias_sd
        self._h_user_bias = rng.standard_normal(self.n_users) * self.user_bias_sd
        self._h_U = rng.standard_normal((self.n_users, self.rank)) * sd
        self._h_V = rng.standard_normal((self.n_items, self.rank)) * sd
        self._h_X = rng.standard_normal((self.n_users, self.rank)) * sd
        self._h_Y = rng.standard_normal((self.n_items, self.rank)) * sd

    def private(self, users: np.ndarray, items: np.ndarray) -> np.ndarray:
        """The users' private information ``X_u . Y_i`` (items: same shape or (n, slate))."""
        users, items = np.asarray(users), np.asarray(items)
        if items.ndim == 2:
            return np.einsum("nk,nsk->ns", self._h_X[users], self._h_Y[items])
        return np.einsum("nk,nk->n", self._h_X[users], self._h_Y[items])

    def _mean(self, users: np.ndarray, items: np.ndarray) -> np.ndarray:
        return (self.offset + self._h_item_bias[items] + self._h_user_bias[users]
                + np.einsum("nk,nk->n", self._h_U[users], self._h_V[items])
                + self.private(users, items))

    def _expected(self, users: np.ndarray, items: np.ndarray) -> np.ndarray:
        return np.clip(self._mean(users, items), *self.rating_range)

    def _rate(self, users: np.ndarray, items: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        eps = rng.standard_normal(users.size) * self.sigma
        return np.clip(self._mean(users, items) + eps, *self.rating_range)

    def _expected_rows(self, users: np.ndarray) -> np.ndarray:
        dense = self._h_U[users] @ self._h_V.T + self._h_X[users] @ self._h_Y.T
        dense += self.offset + self._h_user_bias[users, None] + self._h_item_bias[None, :]
        return np.clip(dense, *self.rating_range, out=dense)

    def _choose(self, users: np.ndarray, slates: np.ndarray, scores: np.ndarray | None,
                rng: np.random.Generator) -> tuple[np.ndarray, None]:
        perceived = self.private(users, slates)
        if scores is not None:
            perceived = perceived + scores
        pick = np.argmax(perceived, axis=1)  # first maximum: ties go to the better rank
        return slates[np.arange(users.size), pick], None


class BetaRankEnv(Environment):
    """beta-rank (Chaney, Stewart and Engelhardt 2018): see the module docstring.

    Args:
        n_users, n_items: 100, 170. online_users: 20. initial_ratings: 1000.
        dimension: K (19).
        known_mean: mean of the known fraction eta (0.98).
        value_sd, known_sd: sd of the Beta draws of V and eta (1e-5 each, RecLab's std_dev).
        rank_exponent: attention decay ``rank^(-rank_exponent)`` (0.8).
        user_concentration: c_u (100; RecLab 0.1.2 used 10).
        item_concentration: 0.1. item_base_concentration: 100.
        rating_scale: ``"five"`` (default) or ``"unit"``.
        slate_size: 10.
        sampling: offline sampling scheme.
    """

    name = "beta-rank"

    def __init__(self, *, n_users: int = 100, n_items: int = 170, online_users: int = 20,
                 initial_ratings: int = 1000, dimension: int = 19, known_mean: float = 0.98,
                 value_sd: float = 1e-5, known_sd: float = 1e-5, rank_exponent: float = 0.8,
                 user_concentration: float = 100.0, item_concentration: float = 0.1,
                 item_base_concentration: float = 100.0, rating_scale: str = "five",
                 slate_size: int = 10, sampling: str = "uniform") -> None:
        super().__init__(n_users=n_users, n_items=n_items, online_users=online_users,
                         initial_ratings=initial_ratings, sampling=sampling, slate_size=slate_size)
        if int(dimension) < 1:
            raise ValueError(f"dimension must be positive, got {dimension}")
        if not 0.0 < known_mean < 1.0:
            raise ValueError(f"known_mean must be in (0, 1), got {known_mean}")
        if value_sd <= 0 or known_sd <= 0:
            raise ValueError("value_sd and known_sd must be positive")
        self.dimension = int(dimension)
        self.known_mean, self.value_sd, self.known_sd = float(known_mean), float(value_sd), float(known_sd)
        self.rank_exponent = float(rank_exponent)
        self.user_concentration = float(user_concentration)
        self.item_concentration = float(item_concentration)
        self.item_base_concentration = float(item_base_concentration)
        self.rating_scale = check_choice("rating_scale", rating_scale, RATING_SCALES)
        self.rating_range = (1.0, 5.0) if self.rating_scale == "five" else (0.0, 1.0)

    @property
    def rated(self) -> np.ndarray:
        """(n_users, n_items) mask of the pairs already rated (offline included), a copy."""
        return self._h_rated.copy()

    def _init_state(self, rng: np.random.Generator) -> None:
        k = self.dimension
        user_base = rng.dirichlet(np.ones(k))
        self._h_P = rng.dirichlet(self.user_concentration * user_base, size=self.n_users)
        item_base = rng.dirichlet(self.item_base_concentration * np.ones(k))
        self._h_Q = rng.dirichlet(self.item_concentration * item_base, size=self.n_items)
        self._h_rated = np.zeros((self.n_users, self.n_items), dtype=bool)

    def _to_rating(self, value: np.ndarray) -> np.ndarray:
        if self.rating_scale == "unit":
            return np.asarray(value, dtype=np.float64)
        return np.clip(np.round(20.0 * value + 1.0), 1.0, 5.0)

    def _means(self, users: np.ndarray, items: np.ndarray) -> np.ndarray:
        if items.ndim == 2:
            return np.einsum("nk,nsk->ns", self._h_P[users], self._h_Q[items])
        return np.einsum("nk,nk->n", self._h_P[users], self._h_Q[items])

    def _expected(self, users: np.ndarray, items: np.ndarray) -> np.ndarray:
        return self._to_rating(np.clip(self._means(users, items), 0.0, 1.0))

    def _rate(self, users: np.ndarray, items: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        return self._to_rating(beta_mean_sd(self._means(users, items), self.value_sd, rng))

    def _expected_rows(self, users: np.ndarray) -> np.ndarray:
        return self._to_rating(np.clip(self._h_P[users] @ self._h_Q.T, 0.0, 1.0))

    def _offline(self, users: np.ndarray, items: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        ratings = self._rate(users, items, rng)
        self._h_rated[users, items] = True
        return ratings

    def _choose(self, users: np.ndarray, slates: np.ndarray, scores: np.ndarray | None,
                rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
        n, size = slates.shape
        values = beta_mean_sd(self._means(users, slates), self.value_sd, rng)
        known = beta_mean_sd(self.known_mean, self.known_sd, rng, size=(n, size))
        attention = np.arange(1, size + 1, dtype=np.float64) ** (-self.rank_exponent)
        utility = attention * known * values
        fresh = np.where(self._h_rated[users[:, None], slates], -np.inf, utility)
        pick = np.where(np.isfinite(fresh).any(axis=1), np.argmax(fresh, axis=1), np.argmax(utility, axis=1))
        rows = np.arange(n)
        return slates[rows, pick], self._to_rating(values[rows, pick])

    def _update(self, users: np.ndarray, items: np.ndarray, ratings: np.ndarray) -> None:
        self._h_rated[users, items] = True
