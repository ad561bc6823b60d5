"""The Chaney-style feedback-loop simulation of thesis Table 3.1 (section 3.4, "Comparison with
Prior Work"), the experiment of Pan et al. 2021 ("Correcting the User Feedback-Loop Bias for
Recommendation Systems", arXiv 2109.06037, section 6.3), which modifies the simulation of Chaney,
Stewart and Engelhardt 2018 ("How algorithmic confounding in recommendation systems increases
homogeneity and decreases utility", RecSys 2018).

Model (thesis section 3.4; every line below is the thesis' unless marked *choice*)
--------------------------------------------------------------------------------------
* ``U`` users, ``I`` items (thesis: 3000 and 1000), ``K`` latent dimensions (*choice*: 20; the
  thesis does not state K; the project's beta-rank uses RecLab's 19, Chaney et al.'s public
  code exposes it as a parameter).
* user vectors ``theta_u ~ Dirichlet(mu_theta)``, ``mu_theta ~ Dirichlet(20 * 1_K)``, one draw of
  ``mu_theta`` shared by all users; item vectors ``beta_i ~ Dirichlet(mu_beta)``,
  ``mu_beta ~ Dirichlet(100 * 1_K)``, shared by all items. *Choice*: the thesis' formula is
  taken literally, i.e. ``theta_u`` has total concentration 1 (``user_scale`` = 1) and likewise
  ``beta_i`` (``item_scale`` = 1). Chaney et al.'s own code scales the base measures instead
  (users ``Dirichlet(1_K) * 10``, items ``Dirichlet(100 * 1_K) * 0.1``, as reproduced by the
  T-RECS replication of their simulation); pass ``user_base=1, user_scale=10, item_scale=0.1``
  for that variant. The mean ``theta_u . beta_i`` averages 1/K in both.
* rating of a consumed pair ``R_ui ~ Beta'(theta_u . beta_i)``: the Beta reparametrised by mean
  ``mu`` and variance ``sigma^2 = 0.01``, ``a = ((1 - mu) / sigma^2 - 1 / mu) mu^2``,
  ``b = a (1 / mu - 1)`` (Chaney et al.'s footnote 3; the thesis' text lost the square of the
  last ``mu`` in extraction: with ``mu^2`` the mean is ``mu`` and the variance ``sigma^2``).
  *Choice*: where the moments are infeasible (``mu (1 - mu) <= sigma^2``, i.e. mu < 0.0102 or
  > 0.9898, about half of all pairs here) the draw uses the project's beta-rank rule
  (:func:`recdyn.envs.slate.beta_mean_sd`: ``a`` floored at 0, plus 1e-6), which degenerates
  to an (almost) Bernoulli(mu) draw with the right mean. Each pair is rated at most once
  (consumed items get probability 0), so the whole noisy matrix is drawn once up front: the
  same distribution as drawing each rating when its pair is consumed, and it gives test
  ratings and exact "uniform risks" for free.
* rating scale (*choice*, ``rating_scale``): ``"five"`` (default) maps the Beta draw ``V`` to
  ``clip(round(20 V + 1), 1, 5)``, the rule of the thesis author's 2022 RecLab beta-rank (the
  project's beta-rank default, :mod:`recdyn.envs.slate`); ``"unit"`` keeps ``V`` in [0, 1].
  Reason: the thesis reports MSEs near 2.0 and MAEs near 1.08 (Table 3.1), impossible for
  ratings in [0, 1] (variance here ~0.015) and matching a 1-5 scale, on which these ratings
  have variance ~1.8. Neither the thesis nor the material available here states the scale.
* item-item similarity ``S_ij ~ Beta'(beta_i . beta_j)`` with the same variance 0.01.
  *Choice*: every ordered pair (i, j) is an independent draw (not symmetrised), diagonal
  included.
* policy: one item per user per step, ``steps`` = 30 steps. Step 1 is uniform over all items;
  for t > 1, ``P(A_t,ui = 1)`` is proportional to 0 if u already consumed i, 10 if
  ``rank_t(u, i) <= 100`` and 1 otherwise, with ``rank_t`` ordering items by
  ``score_t(u, i) = sum_{s<t} sum_j A_s,uj R_s,uj exp(S_ij)``, largest first.
  *Choice*: the rank is taken among the items the user has not consumed yet (so exactly
  ``min(top_k, remaining)`` items carry weight 10 at every step); ties (only possible with
  ``rating_scale="unit"`` when ratings are 0) are broken by ``numpy.argpartition``,
  deterministically. The score uses the observed rating on the chosen scale.
* the policy's probability of the item each user received is logged at recommendation time
  (``probs``), as CAFL requires (thesis section 3.3: "those probabilities are logged").
* data: the first ``train_steps`` = 20 consumed items per user form the training set, the last
  10 are simulated but not used (the thesis, following Pan et al., who use them for validation
  and evaluation); the test set is ``n_test`` = 20 items per user drawn uniformly without
  replacement among the items the user did not consume in any of the ``steps`` steps.

Vectorised over users (one ``U x I`` update per step); deterministic given ``seed`` (one
``numpy.random.default_rng(seed)`` stream, consumed in a fixed order).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from recdyn.envs.slate import beta_mean_sd

RATING_SCALES = ("five", "unit")
#: (low, high) of the ratings on each scale.
RATING_RANGES = {"five": (1.0, 5.0), "unit": (0.0, 1.0)}


def beta_prime(mean: np.ndarray | float, variance: float, rng: np.random.Generator) -> np.ndarray:
    """Chaney et al.'s reparametrised Beta: mean ``mean``, variance ``variance`` (infeasible
    moments floored as in the project's beta-rank, see the module docstring)."""
    return beta_mean_sd(mean, float(np.sqrt(variance)), rng)


def to_scale(values: np.ndarray, rating_scale: str) -> np.ndarray:
    """Map Beta draws in [0, 1] to ratings: ``"five"``: ``clip(round(20 V + 1), 1, 5)``;
    ``"unit"``: unchanged."""
    if rating_scale == "five":
        return np.clip(np.round(20.0 * values + 1.0), 1.0, 5.0)
    if rating_scale == "unit":
        return np.asarray(values, dtype=np.float64)
    raise ValueError(f"rating_scale must be one of {RATING_SCALES}, got {rating_scale!r}")


def recommendation_probabilities(scores: np.ndarray, consumed: np.ndarray, *, top_k: int = 100,
                                 high: float = 10.0, low: float = 1.0,
                                 uniform: bool = False) -> np.ndarray:
    """The policy of thesis section 3.4 for every user at once.

    Args:
        scores: (U, I) ``score_t(u, i)``.
        consumed: (U, I) bool, items each user already consumed (probability 0).
        top_k: the items ranked ``<= top_k`` among the unconsumed ones get weight ``high``.
        high, low: 10 and 1.
        uniform: step 1: every unconsumed item gets the same weight.

    Returns:
        (U, I) probabilities, each row summing to 1.
    """
    scores = np.asarray(scores, dtype=np.float64)
    consumed = np.asarray(consumed, dtype=bool)
    n_users, n_items = scores.shape
    remaining = n_items - consumed.sum(axis=1)
    if np.any(remaining < 1):
        raise ValueError("a user has consumed every item")
    weights = np.where(consumed, 0.0, 1.0 if uniform else float(low))
    if not uniform and top_k > 0:
        k = min(int(top_k), n_items)
        masked = np.where(consumed, -np.inf, scores)
        top = np.argpartition(-masked, k - 1, axis=1)[:, :k]
        rows = np.repeat(np.arange(n_users), k)
        # consumed items can only enter the top k when fewer than k remain: keep them at 0
        keep = ~consumed[rows, top.ravel()]
        weights[rows[keep], top.ravel()[keep]] = float(high)
    return weights / weights.sum(axis=1, keepdims=True)


def _sample_rows(probs: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """One categorical draw per row (inverse CDF), vectorised."""
    cdf = np.cumsum(probs, axis=1)
    u = rng.random(probs.shape[0]) * cdf[:, -1]
    picks = (cdf <= u[:, None]).sum(axis=1)
    picks = np.minimum(picks, probs.shape[1] - 1)
    # never pick a zero-probability item (guards round-off at the row end)
    bad = probs[np.arange(probs.shape[0]), picks] <= 0
    if np.any(bad):  # the last positive-probability item of the row
        picks[bad] = probs.shape[1] - 1 - np.argmax(probs[bad][:, ::-1] > 0, axis=1)
    return picks


@dataclass
class ChaneySimulation:
    """One simulated run. Shapes: ``U`` users, ``I`` items, ``T`` = ``steps``.

    Attributes:
        items: (U, T) item consumed by each user at step t (column t-1).
        ratings: (U, T) its rating.
        probs: (U, T) the policy's probability of that item at that step (logged).
        test_items, test_ratings: (U, n_test) held-out uniformly random unconsumed pairs.
        rating_matrix: (U, I) every pair's (noisy) rating, drawn once.
        mean_matrix: (U, I) ``theta_u . beta_i`` (the Beta means, before the scale map).
        user_factors (U, K), item_factors (I, K), similarity (I, I): hidden state.
        step_probs: (T, U, I) every step's full probability matrix, only with ``keep_probs``.
        rating_scale, rating_range, train_steps: as simulated.
    """

    items: np.ndarray
    ratings: np.ndarray
    probs: np.ndarray
    test_items: np.ndarray
    test_ratings: np.ndarray
    rating_matrix: np.ndarray
    mean_matrix: np.ndarray
    user_factors: np.ndarray
    item_factors: np.ndarray
    similarity: np.ndarray
    rating_scale: str
    rating_range: tuple[float, float]
    train_steps: int
    step_probs: np.ndarray | None = None

    @property
    def n_users(self) -> int:
        return self.items.shape[0]

    @property
    def n_items(self) -> int:
        return self.rating_matrix.shape[1]

    @property
    def steps(self) -> int:
        return self.items.shape[1]

    def train(self, train_steps: int | None = None) -> dict[str, np.ndarray]:
        """The training set as flat arrays: ``users``, ``items``, ``ratings``, ``steps``
        (1-based step s at which the pair was observed) and ``probs`` (logged
        ``P(A_s,ui | Theta_{s-1})``), ordered user-major."""
        t = self.train_steps if train_steps is None else int(train_steps)
        if not 1 <= t <= self.steps:
            raise ValueError(f"train_steps must be in [1, {self.steps}], got {t}")
        n = self.n_users
        return {
            "users": np.repeat(np.arange(n), t),
            "items": self.items[:, :t].ravel(),
            "ratings": self.ratings[:, :t].ravel(),
            "steps": np.tile(np.arange(1, t + 1), n),
            "probs": self.probs[:, :t].ravel(),
        }

    def test(self) -> dict[str, np.ndarray]:
        """The test set as flat arrays ``users``, ``items``, ``ratings``."""
        n, m = self.test_items.shape
        return {"users": np.repeat(np.arange(n), m), "items": self.test_items.ravel(),
                "ratings": self.test_ratings.ravel()}


def simulate_chaney(*, seed: int, n_users: int = 3000, n_items: int = 1000, steps: int = 30,
                    train_steps: int = 20, n_test: int = 20, n_topics: int = 20,
                    user_base: float = 20.0, user_scale: float = 1.0,
                    item_base: float = 100.0, item_scale: float = 1.0,
                    rating_variance: float = 0.01, similarity_variance: float = 0.01,
                    top_k: int = 100, high: float = 10.0, low: float = 1.0,
                    rating_scale: str = "five", keep_probs: bool = False) -> ChaneySimulation:
    """Run the simulation of the module docstring (defaults: the thesis' sizes).

    Args:
        seed: fixes everything.
        n_users, n_items, steps: 3000, 1000, 30.
        train_steps: steps used for training (20); ``n_test``: test items per user (20).
        n_topics: K (20, a choice). user_base, user_scale, item_base, item_scale: the Dirichlet
            parameters (module docstring).
        rating_variance, similarity_variance: 0.01 each.
        top_k, high, low: the 10/1/0 policy (rank <= 100 gets 10).
        rating_scale: ``"five"`` or ``"unit"``.
        keep_probs: also return every step's full (U, I) probability matrix (small runs only).
    """
    if rating_scale not in RATING_SCALES:
        raise ValueError(f"rating_scale must be one of {RATING_SCALES}, got {rating_scale!r}")
    n_users, n_items, steps = int(n_users), int(n_items), int(steps)
    if not 1 <= train_steps <= steps:
        raise ValueError(f"train_steps must be in [1, steps], got {train_steps}")
    if steps + n_test > n_items:
        raise ValueError(f"steps + n_test ({steps + n_test}) exceeds n_items ({n_items})")
    rng = np.random.default_rng(seed)
    k = int(n_topics)
    mu_theta = rng.dirichlet(np.full(k, float(user_base)))
    theta = rng.dirichlet(user_scale * mu_theta, size=n_users)
    mu_beta = rng.dirichlet(np.full(k, float(item_base)))
    beta = rng.dirichlet(item_scale * mu_beta, size=n_items)
    if not (np.all(np.isfinite(theta)) and np.all(np.isfinite(beta))):
        raise FloatingPointError("Dirichlet draw underflowed; increase the concentrations")
    means = theta @ beta.T
    rating_matrix = to_scale(beta_prime(means, rating_variance, rng), rating_scale)
    similarity = beta_prime(beta @ beta.T, similarity_variance, rng)
    exp_sim = np.exp(similarity)

    items = np.empty((n_users, steps), dtype=np.int64)
    ratings = np.empty((n_users, steps), dtype=np.float64)
    probs = np.empty((n_users, steps), dtype=np.float64)
    step_probs = np.empty((steps, n_users, n_items)) if keep_probs else None
    consumed = np.zeros((n_users, n_items), dtype=bool)
    scores = np.zeros((n_users, n_items), dtype=np.float64)
    rows = np.arange(n_users)
    for t in range(steps):
        p = recommendation_probabilities(scores, consumed, top_k=top_k, high=high, low=low,
                                         uniform=(t == 0))
        chosen = _sample_rows(p, rng)
        items[:, t] = chosen
        probs[:, t] = p[rows, chosen]
        ratings[:, t] = rating_matrix[rows, chosen]
        if keep_probs:
            step_probs[t] = p
        consumed[rows, chosen] = True
        # score_t(u, i) += R_ui' exp(S_{i i'}) for the item i' that u just consumed
        scores += ratings[:, t, None] * exp_sim[:, chosen].T

    keys = rng.random((n_users, n_items))
    keys[consumed] = np.inf
    test_items = np.argpartition(keys, n_test - 1, axis=1)[:, :n_test]
    test_items = np.sort(test_items, axis=1)
    test_ratings = rating_matrix[rows[:, None], test_items]
    return ChaneySimulation(items=items, ratings=ratings, probs=probs, test_items=test_items,
                            test_ratings=test_ratings, rating_matrix=rating_matrix,
                            mean_matrix=means, user_factors=theta, item_factors=beta,
                            similarity=similarity, rating_scale=rating_scale,
                            rating_range=RATING_RANGES[rating_scale], train_steps=int(train_steps),
                            step_probs=step_probs)
