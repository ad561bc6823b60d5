"""topics-static and topics-dynamic (thesis section 2.3).

Model (thesis 2.3, notation of the thesis)
-------------------------------------------
K topics; each item's topic k_i is uniform over the K topics; user preferences
pi(u, k) ~ Unif(0.5, 5.5). User u rates item i as

    r_t(u, i) = clip(pi_t(u, k_i) - lambda * 1{topic k_i observed "often" in u's memory} + eps),
    eps ~ N(0, sigma^2),  clip to [1, 5].

topics-static has no dynamics. In topics-dynamic, after u consumes i,

    pi_{t+1}(u, k_i) = pi_t(u, k_i) + a,    pi_{t+1}(u, k') = pi_t(u, k') - a / (K - 1)  (k' != k_i)

and boredom applies (memory m, threshold tau, penalty lambda).

Facts taken from RecLab (``reclab/environments/topics.py`` and ``environment.py`` at tag 0.1.2,
the PyPI release; identical at v0.1.1 for what is used here) and the choices made from them
--------------------------------------------------------------------------------------------
* Defaults (``registry.py``, ``topics-static-v1``/``topics-dynamic-v1``): K = 19, 1000 users,
  1700 items, 20% of users online per step (200), 100,000 offline ratings, noise sd 0.5;
  static: topic_change 0, memory 0, threshold 0, penalty 0; dynamic: topic_change 0.1,
  memory 5, threshold 2, penalty 1.
* Noise: ``clip(mean + sd * N(0, 1), 1, 5)`` with the boredom penalty subtracted before the
  noise (``Topics._get_rating``).
* Boredom counting (``Topics._get_rating`` / ``_get_dense_ratings`` and
  ``DictEnvironment.step``): each user has their *own* history of the last ``memory_length``
  items recommended to them (appended in ``step`` *after* the rating, so the current
  recommendation does not count; a user's history only advances when that user is online, so
  "the m previous timesteps" are that user's last m consumptions, not global timesteps). The
  penalty applies when the topic's count in that history is **strictly greater** than the
  threshold (``count > boredom_threshold``), i.e. with the defaults when at least 3 of the
  user's last 5 items had the topic. This is the thesis' prose ("If a user observes the same
  topic more than tau times within the last m timesteps"); the thesis' displayed equation says
  ``>= tau``. Default ``boredom_rule="more-than"`` (RecLab, prose); ``"at-least"`` gives the
  equation's reading (equivalently, threshold + 1 under the default rule). Boredom is inactive
  when ``memory_length == 0`` or ``boredom_penalty == 0``.
* Affinity (``Topics._rate_items``): RecLab does **not** clip preferences. It applies the
  update (+a to the consumed topic, -a/(K-1) to every other topic) only when the consumed
  topic's preference is ``<= 5``, and skips it entirely otherwise; nothing bounds preferences
  from below. Default ``affinity_rule="reclab"`` reproduces that exactly (the guard is
  ``preference_range[1]``, 5); ``"clip"`` is the thesis' displayed equation, both updates
  clipped to ``preference_range`` (default [1, 5], the thesis' "clip"; note that this lifts any
  preference below 1, e.g. an initial draw of 0.7, to 1 at its first update).
* Offline ratings (``DictEnvironment.reset``): RecLab rates the offline pairs one by one through
  the same ``_rate_items`` as online steps, so each offline consumption applies the affinity
  update (in the random order of the sampled pairs) while the boredom history stays empty
  (histories are only appended in ``step`` and are re-created after the offline ratings).
  Consequently RecLab's offline ratings of topics-dynamic differ from topics-static's, which
  contradicts the thesis ("we ensure the offline dataset is the same for both environments",
  Figure 2.6). ``offline_dynamics`` chooses:

  - ``"after"`` (default): every offline rating is drawn from the initial preferences (so the
    offline dataset is identical to topics-static's for the same seed), then the affinity
    updates of all offline consumptions are applied, per user in a random order (drawn from
    the offline stream), as RecLab does. The preferences at the first online step thus follow
    RecLab's; only the offline ratings differ from RecLab's (they do not see the drift).
  - ``"sequential"``: RecLab's exact semantics (each offline rating sees the updates of the
    user's earlier offline consumptions, in a random order).
  - ``"none"``: offline consumptions do not change preferences.

  The boredom history always starts empty at the first online step.
* Slates: RecLab rated only the first item of a slate; here the topic environments take one
  item per user (``slate_size = 1``).

Speed: state is dense arrays, the boredom history a ring buffer ``(n_users, memory_length)`` of
topic ids (-1 = empty) with a per-user write position; steps, dense ratings and the offline
dynamics are vectorised (the offline dynamics run one "round" per offline rating of the most
active user, each round vectorised over users).
"""

from __future__ import annotations

import numpy as np

from recdyn.envs.base import Environment, check_choice, within_user_rounds

BOREDOM_RULES = ("more-than", "at-least")
AFFINITY_RULES = ("reclab", "clip")
OFFLINE_DYNAMICS = ("after", "sequential", "none")


class TopicsEnv(Environment):
    """Topic-preference environment (topics-static / topics-dynamic, thesis section 2.3).

    Args:
        n_topics: K (19).
        n_users, n_items: 1000, 1700.
        online_users: users online per step (200 = RecLab's rating_frequency 0.2).
        initial_ratings: offline ratings (100,000).
        noise: sd sigma of the rating noise (0.5).
        topic_change: affinity a (0 static, 0.1 dynamic).
        memory_length: m, the user's remembered consumptions (0 static, 5 dynamic).
        boredom_threshold: tau (0 static, 2 dynamic).
        boredom_penalty: lambda (0 static, 1 dynamic).
        boredom_rule: ``"more-than"`` (count > tau; RecLab) or ``"at-least"`` (count >= tau).
        affinity_rule: ``"reclab"`` (guarded, unclipped) or ``"clip"`` (thesis equation).
        preference_range: clip bounds of ``"clip"``; its upper end is RecLab's guard (1, 5).
        offline_dynamics: ``"after"``, ``"sequential"`` or ``"none"`` (module docstring).
        sampling: offline sampling scheme (``recdyn.sim.sampling``).
    """

    name = "topics"

    def __init__(self, *, n_topics: int = 19, n_users: int = 1000, n_items: int = 1700,
                 online_users: int = 200, initial_ratings: int = 100_000, noise: float = 0.5,
                 topic_change: float = 0.0, memory_length: int = 0, boredom_threshold: int = 0,
                 boredom_penalty: float = 0.0, boredom_rule: str = "more-than",
                 affinity_rule: str = "reclab", preference_range: tuple[float, float] = (1.0, 5.0),
                 offline_dynamics: str = "after", sampling: str = "uniform") -> None:
        super().__init__(n_users=n_users, n_items=n_items, online_users=online_users,
                         initial_ratings=initial_ratings, sampling=sampling)
        if int(n_topics) < 1:
            raise ValueError(f"n_topics must be positive, got {n_topics}")
        if int(memory_length) < 0:
            raise ValueError(f"memory_length must be >= 0, got {memory_length}")
        if noise < 0:
            raise ValueError(f"noise must be >= 0, got {noise}")
        low, high = (float(x) for x in preference_range)
        if not low < high:
            raise ValueError(f"preference_range must be (low, high) with low < high, got {preference_range}")
        self.n_topics = int(n_topics)
        self.noise = float(noise)
        self.topic_change = float(topic_change)
        self.memory_length = int(memory_length)
        self.boredom_threshold = boredom_threshold
        self.boredom_penalty = float(boredom_penalty)
        self.boredom_rule = check_choice("boredom_rule", boredom_rule, BOREDOM_RULES)
        self.affinity_rule = check_choice("affinity_rule", affinity_rule, AFFINITY_RULES)
        self.preference_range = (low, high)
        self.offline_dynamics = check_choice("offline_dynamics", offline_dynamics, OFFLINE_DYNAMICS)

    # ---- public views of the hidden state (for plots and tests) --------------------------
    @property
    def preferences(self) -> np.ndarray:
        """Current preferences pi (n_users, K), a copy."""
        return self._h_pref.copy()

    @property
    def initial_preferences(self) -> np.ndarray:
        """Preferences as drawn at reset, before any consumption (n_users, K), a copy."""
        return self._h_pref0.copy()

    @property
    def item_topics(self) -> np.ndarray:
        """Topic of each item (n_items,), a copy."""
        return self._h_topic.copy()

    @property
    def history(self) -> np.ndarray:
        """Boredom memory: topics of each user's last ``memory_length`` consumptions
        (n_users, memory_length), -1 = empty slot; slot order is the ring buffer's, a copy."""
        return self._h_hist.copy()

    @property
    def boredom_active(self) -> bool:
        return self.memory_length > 0 and self.boredom_penalty != 0.0

    # ---- hooks ---------------------------------------------------------------------------
    def _init_state(self, rng: np.random.Generator) -> None:
        self._h_pref = rng.uniform(0.5, 5.5, size=(self.n_users, self.n_topics))
        self._h_pref0 = self._h_pref.copy()
        self._h_topic = rng.integers(self.n_topics, size=self.n_items, dtype=np.int64)
        self._h_hist = np.full((self.n_users, self.memory_length), -1, dtype=np.int64)
        self._h_hpos = np.zeros(self.n_users, dtype=np.int64)

    def _bored(self, counts: np.ndarray) -> np.ndarray:
        if self.boredom_rule == "more-than":
            return counts > self.boredom_threshold
        return counts >= self.boredom_threshold

    def _mean(self, users: np.ndarray, items: np.ndarray) -> np.ndarray:
        """Unclipped noise-free rating: pi(u, k_i) - boredom penalty."""
        topics = self._h_topic[items]
        mean = self._h_pref[users, topics]
        if self.boredom_active:
            counts = (self._h_hist[users] == topics[:, None]).sum(axis=1)
            mean = mean - self.boredom_penalty * self._bored(counts)
        return mean

    def _expected(self, users: np.ndarray, items: np.ndarray) -> np.ndarray:
        return np.clip(self._mean(users, items), *self.rating_range)

    def _rate(self, users: np.ndarray, items: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        eps = rng.standard_normal(users.size) * self.noise
        return np.clip(self._mean(users, items) + eps, *self.rating_range)

    def _expected_rows(self, users: np.ndarray) -> np.ndarray:
        pref = self._h_pref[users]
        if self.boredom_active:
            hist = self._h_hist[users]
            rows = np.broadcast_to(np.arange(users.size)[:, None], hist.shape)
            seen = hist >= 0
            counts = np.bincount(rows[seen] * self.n_topics + hist[seen],
                                 minlength=users.size * self.n_topics).reshape(users.size, self.n_topics)
            pref = pref - self.boredom_penalty * self._bored(counts)
        dense = np.take(pref, self._h_topic, axis=1)
        return np.clip(dense, *self.rating_range, out=dense)

    def _affinity(self, users: np.ndarray, topics: np.ndarray) -> None:
        """Affinity update after each ``users[j]`` consumed an item of topic ``topics[j]``
        (users distinct)."""
        a = self.topic_change
        if a == 0.0 or users.size == 0:
            return
        spread = a / (self.n_topics - 1) if self.n_topics > 1 else 0.0
        low, high = self.preference_range
        old = self._h_pref[users, topics]
        if self.affinity_rule == "reclab":
            keep = old <= high
            users, topics, old = users[keep], topics[keep], old[keep]
            rows = self._h_pref[users] - spread
            rows[np.arange(users.size), topics] = old + a
        else:
            rows = np.clip(self._h_pref[users] - spread, low, high)
            rows[np.arange(users.size), topics] = np.clip(old + a, low, high)
        self._h_pref[users] = rows

    def _remember(self, users: np.ndarray, topics: np.ndarray) -> None:
        """Push ``topics`` into the users' boredom ring buffers (users distinct)."""
        if self.memory_length == 0:
            return
        pos = self._h_hpos[users]
        self._h_hist[users, pos] = topics
        self._h_hpos[users] = (pos + 1) % self.memory_length

    def _update(self, users: np.ndarray, items: np.ndarray, ratings: np.ndarray) -> None:
        topics = self._h_topic[items]
        self._affinity(users, topics)
        self._remember(users, topics)

    def _offline_order(self, n: int) -> np.ndarray:
        """Order in which the offline consumptions act on the dynamics: a random permutation
        drawn from the offline stream (RecLab: the order of its random sample of pairs)."""
        return self._rng_offline.permutation(n)

    def _offline(self, users: np.ndarray, items: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        eps = rng.standard_normal(users.size) * self.noise  # drawn first: same noise in every mode
        if self.topic_change == 0.0 or self.offline_dynamics == "none" or users.size == 0:
            return np.clip(self._mean(users, items) + eps, *self.rating_range)
        rounds = within_user_rounds(users, self._offline_order(users.size))
        topics = self._h_topic[items]
        if self.offline_dynamics == "after":
            ratings = np.clip(self._mean(users, items) + eps, *self.rating_range)
            for idx in rounds:
                self._affinity(users[idx], topics[idx])
            return ratings
        ratings = np.empty(users.size, dtype=np.float64)
        for idx in rounds:
            ratings[idx] = np.clip(self._mean(users[idx], items[idx]) + eps[idx], *self.rating_range)
            self._affinity(users[idx], topics[idx])
        return ratings


class TopicsStatic(TopicsEnv):
    """topics-static: RecLab's ``topics-static-v1`` (no affinity change, no boredom)."""

    name = "topics-static"

    def __init__(self, **params) -> None:
        defaults = dict(topic_change=0.0, memory_length=0, boredom_threshold=0, boredom_penalty=0.0)
        super().__init__(**{**defaults, **params})


class TopicsDynamic(TopicsEnv):
    """topics-dynamic: RecLab's ``topics-dynamic-v1`` (a = 0.1, memory 5, threshold 2, penalty 1)."""

    name = "topics-dynamic"

    def __init__(self, **params) -> None:
        defaults = dict(topic_change=0.1, memory_length=5, boredom_threshold=2, boredom_penalty=1.0)
        super().__init__(**{**defaults, **params})
