"""The experiments of thesis section 3.4 (Figures 3.2-3.4): Feedback, Uniform and CAFL learners
on a simulated environment, with RMSE, NDCG and homogenization (Jaccard) over time.

Sources: the thesis (section 3.4) is the specification; facts about how the thesis author ran it
come from the CAFL paper's public repository (Krauth, Wang, Jordan, "Breaking Feedback Loops in
Recommender Systems with Causal Inference", arXiv 2207.01616: ``experiment.py``, ``als.py``,
``metrics.py``, README) and from RecLab commit 3f5a8d7 (June 2022, "Allow recommender to exclude
specific items"), which set up the environments for it.

Protocol (one learner per :func:`run_cafl` call)
------------------------------------------------
1. ``env.reset(seed)``; its offline ratings (if any) are the initial data of every learner, with
   weight 1 (they are a uniform sample). The authors' environments start empty (RecLab
   ``ml-100k-v1`` and ``beta-rank-v1``: ``num_init_ratings=0``).
2. Test set: ``test_size`` user-item pairs drawn uniformly without replacement among the pairs
   not rated offline (thesis: 100,000 "randomly sampled user-item pairs"; the authors sample
   among all U x I pairs), fixed for the run and never recommended nor sampled ("User-item pairs
   in the test set can not be recommended during the run"). It depends only on the seed, so all
   learners of one seed share it (and the environment's hidden state and online-user sequence).
3. The model (weighted ALS, :mod:`recdyn.cafl.wals`) is fitted on the initial data: record
   ``step = 0``. Then ``steps`` rounds; in each, ``ratings_per_step`` ratings are collected
   (``ratings_per_step / env.n_online`` environment steps; the authors: 1000 ratings a round, one
   online user per environment step, 100 rounds), and the model is refitted on all the learner's
   data at the end of the round: record ``step = r``. Within a round the model is fixed (the
   authors' ``retrain`` flag).
4. Each environment step, every online user receives one item (or one slate) chosen among the
   user's *eligible* items: not in the test set, never rated by the user before (offline data
   included; each pair is recommended at most once, the positivity violation CAFL handles).

The learners
------------
* ``"feedback"``: items drawn by the policy (default epsilon-greedy with ``eps = 0.1``, the
  authors' ``ALS(eps=0.1)``) from the learner's own predictions; unweighted fit on its own data.
* ``"cafl"``: the same, fitted with the CAFL weights of every online rating
  (:func:`recdyn.cafl.weights.cafl_weights`, recomputed at each refit since they depend on t).
  Time steps of the estimator are environment steps; ``P(A_s,ui = 1 | Theta_{s-1}) =
  n_online / U * q_u(i)``: the environment draws the online users uniformly, independently of
  the model, and ``q_u(i)`` is the policy's probability of the item for that user, logged when it
  was recommended. The pool ``N_1`` is the number of eligible pairs at the start
  (``U * I - |test| - |offline|``; the authors: ``U * I - |test|``), minus the ratings collected
  so far. With one online user per environment step this is exactly Corollary 1 and the
  authors' weights ``1 + (N - M) / (N - m) * (1 / ((N - m + 1) p) - 1)``.
* ``"uniform"``: each online user rates an item drawn uniformly from their eligible items
  (thesis: "matrix factorization trained on uniformly sampled unrecommended items at each time
  step"; the authors drew the same number of pairs uniformly from all non-test pairs at once,
  which differs only in how the ratings spread over users); unweighted fit.

Never-rated items, clipping and ties (how the authors' code ranks; facts read from the CAFL
repository's ``als.py``/``metrics.py`` and RecLab 3f5a8d7 ``recommenders/recommender.py``)
-------------------------------------------------------------------------------------------------
* Items (and users) without ratings: the authors' ALS keeps them at a random ``N(0, 0.1^2)``
  factor (it skips rows without data), so such an item is predicted ``p_u . q_rand``, never an
  exact tie. Here: :func:`recdyn.cafl.wals.fit_wals` ``unobserved="random"`` (default of
  :data:`DEFAULT_WALS`); ``"zero"`` predicts them 0 (all tied). An earlier version of this module
  used ``"zero"``, so a learner's top-k over items it had no data on was decided by the random
  tie-break key alone.
* Clipping (``rank_clip``): the authors' ALS clips its dense predictions to ``[0, 1]``
  (``(user_factors @ item_factors.T).clip(0, 1)``) and both its epsilon-greedy policy
  (RecLab ``recommend`` reads ``_dense_predictions``) and ``metrics.jaccard``'s top-k rank those
  clipped values, although ml-100k-v1 and beta-rank-v1 rate on 1-5. Every item predicted at
  least 1 therefore ties at the top: the greedy step recommends uniformly among them (RecLab
  shuffles the candidates before ``argsort``: ties broken at random; :class:`EpsilonGreedy` gives
  every maximiser the same share of the greedy mass, so the logged probability is exact) and
  the top-k sets break those ties at random. ``rank_clip=(0, 1)`` reproduces this (presets'
  ``run.rank_clip``); the oracle ranks the unclipped true ratings (RecLab's ``PerfectRec``), and
  RMSE and NDCG use the unclipped scores (RMSE clipped to the rating range) as before. This is
  the authors' setting, read literally; ``rank_clip=None`` ranks the raw scores.
  Consequence (measured on the default preset, ml100k-v1, 30 rounds): with the clip, a top-k
  set is random among the test items predicted >= 1 and ordered by score only below 1, so the
  Jaccard index mainly tracks how many of a user's test items a learner still predicts below 1
  (little or no data) and tends to that of random sets (Uniform's line) as data accumulate;
  Feedback then stays above Uniform and CAFL below Feedback from round ~8 on (last round, 3
  seeds: CAFL -0.0045, Feedback -0.0044, Uniform -0.0050 relative to the oracle), the pattern of
  the thesis' Figure 3.4. Without the clip (one seed) the order of CAFL and Feedback reverses:
  CAFL +0.0025, Feedback -0.0027, Uniform -0.0023, because CAFL's weights put ~10x the mean
  weight on the exploration ratings (weight_max ~ 10) and its model ranks broadly liked items.
* Remaining exact ties (clipped scores, the oracle's integer beta-rank ratings) are broken by a
  random key per test pair (or per user-item pair for ``jaccard_items="eligible"``) drawn from
  the seed, shared by all learners: deterministic, and independent across users as the authors'
  ``argsort`` over a randomly ordered test list.

Slate environments (beta-rank)
------------------------------
The thesis and the authors recommend ONE item per online user (RecLab
``rec.recommend(online_users, 1)``), so beta-rank is meant to run with ``slate_size=1``: the user
then consumes the recommended item and the logged probability is exactly the policy's. With
``slate_size > 1`` (supported, not the thesis' setting) the policy draws a slate (see
:mod:`recdyn.cafl.policy`), the environment's user picks one item by their own hidden values,
and the probability logged for the consumed item is its probability of being *in the slate*
(Monte Carlo, ``n_mc`` slates); the probability of being *chosen* depends on the user's hidden
values and is not available to a recommender, so the CAFL weights are then an approximation.
The Uniform learner then shows uniformly random slates.

Non-monotone test RMSE over 100 rounds (paper preset)
-----------------------------------------------------
With the authors' ALS (k = 20, ``reg = 0.04`` not scaled by the number of ratings, no biases) the
test RMSE of a learner rises for a while once its data reach the model's number of parameters
(``k (U + I)``: 54,000 on beta-rank, 52,500 on ml100k-v1, i.e. rounds ~40-80 at 1000 ratings a
round) and falls again after: the weakly regularised least-squares "double descent". It is a
property of that model, not of the warm start (:data:`DEFAULT_WALS` ``warm_start``, our choice):
measured on beta-rank (seed 400) with uniformly sampled ratings and the authors' from-scratch
200-sweep refits, test RMSE was 0.674 at 20,000 ratings, 0.923-0.934 at 60,000-70,000 and 0.338
at 100,000 (the paper preset's Uniform learner, warm-started: 0.58 around round 30, 0.69 around
round 65, 0.323 at round 100). Uniform meets the threshold first, so in Figures 3.2 and 3.3 it
falls behind CAFL in mid-run on beta-rank (RMSE and NDCG) and comes level with it on ml100k-v1.
Only the last round enters the claims.

Metrics (per record; functions of the model fitted at that step)
----------------------------------------------------------------
* ``rmse``: RMSE on the test pairs of the predictions clipped to ``env.rating_range`` against
  the environment's noise-free expected ratings ``env.true_ratings()`` (the authors saved only
  ``env.dense_ratings`` as ground truth).
* ``ndcg``: :func:`recdyn.metrics.ndcg_at_k` over the test pairs (per user over the user's test
  items, ranked by the unclipped predicted score, gains the noise-free expected ratings, ideal
  order by them; mean over users), with ``k = ndcg_k``; default None = each user's whole list, as
  the authors' ``metrics.ndcg`` (``dcg`` over all of a user's test items).
* ``jaccard``: homogenization, the mean Jaccard similarity ``|R_u & R_v| / |R_u | R_v|`` over ALL
  pairs of distinct users (exact; the authors averaged 1000 random pairs), where ``R_u`` is the
  set of the ``jaccard_k`` (10) test items of user u with the highest predicted score at that
  step: a per-step (not cumulative) set, the authors' ``metrics.jaccard(dense_preds, test_set,
  k=10)``. The thesis' formula is over "users' recommended items" ``A_t``; with one item per step
  that matrix is too sparse, and top-k sets over the never-recommended test items are comparable
  across learners (Uniform recommends nothing) and over time. Ties in scores are broken by a
  random key per test pair drawn from the seed (shared by all learners; it matters for the
  oracle, whose integer beta-rank ratings tie often). Computed with a sparse user x item
  indicator ``B`` and ``B B^T``.
  ``jaccard_items="eligible"`` (*option*) takes the top-k among the items the learner could
  recommend to the user at that step (not in the test set, not yet rated): the items its greedy
  policy would recommend next, closer to the thesis' formula over recommended items.
* ``jaccard_oracle``: the same for the oracle recommender, whose scores are the true expected
  ratings (over the same candidate items); Figure 3.4 plots ``jaccard - jaccard_oracle``.
* ``n_ratings``: online ratings collected so far; ``mean_rating``: mean observed rating of the
  round; ``weight_mean``/``weight_max``: of the online ratings' weights in the fit (1 except
  for CAFL); ``fit_seconds``: wall time of the fit (the only non-deterministic column; the
  pipeline writes it to a ``.timing.`` file beside the runs, :mod:`recdyn.timing`).
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np
import pandas as pd
import scipy.sparse as sp

from recdyn.cafl.policy import UniformPolicy, make_policy
from recdyn.cafl.wals import WALSModel, fit_wals
from recdyn.cafl.weights import cafl_weights
from recdyn.metrics import ndcg_at_k, rmse
from recdyn.progress import Progress

LEARNERS = ("feedback", "uniform", "cafl")

#: Weighted-ALS defaults (:func:`recdyn.cafl.wals.fit_wals` arguments plus ``warm_start``).
DEFAULT_WALS: dict[str, Any] = dict(latent_dim=20, reg=0.04, n_iters=10, init_sd=0.1, center=False,
                                    reg_by_weight=False, unobserved="random", warm_start=True)
DEFAULT_POLICY = "epsilon-greedy"
DEFAULT_POLICY_PARAMS: dict[str, Any] = {"eps": 0.1}

RECORD_COLUMNS = ("seed", "learner", "step", "n_ratings", "rmse", "ndcg", "jaccard", "jaccard_oracle",
                  "mean_rating", "weight_mean", "weight_max", "fit_seconds")


def sample_test_pairs(n_users: int, n_items: int, size: int, rng: np.random.Generator,
                      exclude: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """``size`` distinct (user, item) pairs drawn uniformly without replacement among the pairs
    not in ``exclude`` (flat indices ``u * n_items + i``); returned sorted by flat index."""
    total = int(n_users) * int(n_items)
    excl = np.unique(np.asarray([] if exclude is None else exclude, dtype=np.int64))
    size = int(size)
    if not 0 <= size <= total - excl.size:
        raise ValueError(f"test_size={size} exceeds the {total - excl.size} available pairs")
    # Uniform draw from the complement: draw positions in 0..(total - |excl| - 1), then shift each
    # past the excluded indices below it.
    pos = np.sort(rng.choice(total - excl.size, size=size, replace=False))
    flat = pos + np.searchsorted(excl - np.arange(excl.size), pos, side="right")
    return flat // n_items, flat % n_items


def top_k_sets(users: np.ndarray, items: np.ndarray, scores: np.ndarray, tiebreak: np.ndarray,
               k: int, n_users: int, n_items: int) -> sp.csr_array:
    """Binary (n_users, n_items) matrix of each user's ``k`` highest-scored pairs among the given
    ones (ties: lower ``tiebreak`` first; users with fewer pairs keep them all)."""
    order = np.lexsort((tiebreak, -np.asarray(scores, dtype=np.float64), users))
    u_sorted = users[order]
    starts = np.flatnonzero(np.r_[True, u_sorted[1:] != u_sorted[:-1]])
    rank = np.arange(u_sorted.size) - np.repeat(starts, np.diff(np.r_[starts, u_sorted.size]))
    keep = order[rank < k]
    return sp.csr_array((np.ones(keep.size), (users[keep], items[keep])), shape=(n_users, n_items))


def top_k_dense_sets(scores: np.ndarray, eligible: np.ndarray, tiebreak: np.ndarray, k: int) -> sp.csr_array:
    """Binary matrix of each row's ``k`` highest-scored eligible columns of a dense ``scores``
    (ties: lower ``tiebreak`` first; rows with fewer eligible columns keep them all)."""
    n_rows, n_cols = scores.shape
    k = min(int(k), n_cols)
    masked = np.where(eligible, scores, -np.inf)
    kth = np.partition(masked, n_cols - k, axis=1)[:, n_cols - k][:, None]
    above = (masked > kth) & eligible
    equal = (masked == kth) & eligible
    need = np.clip(k - above.sum(axis=1), 0, k)
    key = np.where(equal, tiebreak, np.inf)
    smallest = np.sort(np.partition(key, k - 1, axis=1)[:, :k], axis=1)
    limit = np.where(need > 0, smallest[np.arange(n_rows), np.maximum(need - 1, 0)], -np.inf)[:, None]
    chosen = above | (equal & (key <= limit))
    rows, cols = np.nonzero(chosen)
    return sp.csr_array((np.ones(rows.size), (rows, cols)), shape=(n_rows, n_cols))


def mean_pairwise_jaccard(sets: sp.csr_array | sp.spmatrix) -> float:
    """Mean Jaccard similarity over all pairs of distinct rows of a binary matrix (pairs whose
    union is empty are left out; NaN if none)."""
    b = sp.csr_array(sets, dtype=np.float64)
    inter = (b @ b.T).toarray()
    size = np.asarray(b.sum(axis=1)).ravel()
    iu, ju = np.triu_indices(b.shape[0], 1)
    union = size[iu] + size[ju] - inter[iu, ju]
    valid = union > 0
    return float(np.mean(inter[iu, ju][valid] / union[valid])) if valid.any() else float("nan")


def _streams(seed: int) -> dict[str, np.random.Generator | int]:
    test, tie, policy, wals = np.random.SeedSequence([int(seed), 0xCAF1]).spawn(4)
    return {"test": np.random.default_rng(test), "tie": np.random.default_rng(tie),
            "policy": np.random.default_rng(policy), "wals": int(wals.generate_state(1)[0])}


def run_cafl(env: Any, *, learner: str, seed: int, steps: int, test_size: int,
             ratings_per_step: int | None = None, policy: str = DEFAULT_POLICY,
             policy_params: dict[str, Any] | None = None, wals_params: dict[str, Any] | None = None,
             jaccard_k: int = 10, jaccard_items: str = "test", ndcg_k: int | None = None,
             rank_clip: tuple[float, float] | list[float] | None = None,
             n_mc: int = 200, return_log: bool = False) -> pd.DataFrame | tuple[pd.DataFrame, pd.DataFrame]:
    """Run one learner of thesis section 3.4 on ``env`` (protocol in the module docstring).

    Args:
        env: a :class:`recdyn.envs.Environment` (e.g. ``make_env("ml-100k", model=...,
            online_users=1, initial_ratings=0)`` or ``make_env("beta-rank", n_users=1000,
            n_items=1700, online_users=1, initial_ratings=0, slate_size=1)``).
        learner: ``"feedback"``, ``"uniform"`` or ``"cafl"``.
        seed: seeds the environment (``env.reset(seed)``), the test set, tie-breaking, the policy
            and the ALS initialisation.
        steps: rounds (refits) after the initial fit.
        test_size: number of held-out test pairs (thesis: 100,000).
        ratings_per_step: ratings collected per round, a multiple of ``env.n_online`` (default:
            ``env.n_online``, one environment step per round; the authors: 1000).
        policy, policy_params: :func:`recdyn.cafl.policy.make_policy` arguments for Feedback and
            CAFL (default epsilon-greedy, ``eps = 0.1``).
        wals_params: overrides of :data:`DEFAULT_WALS` (``latent_dim``, ``reg``, ``n_iters``,
            ``init_sd``, ``center``, ``reg_by_weight``, ``unobserved``, ``dtype``, ``warm_start``).
        jaccard_k: size of the top-k sets of the Jaccard index (10).
        jaccard_items: where the top-k sets are taken: ``"test"`` (default, the authors': among
            the user's test items) or ``"eligible"`` (among the items the learner could
            recommend to the user now, i.e. what its greedy policy would recommend next; the
            oracle then ranks the same items by their true expected ratings).
        ndcg_k: NDCG cutoff (None: whole lists).
        rank_clip: ``(low, high)``: the learner's predicted scores are clipped to this range
            before the policy ranks them and before the Jaccard top-k sets are taken (ties then
            share the greedy mass / are broken by the random key); None (default): unclipped.
            The CAFL authors' ALS clips its dense predictions to ``(0, 1)`` on the 1-5
            environments (module docstring).
        n_mc: Monte Carlo slates for inclusion probabilities (slate environments only).
        return_log: also return the log of online ratings (round, env_step, user, item, rating,
            q = policy probability, prob = marginal probability used by CAFL).

    Returns:
        The tidy records (columns :data:`RECORD_COLUMNS`, one row per step 0..steps), and the
        log if ``return_log``.
    """
    if learner not in LEARNERS:
        raise ValueError(f"unknown learner {learner!r}; expected one of {LEARNERS}")
    steps, test_size, jaccard_k = int(steps), int(test_size), int(jaccard_k)
    if steps < 0 or jaccard_k < 1:
        raise ValueError("steps must be >= 0 and jaccard_k >= 1")
    if jaccard_items not in ("test", "eligible"):
        raise ValueError(f"jaccard_items must be 'test' or 'eligible', got {jaccard_items!r}")
    if rank_clip is not None:
        rank_clip = (float(rank_clip[0]), float(rank_clip[1]))
        if not rank_clip[0] < rank_clip[1]:
            raise ValueError(f"rank_clip must be (low, high) with low < high, got {rank_clip}")

    def ranked(scores: np.ndarray) -> np.ndarray:
        return scores if rank_clip is None else np.clip(scores, *rank_clip)

    n_online = int(env.n_online)
    ratings_per_step = n_online if ratings_per_step is None else int(ratings_per_step)
    if ratings_per_step < 1 or ratings_per_step % n_online:
        raise ValueError(f"ratings_per_step={ratings_per_step} must be a positive multiple of the "
                         f"{n_online} online users per environment step")
    env_steps_per_round = ratings_per_step // n_online
    wals = {**DEFAULT_WALS, **(wals_params or {})}
    warm_start = bool(wals.pop("warm_start"))
    if "dtype" in wals and isinstance(wals["dtype"], str):
        wals["dtype"] = np.dtype(wals["dtype"]).type
    pol = UniformPolicy() if learner == "uniform" else make_policy(
        policy, **(DEFAULT_POLICY_PARAMS if policy_params is None and policy == DEFAULT_POLICY
                   else (policy_params or {})))
    streams = _streams(seed)

    offline = env.reset(seed)
    n_users, n_items = int(env.n_users), int(env.n_items)
    low, high = env.rating_range
    blocked = np.zeros((n_users, n_items), dtype=bool)
    blocked[offline.users, offline.items] = True
    test_u, test_i = sample_test_pairs(n_users, n_items, test_size, streams["test"],
                                       exclude=offline.users * n_items + offline.items)
    tiebreak = streams["tie"].random(test_u.size)
    dense_tiebreak = streams["tie"].random((n_users, n_items)) if jaccard_items == "eligible" else None
    blocked[test_u, test_i] = True
    pool = [int(n_users * n_items - np.count_nonzero(blocked))]  # N_1, N_2, ...
    p_online = n_online / n_users
    ndcg_cut = ndcg_k if ndcg_k is not None else int(np.bincount(test_u).max()) if test_u.size else 1

    # Data: offline part (weight 1) then online ratings with their step and probabilities.
    off_u, off_i, off_r = offline.users, offline.items, offline.ratings
    log: dict[str, list[np.ndarray]] = {k: [] for k in ("round", "env_step", "user", "item", "rating",
                                                        "q", "prob")}
    records: list[dict[str, Any]] = []
    model: WALSModel | None = None

    def fit(round_: int) -> tuple[float, float, float]:
        nonlocal model
        cat = {k: np.concatenate(v) if v else np.zeros(0) for k, v in log.items()}
        for key, parts in log.items():  # one array from now on: each round concatenates only its own steps
            parts[:] = [cat[key]] if parts else []
        w_online = np.ones(cat["user"].size)
        if learner == "cafl" and cat["user"].size:
            w_online = cafl_weights(cat["prob"], cat["env_step"].astype(np.int64), np.asarray(pool))
        users = np.concatenate([off_u, cat["user"].astype(np.int64)])
        items = np.concatenate([off_i, cat["item"].astype(np.int64)])
        ratings = np.concatenate([off_r, cat["rating"]])
        weights = np.concatenate([np.ones(off_u.size), w_online])
        start = time.perf_counter()
        model = fit_wals(users, items, ratings, weights, n_users=n_users, n_items=n_items,
                         seed=streams["wals"] + round_, init=model if warm_start else None, **wals)
        seconds = time.perf_counter() - start
        if w_online.size:
            return float(w_online.mean()), float(w_online.max()), seconds
        return float("nan"), float("nan"), seconds

    def record(round_: int, fit_stats: tuple[float, float, float], mean_rating: float) -> None:
        assert model is not None
        true = env.true_ratings()
        true_test = true[test_u, test_i]
        pred = model.predict(test_u, test_i)
        n_rated = int(sum(v.size for v in log["user"]))
        if jaccard_items == "test":
            sets = top_k_sets(test_u, test_i, ranked(pred), tiebreak, jaccard_k, n_users, n_items)
            oracle_sets = top_k_sets(test_u, test_i, true_test, tiebreak, jaccard_k, n_users, n_items)
        else:
            sets = top_k_dense_sets(ranked(model.scores()), ~blocked, dense_tiebreak, jaccard_k)
            oracle_sets = top_k_dense_sets(true, ~blocked, dense_tiebreak, jaccard_k)
        records.append({
            "seed": int(seed), "learner": learner, "step": round_, "n_ratings": n_rated,
            "rmse": rmse(np.clip(pred, low, high), true_test),
            "ndcg": ndcg_at_k(test_u, test_i, true_test, pred, k=ndcg_cut) if test_u.size else float("nan"),
            "jaccard": mean_pairwise_jaccard(sets),
            "jaccard_oracle": mean_pairwise_jaccard(oracle_sets),
            "mean_rating": mean_rating, "weight_mean": fit_stats[0], "weight_max": fit_stats[1],
            "fit_seconds": fit_stats[2],
        })

    record(0, fit(0), float("nan"))
    env_step = 0
    slate = int(env.slate_size)
    progress = Progress(steps, f"{learner} seed {seed} (rounds)")
    for round_ in range(1, steps + 1):
        round_ratings = []
        for _ in range(env_steps_per_round):
            online = env.online_users()
            eligible = ~blocked[online]
            scores = np.zeros(eligible.shape) if learner == "uniform" else ranked(model.scores(online))
            recs, q = pol.sample(scores, eligible, streams["policy"], size=slate, n_mc=n_mc)
            if slate == 1:
                result = env.step(recs[:, 0])
                q_consumed = q[:, 0]
            else:
                result = env.step(recs, scores=np.take_along_axis(scores, recs, axis=1))
                where = np.argmax(recs == np.asarray(result.items)[:, None], axis=1)
                q_consumed = q[np.arange(recs.shape[0]), where]
            env_step += 1
            users = np.asarray(result.users, dtype=np.int64)
            items = np.asarray(result.items, dtype=np.int64)
            if blocked[users, items].any():  # cannot happen: only eligible items are shown
                raise RuntimeError("a blocked pair was consumed")
            blocked[users, items] = True
            pool.append(pool[-1] - users.size)
            for key, value in (("round", np.full(users.size, round_)), ("env_step", np.full(users.size, env_step)),
                               ("user", users), ("item", items), ("rating", np.asarray(result.ratings, float)),
                               ("q", q_consumed), ("prob", q_consumed * p_online)):
                log[key].append(value)
            round_ratings.append(np.asarray(result.ratings, dtype=np.float64))
        record(round_, fit(round_), float(np.mean(np.concatenate(round_ratings))))
        progress.step()

    frame = pd.DataFrame.from_records(records, columns=list(RECORD_COLUMNS))
    if not return_log:
        return frame
    cat = {k: np.concatenate(v) if v else np.zeros(0) for k, v in log.items()}
    log_frame = pd.DataFrame({"round": cat["round"].astype(np.int64), "env_step": cat["env_step"].astype(np.int64),
                              "user": cat["user"].astype(np.int64), "item": cat["item"].astype(np.int64),
                              "rating": cat["rating"], "q": cat["q"], "prob": cat["prob"]})
    return frame, log_frame
