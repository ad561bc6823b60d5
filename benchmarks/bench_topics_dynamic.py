"""Benchmark: recdyn's topics-dynamic against RecLab 0.1.2's ``topics-dynamic-v1``, in one run.

Times ``reset`` (1000 users, 1700 items, 100,000 offline ratings) and one ``step`` (200 online
users, one item each) of both, and checks first that the two compute the same thing: with the
rating noise set to 0, RecLab's preferences, offline ratings, online ratings and dense ratings
are replayed exactly by recdyn (``offline_dynamics="sequential"``, RecLab's semantics) given
RecLab's initial preferences, item topics, offline pair order, online users and recommendations.

RecLab runs in its own virtual environment through a subprocess (see benchmarks/README.md)::

    python benchmarks/bench_topics_dynamic.py [--reclab-python /tmp/reclab-venv/bin/python]
        [--steps 50] [--repeats 3]

Not part of the test suite.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from recdyn.envs import make_env

N_USERS, N_ITEMS, N_INITIAL, N_ONLINE = 1000, 1700, 100_000, 200

# Runs inside RecLab's venv. Prints one JSON line of timings; writes the replay data to argv[1].
RECLAB_SCRIPT = r"""
import json, sys, time
import numpy as np
import reclab

out_path, steps, repeats = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
rng = np.random.default_rng(12345)

# ---- timings: the registry's topics-dynamic-v1, unchanged ----
reset_s, step_s, dense_s = [], [], []
for rep in range(repeats):
    env = reclab.make('topics-dynamic-v1')
    env.seed((rep, rep + 100))
    t = time.perf_counter(); env.reset(); reset_s.append(time.perf_counter() - t)
    for _ in range(steps):
        n = len(env.online_users)
        recs = rng.integers(env._num_items, size=(n, 1))
        t = time.perf_counter(); env.step(recs); step_s.append(time.perf_counter() - t)
    t = time.perf_counter(); env.dense_ratings; dense_s.append(time.perf_counter() - t)

# ---- replay data: same environment with zero noise and fewer offline ratings ----
seed = 7
env = reclab.make('topics-dynamic-v1', noise=0.0, num_init_ratings=20000)
env.seed((seed, seed + 1))
prefs0 = np.random.RandomState(seed).uniform(low=0.5, high=5.5, size=(1000, 19))  # first draw of _reset_state
_, _, init = env.reset()
pairs = np.array(list(init.keys()), dtype=np.int64)  # insertion order = RecLab's processing order
init_ratings = np.array([float(np.ravel(v[0])[0]) for v in init.values()])
prefs_after_reset = env._user_preferences.copy()
online, recs_all, ratings_all = [], [], []
few_topics = np.flatnonzero(env._item_topics < 2)  # recommend 2 topics only, so boredom triggers often
for _ in range(60):
    users = np.array(list(env.online_users.keys()), dtype=np.int64)
    recs = rng.choice(few_topics, size=(users.size, 1))
    _, _, ratings, _ = env.step(recs)
    online.append(users); recs_all.append(recs[:, 0])
    ratings_all.append([float(np.ravel(ratings[(u, r)][0])[0]) for u, r in zip(users, recs[:, 0])])
np.savez(out_path, prefs0=prefs0, topics=env._item_topics, pairs=pairs, init_ratings=init_ratings,
         prefs_after_reset=prefs_after_reset, online=np.array(online), recs=np.array(recs_all),
         ratings=np.array(ratings_all), prefs_end=env._user_preferences,
         dense_end=np.clip(env.dense_ratings, 1, 5))
print(json.dumps({'reset_s': reset_s, 'step_s': step_s, 'dense_s': dense_s}))
"""


def run_reclab(python: str, steps: int, repeats: int, replay_path: str) -> dict:
    proc = subprocess.run([python, "-c", RECLAB_SCRIPT, replay_path, str(steps), str(repeats)],
                          capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        sys.exit(f"RecLab run failed ({python}):\n{proc.stderr}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def check_semantics(replay_path: str) -> str:
    """Replay RecLab's zero-noise run in recdyn; raise AssertionError on any difference."""
    rec = np.load(replay_path)
    pairs = rec["pairs"]
    env = make_env("topics-dynamic", noise=0.0, initial_ratings=len(pairs), offline_dynamics="sequential")
    env.reset(0)  # allocates the state; overwritten with RecLab's below
    env._h_pref = rec["prefs0"].copy()
    env._h_topic = rec["topics"].astype(np.int64)
    env._h_hist[:] = -1
    env._h_hpos[:] = 0
    env._offline_order = lambda n: np.arange(n)  # RecLab's order: pairs are given in it
    offline = env._offline(pairs[:, 0], pairs[:, 1], np.random.default_rng(0))
    np.testing.assert_array_equal(offline, rec["init_ratings"])
    np.testing.assert_array_equal(env._h_pref, rec["prefs_after_reset"])
    bored = 0
    for users, recs, ratings in zip(rec["online"], rec["recs"], rec["ratings"]):
        order = np.argsort(users)
        env._online = users[order]
        topics = env._h_topic[recs[order]]
        bored += int(env._bored((env._h_hist[users[order]] == topics[:, None]).sum(axis=1)).sum())
        result = env.step(recs[order])
        np.testing.assert_array_equal(result.ratings, ratings[order])
    np.testing.assert_array_equal(env._h_pref, rec["prefs_end"])
    np.testing.assert_array_equal(env.true_ratings(), rec["dense_end"])
    return (f"identical: {len(pairs)} offline ratings, preferences after the offline dynamics, "
            f"{rec['online'].size} online ratings over {len(rec['online'])} steps ({bored} with the boredom "
            f"penalty), "
            f"final preferences and dense ratings")


def time_recdyn(steps: int, repeats: int, offline_dynamics: str) -> dict:
    rng = np.random.default_rng(12345)
    reset_s, step_s, dense_s = [], [], []
    for rep in range(repeats):
        env = make_env("topics-dynamic", offline_dynamics=offline_dynamics)
        t = time.perf_counter()
        env.reset(rep)
        reset_s.append(time.perf_counter() - t)
        for _ in range(steps):
            recs = rng.integers(env.n_items, size=env.n_online)
            t = time.perf_counter()
            env.step(recs)
            step_s.append(time.perf_counter() - t)
        t = time.perf_counter()
        env.true_ratings()
        dense_s.append(time.perf_counter() - t)
    return {"reset_s": reset_s, "step_s": step_s, "dense_s": dense_s}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reclab-python", default=os.environ.get("RECLAB_PYTHON", "/tmp/reclab-venv/bin/python"),
                        help="python of a venv with reclab==0.1.2 installed (default %(default)s)")
    parser.add_argument("--steps", type=int, default=50, help="steps timed per repeat (default %(default)s)")
    parser.add_argument("--repeats", type=int, default=3, help="resets timed (default %(default)s)")
    args = parser.parse_args()
    if not Path(args.reclab_python).exists():
        sys.exit(f"{args.reclab_python} not found: create RecLab's venv first (benchmarks/README.md)")

    with tempfile.TemporaryDirectory() as tmp:
        replay = os.path.join(tmp, "reclab_replay.npz")
        reclab = run_reclab(args.reclab_python, args.steps, args.repeats, replay)
        print("semantics check:", check_semantics(replay))
    ours = {mode: time_recdyn(args.steps, args.repeats, mode) for mode in ("sequential", "after")}

    def med(xs: list[float]) -> float:
        return float(np.median(xs))

    rows = [("RecLab 0.1.2 topics-dynamic-v1", reclab)] + [
        (f"recdyn topics-dynamic ({mode})", ours[mode]) for mode in ("sequential", "after")]
    print(f"\n{N_USERS} users x {N_ITEMS} items, {N_INITIAL} offline ratings, {N_ONLINE} online users/step; "
          f"medians of {args.repeats} resets and {args.repeats * args.steps} steps; "
          f"numpy {np.__version__}, {os.cpu_count()} CPUs")
    print(f"{'':34s} {'reset':>10s} {'step':>10s} {'us/rating(reset)':>17s} {'us/rating(step)':>16s} "
          f"{'true_ratings':>13s}")
    for label, t in rows:
        print(f"{label:34s} {med(t['reset_s']):9.3f}s {med(t['step_s']) * 1e3:8.3f}ms "
              f"{med(t['reset_s']) / N_INITIAL * 1e6:17.3f} {med(t['step_s']) / N_ONLINE * 1e6:16.3f} "
              f"{med(t['dense_s']) * 1e3:11.2f}ms")
    for mode in ("sequential", "after"):
        t = ours[mode]
        print(f"speed-up per simulated rating ({mode}): reset x{med(reclab['reset_s']) / med(t['reset_s']):.0f}, "
              f"step x{med(reclab['step_s']) / med(t['step_s']):.0f}")


if __name__ == "__main__":
    main()
