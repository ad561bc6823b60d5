"""Proposition 2 (thesis section 4.3, proof parts I and II; Lemmas 4-5 of section 4.7) as checks.

* Supervised part (I): the population ridge limits ``theta*_n = E[w x x^T]^-1 E[w x r]`` of the
  second nominator under 'training-on-all' (``w = 1``) and 'training-on-own' (``w = 1{a in A_n}``),
  arms uniform (Lemma 4), and which arm of its pool each limit nominates. In the first
  construction only 'training-on-own' finds the best arm of the pool, in the second only
  'training-on-all'.
* Bandit part (II): contexts ``X^(j)`` (only row ``j`` of ``X`` non-zero) drawn uniformly, mean
  rewards ``X^(j) theta*``, Bernoulli rewards (so ``r in [0, 1]`` a.s. with zero-mean noise),
  Greedy ridge nominators on the last two columns, a LinUCB ranker on all columns. With a third
  nominator ``A_3 = {a(2)}`` 'training-on-own' has vanishing and 'training-on-all' linear regret;
  with ``A_3 = {a(4)}`` the reverse. :func:`bandit_check` simulates this, batched over seeds.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from recdyn.twostage.policies import LinearLearner

# proof part (I), first construction: A_1 = {a1}, A_2 = {a2, a3}
X_SUP1 = np.array([[1.0, 0, -1], [0, 1, 0], [0, 0, 1]])
R_SUP1 = np.array([1 / 4, 1 / 2, 1.0])
# proof part (I), second construction and part (II): A_1 = {a1}, A_2 = {a2, a3, a4}
X4 = np.array([[1.0, 0, 0, -1], [0, 1, 0, -1], [0, 0, 1, 0], [0, 0, 0, 1]])
R_SUP2 = np.array([3 / 4, 1.0, 1 / 6, 7 / 8])
R_BANDIT = np.array([3 / 4, 7 / 8, 1 / 6, 1.0])
NOMINATOR_COLUMNS = (-2, -1)


def population_limit(X: np.ndarray, r: np.ndarray, pool: list[int], training: str,
                     columns: tuple[int, ...] = NOMINATOR_COLUMNS, arm_weights: np.ndarray | None = None) -> np.ndarray:
    """``theta*_n`` of a nominator restricted to ``columns``: weighted least squares over arms
    (uniform, or ``arm_weights``) with weights ``1`` ('all') or ``1{a in pool}`` ('own')."""
    if training not in ("all", "own"):
        raise ValueError(f"training must be 'all' or 'own', got {training!r}")
    xs = X[:, list(columns)]
    p = np.full(len(r), 1.0 / len(r)) if arm_weights is None else np.asarray(arm_weights, dtype=float)
    w = p * (np.isin(np.arange(len(r)), pool) if training == "own" else 1.0)
    return np.linalg.solve((xs * w[:, None]).T @ xs, xs.T @ (w * r))


def nominated(X: np.ndarray, theta_n: np.ndarray, pool: list[int], columns: tuple[int, ...] = NOMINATOR_COLUMNS) -> int:
    """The arm of ``pool`` with the largest ``<theta_n, x_{n,a}>`` (ties: lowest index)."""
    scores = X[pool][:, list(columns)] @ theta_n
    return int(pool[int(np.argmax(scores))])


def supervised_check() -> pd.DataFrame:
    """Part (I): limits and nominations of nominator 2 in both constructions and both modes."""
    rows = []
    for name, X, r, pool in (("I-a", X_SUP1, R_SUP1, [1, 2]), ("I-b", X4, R_SUP2, [1, 2, 3])):
        best = int(pool[int(np.argmax(r[pool]))])
        for training in ("all", "own"):
            theta = population_limit(X, r, pool, training)
            pick = nominated(X, theta, pool)
            rows.append({"construction": name, "training": training, "theta_1": theta[0], "theta_2": theta[1],
                         "nominated": pick + 1, "best_in_pool": best + 1, "correct": pick == best})
    return pd.DataFrame(rows)


def bandit_limits() -> dict[str, np.ndarray]:
    """Part (II): ``theta*_2`` under optimal play (``a_t = a*_t``, so arms uniform) per mode."""
    pool = [1, 2, 3]
    return {mode: population_limit(X4, R_BANDIT, pool, mode) for mode in ("all", "own")}


@dataclass(frozen=True)
class BanditOutcome:
    third_pool: int
    training: str
    mean_regret_tail: np.ndarray  # (B,) average instantaneous regret over the last quarter
    nominator_tail: np.ndarray
    theta2: np.ndarray  # (B, 2) final estimate of nominator 2


def simulate_bandit(third_pool: int, training: str, *, n_rounds: int, batch: int, seed: int,
                    lam: float = 1e-3, alpha: float = 1.0, warm_rounds: int = 0,
                    noise: str = "bernoulli") -> BanditOutcome:
    """Part (II) simulated: pools ``{a1}``, ``{a2, a3, a4}``, ``{a_third}`` (0-based index).

    The first ``warm_rounds`` rounds play the optimal arm ``a*_t`` (every component is updated as
    usual), i.e. start the learners at the optimal-play limits the proof's contradiction argument
    uses; the proof does not say how the succeeding mode escapes a bad start, and from a cold start
    Greedy nominators can lock in (we report both). ``noise``: ``bernoulli`` rewards, or ``none``
    (rewards equal their means; the proof allows any zero-mean noise keeping r in [0, 1])."""
    if noise not in ("bernoulli", "none"):
        raise ValueError(f"noise must be 'bernoulli' or 'none', got {noise!r}")
    rng = np.random.default_rng(seed)
    theta_star = np.linalg.solve(X4, R_BANDIT)
    pools = [[0], [1, 2, 3], [third_pool]]
    m = max(len(p) for p in pools)
    pool_arr = np.array([p + [p[0]] * (m - len(p)) for p in pools])  # (N, m)
    pmask = np.array([[i < len(p) for i in range(m)] for p in pools])
    n_nom, bidx = len(pools), np.arange(batch)
    noms = LinearLearner("greedy", batch, n_nom, 2, lam=lam)
    ranker = LinearLearner("ucb", batch, 1, 4, lam=lam, alpha=alpha)
    in_pool = np.zeros((n_nom, 4), dtype=bool)
    for n, p in enumerate(pools):
        in_pool[n, p] = True
    regret = np.zeros((n_rounds, batch))
    nom_regret = np.zeros((n_rounds, batch))
    mask_b = np.broadcast_to(pmask, (batch, n_nom, m))
    for t in range(n_rounds):
        j = rng.integers(0, 4, batch)
        x = np.zeros((batch, 4, 4))
        x[bidx, j] = X4[j]
        f = x @ theta_star  # (B, 4): r_j at arm j, 0 elsewhere
        xn = x[:, pool_arr][..., -2:]  # (B, N, m, 2)
        pick = noms.act(xn, mask_b, rng)
        cand = pool_arr[np.arange(n_nom)[None], pick]  # (B, N)
        xc = x[bidx[:, None], cand]  # (B, N, 4)
        k = ranker.act(xc[:, None], np.ones((batch, 1, n_nom), bool), rng)[:, 0]
        chosen = cand[bidx, k] if t >= warm_rounds else j
        r = f[bidx, chosen] if noise == "none" else (rng.random(batch) < f[bidx, chosen]).astype(float)
        best_c = np.take_along_axis(f, cand, axis=1).max(axis=1)
        regret[t] = f.max(axis=1) - f[bidx, chosen]
        nom_regret[t] = f.max(axis=1) - best_c
        ranker.update(x[bidx, chosen][:, None], r)
        obs = np.broadcast_to(x[bidx, chosen][:, None, -2:], (batch, n_nom, 2))
        w = in_pool[:, chosen].T.astype(float) if training == "own" else None
        noms.update(obs, r, w)
    tail = slice(3 * n_rounds // 4, n_rounds)
    return BanditOutcome(third_pool, training, regret[tail].mean(axis=0), nom_regret[tail].mean(axis=0),
                         noms.theta[:, 1].copy())


def bandit_check(*, n_rounds: int, batch: int, seed: int, warm_rounds: int, noise: str = "none",
                 lam: float = 1e-3, alpha: float = 1.0) -> pd.DataFrame:
    """Part (II) for both third pools, both training modes, cold and warm start (``warm_rounds``
    rounds of optimal play first), one row per combination."""
    rows = []
    limits = bandit_limits()
    for third, expect_linear in ((1, "all"), (3, "own")):
        for mode in ("all", "own"):
            for start, warm in (("cold", 0), ("warm", warm_rounds)):
                out = simulate_bandit(third, mode, n_rounds=n_rounds, batch=batch, seed=seed, warm_rounds=warm,
                                      noise=noise, lam=lam, alpha=alpha)
                rows.append({
                    "third_pool": f"a{third + 1}", "training": mode, "start": start,
                    "tail_regret_mean": float(out.mean_regret_tail.mean()),
                    "tail_regret_se": float(out.mean_regret_tail.std(ddof=1) / np.sqrt(batch)) if batch > 1 else np.nan,
                    "tail_nominator_regret": float(out.nominator_tail.mean()),
                    "theta2_2_mean": float(out.theta2[:, 1].mean()),
                    "theta2_2_limit": float(limits[mode][1]),
                    "expected": "linear" if mode == expect_linear else "vanishing",
                })
    return pd.DataFrame(rows)


__all__ = ["bandit_check", "bandit_limits", "nominated", "population_limit", "simulate_bandit", "supervised_check"]
