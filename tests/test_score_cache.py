"""Scores kept by expect_users between fits give the very same online trials as scoring each step."""

import pytest

from recdyn.envs import make_env
from recdyn.recommenders import make_recommender
from recdyn.recommenders.base import Recommender
from recdyn.sim.online import TIMING_COLUMNS, run_online

FAST = {"user_knn": {"neighborhood_size": 20}, "item_knn": {"neighborhood_size": 20}, "ease": {"lam": 50.0},
        "toppop": {}, "random": {}, "llorma": {"epochs": 2, "pre_iters": 3, "n_anchors": 3, "rank": 3},
        "autorec": {"hidden_units": 16, "epochs": 2}}


@pytest.mark.parametrize("name", sorted(FAST))
def test_cached_scores_change_nothing(name, monkeypatch):
    def trial():
        env = make_env("topics-dynamic", n_users=60, n_items=90, n_topics=5, online_users=20, initial_ratings=800)
        table = run_online(env, lambda: make_recommender(name, seed=1, **FAST[name]), seed=4, total_ratings=1200,
                           retrain_every=5)  # 5 x 20 >= 60 users: every fit is followed by expect_users
        return table.drop(columns=list(TIMING_COLUMNS))

    cached = trial()
    monkeypatch.setattr(Recommender, "cache_scores", False)
    monkeypatch.setattr(type(make_recommender(name, **FAST[name])), "cache_scores", False, raising=False)
    assert cached.equals(trial())


def test_the_cache_is_used_and_dropped_by_the_next_fit():
    env = make_env("topics-static", n_users=30, n_items=40, n_topics=3, online_users=10, initial_ratings=300)
    data = env.reset(0)
    rec = make_recommender("item_knn", neighborhood_size=5).fit(data)
    calls = []
    original = type(rec).score_users
    rec.score_users = lambda users: calls.append(len(users)) or original(rec, users)
    rec.expect_users(range(30))
    rec.recommend([1, 2, 3])
    rec.predict([1, 2], [3, 4])
    assert calls == [30]  # one block at the hint, none after
    rec.fit(data)
    rec.recommend([1, 2, 3])
    assert calls == [30, 3]
