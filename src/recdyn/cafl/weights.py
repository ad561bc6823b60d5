"""The CAFL estimator (thesis section 3.3): Theorem 2, Corollary 1 and the constants c_s.

Setting and notation (thesis 3.2-3.3)
-------------------------------------
``A_s`` is the binary U x I recommendation matrix of time step ``s`` (``A_s,ui = 1``: user u was
recommended, and rated, item i at step s), ``P(A_s,ui = 1 | Theta_{s-1})`` its probability
under the policy that was used at step s (a function of the model fitted on the data before s),
``t`` the current step. Each pair is recommended at most once (positivity violation), and the
log-likelihood of a pair, ``l_ui(Theta) = log P_Theta(R_ui | A_ui = 1)``, does not depend on
when it was observed (stationarity). Terms with ``A_s,ui = 0`` are constant in Theta (``R = 0``
iff ``A = 0`` under prob-MF) and are dropped, as in Corollary 1.

Theorem 2 (:func:`theorem2_estimate`, :func:`theorem2_weights`), for any ``c`` with
``sum_s c_s = t``::

    L_CAFL(Theta; c) = sum_s c_s [ sum_{(u,i): P(A_s,ui = a) = 0} sum_a Lunobs_s,u,i(a)
                                   + sum_{(u,i): P(A_s,ui = a) > 0} sum_a Lobs_s,u,i(a) ]
    Lobs_s,u,i(a)   = 1{A_s,ui = a} l / P(A_s,ui = a | Theta_{s-1})          (IPW)
    Lunobs_s,u,i(a) = sum_{r: P(A_r,ui = a) > 0} 1{A_r,ui = a} l_r,ui / sum_{r: ...} 1{A_r,ui = a}

is unbiased for ``t`` times the *uniform* risk ``sum_{u,i} E[l_ui]`` (every pair counted once,
whatever the policy): each step's bracket is unbiased for it (IPW for the pairs still
recommendable, the pair's own observation for the pairs already recommended). *Choice*: an
``Lunobs`` with no occurrence at all (0/0) is taken as 0; this never happens in the settings
below (a pair with probability 0 at step s was recommended exactly once before s).

Corollary 1 (:func:`corollary1_weights`): one user-item pair recommended per time step from a
pool of ``n`` pairs, never twice. Then a pair observed at step ``s`` with logged probability
``p = P(A_s,ui = 1 | Theta_{s-1})`` appears as ``c_s l / p`` in bracket s and as ``c_r l`` in every
later bracket r > s, so at time t its total weight is ``W = sum_{r=s+1}^t c_r + c_s / p``. With
``c_s = n (n - t) / ((n - s)(n - s + 1))`` (:func:`cafl_constants`; ``sum_s c_s = t`` by
telescoping ``1 / (n - s) - 1 / (n - s + 1)``), ``sum_{r>s} c_r = n (t - s) / (n - s)`` and::

    W = n / (n - s) * ((t - s) + (n - t) / (n - s + 1) / p),

the thesis' formula (derived here from Theorem 2 and checked by brute force in the tests). The
thesis writes the probability as ``P(A_s,ui = a | Theta_{t-1})``: it is the probability *at the
step s* the pair was recommended (the "IPW weight" of that step), as in the derivation and in the
CAFL authors' code, which computes it when the rating arrives. ``W / n`` is the weight ``v_m`` of
the RLURE estimator of Farquhar, Gal and Rainforth 2021 (Appendix B.4, ``N = n``, ``M = t``,
``m = s``), which the thesis says it coincides with.

What ``UI``, ``s`` and ``t`` are
--------------------------------
In the thesis ``UI`` is the size of the pool the single pair of each step is drawn from, i.e. the
number of pairs that can be recommended at the start: all U x I pairs (the CAFL authors' code
uses ``U * I - |test set|``: test pairs are never recommended), with one pair removed per step
("UI - s + 1 items out of the total UI items remain to have nonzero probability of being
recommended" at step s). ``s`` is the step at which the pair was observed (1-based) and ``t`` the
current step (the number of observations made so far). The constants make the *expected* weight
of every observation the same (``n``) when the policy is uniform over the remaining pool
(``p = 1 / (n - s + 1)`` gives ``W = n`` exactly), so ``W / n`` has mean 1.

Several recommendations per step (:func:`cafl_constants_general`, :func:`cafl_weights`)
----------------------------------------------------------------------------------------
With ``k_s`` pairs recommended at step s (e.g. one per online user) the same argument gives, for
pool sizes ``N_1 = n`` and ``N_{s+1} = N_s - k_s``, the constants with equal expected weight
``K`` under a uniform policy (inclusion probability ``k_s / N_s``)::

    K = t N_1 / (N_1 - N_{t+1}),   c_s = K N_{t+1} (1 / N_{s+1} - 1 / N_s),
    sum_{r>s} c_r = K (1 - N_{t+1} / N_{s+1}),

(``sum c_s = t``; ``k_s = 1`` gives back Corollary 1 with ``K = n``), and the weight of an
observation of step s with marginal inclusion probability ``p``::

    W = K [ (1 - N_{t+1} / N_{s+1}) + N_{t+1} (1 / N_{s+1} - 1 / N_s) / p ].

``p`` must be the probability of ``A_s,ui = 1`` given ``Theta_{s-1}`` only: when the users online
at a step are drawn uniformly (``m`` out of ``U``) independently of the model, it is
``m / U * q_u(i)`` with ``q_u`` the policy's distribution for user u if online (the CAFL authors
divide by U for their one online user per step). By default :func:`cafl_weights` returns the
normalised weights ``W / K`` (mean 1 under a uniform policy, Farquhar et al.'s normalisation and
the one the authors' ALS uses, ``1 + (N - M)/(N - m) (1/((N - m + 1) p) - 1)``): a global factor
that does not change the weighted likelihood's minimiser but keeps a fixed ridge penalty on the
same footing as the unweighted fits. Every weight is non-negative.
"""

from __future__ import annotations

import numpy as np


def cafl_constants(t: int, n: int) -> np.ndarray:
    """Corollary 1's constants ``c_s = n (n - t) / ((n - s)(n - s + 1))``, s = 1..t (sum t).

    Args:
        t: the current step (number of single-pair steps so far), ``0 <= t <= n``.
        n: the pool size at the start (the thesis' ``UI``).
    """
    t, n = int(t), int(n)
    if not 0 <= t <= n:
        raise ValueError(f"need 0 <= t <= n, got t={t}, n={n}")
    return cafl_constants_general(n - np.arange(t + 1))


def _check_remaining(remaining: np.ndarray) -> np.ndarray:
    rem = np.asarray(remaining, dtype=np.float64)
    if rem.ndim != 1 or rem.size < 1:
        raise ValueError("remaining must be a 1-d array N_1, ..., N_{t+1}")
    if np.any(np.diff(rem) > 0) or rem[-1] < 0:
        raise ValueError("remaining pool sizes must be non-increasing and non-negative")
    return rem


def _normaliser(rem: np.ndarray) -> float:
    """``K = t N_1 / (N_1 - N_{t+1})`` (the expected weight under a uniform policy)."""
    t = rem.size - 1
    observed = rem[0] - rem[-1]
    if observed <= 0:
        raise ValueError("no observation was made: the weights are undefined")
    return t * rem[0] / observed


def cafl_constants_general(remaining: np.ndarray) -> np.ndarray:
    """Constants ``c_1..c_t`` with equal expected weight when step s removes ``N_s - N_{s+1}``
    pairs (see the module docstring); ``remaining = (N_1, ..., N_{t+1})``. Sum: t."""
    rem = _check_remaining(remaining)
    if rem.size == 1:
        return np.zeros(0)
    k = _normaliser(rem)
    last = rem[-1]
    with np.errstate(divide="ignore", invalid="ignore"):
        inv = np.where(rem > 0, 1.0 / rem, 0.0)
    return k * last * (inv[1:] - inv[:-1])


def cafl_weights(probs: np.ndarray, steps: np.ndarray, remaining: np.ndarray, *,
                 normalize: bool = True) -> np.ndarray:
    """CAFL weights of observations at the current time ``t = len(remaining) - 1``.

    Args:
        probs: each observation's logged marginal probability ``P(A_s,ui = 1 | Theta_{s-1})``.
        steps: the 1-based step s of each observation (``1 <= s <= t``).
        remaining: pool sizes ``N_1, ..., N_{t+1}`` (``N_s``: pairs still recommendable at the
            start of step s).
        normalize: divide by ``K`` (mean-1 weights under a uniform policy; default) or return
            the thesis' ``W``.

    Returns:
        The weights ``W`` (or ``W / K``), one per observation.
    """
    rem = _check_remaining(remaining)
    p = np.asarray(probs, dtype=np.float64)
    s = np.asarray(steps, dtype=np.int64)
    if p.shape != s.shape:
        raise ValueError("probs and steps differ in shape")
    t = rem.size - 1
    if s.size == 0:
        return np.zeros(0)
    if s.min() < 1 or s.max() > t:
        raise ValueError(f"steps must be in [1, t={t}]")
    if np.any(~(p > 0)) or np.any(p > 1):
        raise ValueError("probabilities must be in (0, 1]")
    k = _normaliser(rem)
    last = rem[-1]
    n_s, n_next = rem[s - 1], rem[s]
    with np.errstate(divide="ignore", invalid="ignore"):
        tail = np.where(n_next > 0, 1.0 - last / n_next, 1.0)
        own = np.where(n_next > 0, last * (1.0 / n_next - 1.0 / n_s), 0.0)
    w = tail + own / p
    return w if normalize else k * w


def corollary1_weights(probs: np.ndarray, steps: np.ndarray, t: int, n: int, *,
                       normalize: bool = False) -> np.ndarray:
    """The thesis' Corollary 1 weights ``W = n/(n - s) ((t - s) + (n - t)/(n - s + 1)/p)``.

    Args:
        probs: ``P(A_s,ui = 1 | Theta_{s-1})`` of each observed pair, logged at step s.
        steps: the 1-based step ``s`` at which each pair was observed (``1 <= s <= t``).
        t: the current step. n: the pool size at the start (the thesis' ``UI``), ``t <= n``.
        normalize: return ``W / n`` (RLURE's ``v``, mean 1 under a uniform policy).
    """
    t, n = int(t), int(n)
    if not 0 <= t <= n:
        raise ValueError(f"need 0 <= t <= n, got t={t}, n={n}")
    p = np.asarray(probs, dtype=np.float64)
    s = np.asarray(steps, dtype=np.float64)
    if np.any(s < 1) or np.any(s > t) or np.any(s >= n):
        raise ValueError("need 1 <= s <= t and s < n")
    if np.any(~(p > 0)) or np.any(p > 1):
        raise ValueError("probabilities must be in (0, 1]")
    w = n / (n - s) * ((t - s) + (n - t) / (n - s + 1) / p)
    return w / n if normalize else w


# ---- Theorem 2 by brute force (dense (t, U, I) arrays; for small problems and tests) -----------
def _check_dense(probs: np.ndarray, recs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    p = np.asarray(probs, dtype=np.float64)
    a = np.asarray(recs).astype(bool)
    if p.shape != a.shape or p.ndim < 2:
        raise ValueError("probs and recs must have the same shape (t, ...)")
    if np.any(p < 0) or np.any(p > 1):
        raise ValueError("probabilities must be in [0, 1]")
    if np.any(a & (p == 0)):
        raise ValueError("a recommendation was made with probability 0")
    return p, a


def theorem2_estimate(probs: np.ndarray, recs: np.ndarray, loglik1: np.ndarray,
                      c: np.ndarray | None = None, loglik0: np.ndarray | None = None) -> float:
    """Literal evaluation of Theorem 2's ``L_CAFL(Theta; c)``.

    Args:
        probs: ``(t, U, I)`` (or ``(t, n)``) ``P(A_s,ui = 1 | Theta_{s-1})``.
        recs: the realised ``A_s`` (same shape, binary).
        loglik1: ``log P_Theta(R_s,ui | A_s,ui = 1)`` (same shape; only read where ``A = 1``).
        c: constants (length t, any values; Theorem 2 needs ``sum c = t``). None: all 1.
        loglik0: ``log P_Theta(R | A = 0)`` (default 0: prob-MF's ``R = 0`` given ``A = 0``).

    Both values ``a in {0, 1}`` are evaluated, each with its own positivity split, exactly as
    the theorem states; ``Lunobs`` with no occurrence is 0 (module docstring).
    """
    p1, a1 = _check_dense(probs, recs)
    t = p1.shape[0]
    c = np.ones(t) if c is None else np.asarray(c, dtype=np.float64)
    if c.shape != (t,):
        raise ValueError(f"c must have length t={t}")
    l1 = np.asarray(loglik1, dtype=np.float64)
    l0 = np.zeros_like(l1) if loglik0 is None else np.asarray(loglik0, dtype=np.float64)
    total = 0.0
    for value, prob, hit, ll in ((1, p1, a1, l1), (0, 1.0 - p1, ~a1, l0)):
        ll = np.where(hit, ll, 0.0)  # never read where A != value
        positive = prob > 0
        # Lunobs(a): the mean log-likelihood over the steps r where a was possible and happened
        num = np.sum(np.where(positive & hit, ll, 0.0), axis=0)
        den = np.sum(positive & hit, axis=0)
        unobs = np.divide(num, den, out=np.zeros_like(num), where=den > 0)
        for s in range(t):
            obs = np.divide(np.where(hit[s], ll[s], 0.0), prob[s], out=np.zeros_like(num), where=positive[s])
            total += c[s] * float(np.sum(np.where(positive[s], obs, unobs)))
    return total


def theorem2_weights(probs: np.ndarray, recs: np.ndarray, c: np.ndarray | None = None) -> np.ndarray:
    """The weight of each observation (``A_r,ui = 1``) in Theorem 2's estimator, so that
    ``theorem2_estimate(probs, recs, l, c) == sum(theorem2_weights(probs, recs, c) * l)`` for
    prob-MF (``a = 0`` terms 0): ``c_r / P_r,ui`` plus ``sum_{s: P_s,ui = 0} c_s`` shared equally by
    the pair's observations at steps with positive probability. Zero where ``A = 0``."""
    p, a = _check_dense(probs, recs)
    t = p.shape[0]
    c = np.ones(t) if c is None else np.asarray(c, dtype=np.float64)
    if c.shape != (t,):
        raise ValueError(f"c must have length t={t}")
    cb = c.reshape((t,) + (1,) * (p.ndim - 1))
    positive = p > 0
    ipw = np.divide(cb, p, out=np.zeros_like(p), where=positive) * a
    zero_mass = np.sum(np.where(positive, 0.0, cb), axis=0)
    count = np.sum(positive & a, axis=0)
    share = np.divide(zero_mass, count, out=np.zeros_like(zero_mass), where=count > 0)
    return ipw + a * positive * share
