"""Fit and per-step recommend time of every chapter-2 recommender on 100,000 ratings (943 x 1682).

Every online step retrains from scratch (thesis section 2.6), so fit time is the cost of a step.
Data: the offline dataset of latent-static (943 users, 1682 items, 100,000 uniformly sampled ratings).
Hyperparameters: each recommender's defaults (the thesis framework's tuned values, DESIGN.md section 4).

    .venv/bin/python benchmarks/bench_recommender_fit.py [--repeats 3] [--only item_knn,ease]
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np

from recdyn.envs import make_env
from recdyn.recommenders import available_recommenders, make_recommender


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--only", default="", help="comma-separated recommender names (default: all)")
    parser.add_argument("--online-users", type=int, default=200)
    args = parser.parse_args()
    env = make_env("latent-static")
    data = env.reset(0)
    users = np.sort(np.random.default_rng(1).choice(env.n_users, args.online_users, replace=False))
    names = [n for n in available_recommenders() if not args.only or n in args.only.split(",")]
    print(f"{len(data):,} ratings, {env.n_users} x {env.n_items}; {args.online_users} users per recommend; "
          f"median of {args.repeats}")
    print(f"{'recommender':<12} {'fit s':>9} {'recommend s':>12} {'step s':>9}")
    for name in names:
        extra = {"env": env} if name == "oracle" else {}
        fits, recs = [], []
        for _ in range(args.repeats):
            model = make_recommender(name, seed=0, **extra)
            start = time.perf_counter()
            model.fit(data)
            fits.append(time.perf_counter() - start)
            start = time.perf_counter()
            model.recommend(users, k=1)
            recs.append(time.perf_counter() - start)
        fit, rec = statistics.median(fits), statistics.median(recs)
        print(f"{name:<12} {fit:>9.3f} {rec:>12.3f} {fit + rec:>9.3f}", flush=True)


if __name__ == "__main__":
    main()
