"""Hardmax (tau = 0) exposure games and the two mixed-equilibrium solvers of thesis section 5.6.

* :func:`hardmax_utilities`: ``u_i(s) = E_c[p_i(c)]`` with ``p_i(c)`` the hardmax limit of the softmax of
  section 5.1. Reading of ties: a consumer whose top score is shared by several producers is split evenly
  between them (the limit tau -> 0 of the softmax; this is what the proof of Lemma 8 uses,
  ``u_1(c_1, c_1) = 1/2``). Scores closer than ``atol`` count as tied.
* Discretized games (section 5.6): :func:`sphere_grid` (``k`` points per spherical coordinate, so
  ``m = k^(d-1)`` pure strategies: exponential in ``d``), :func:`payoff_matrix` and
  :func:`solve_discretized_game`, the linear program of the two-player constant-sum game solved with
  scipy's HiGHS. Reading: the thesis writes ``U x >= alpha 1`` with ``U_ij = u_1(s(i), s(j))``; for ``x``
  to be player 1's maximin strategy the constraint must bound player 1's utility against every pure
  reply ``j``, i.e. ``U^T x >= alpha 1`` with that ``U`` (the thesis' ``U`` is our transpose). In a
  symmetric constant-sum game the value is ``1/2`` and ``(x, x)`` is a mixed NE. The optimum is often
  not unique (Lemma 8's game has a polytope of equilibria); with ``spread=True`` a second LP picks,
  among the optimal ``x``, one of least maximal weight (our tie-break, not in the thesis).
* Finite support (section 5.6): :func:`lemma9_test`, the partition test of Lemma 9 for a finite mixed
  strategy against a discrete demand ``P_c``, and :func:`hitting_set_search`, the implicit hitting-set
  search (Chandrasekaran et al., section 2.1) for a mixed NE with at most ``m`` support points.

Both solvers are exponential: the grid has ``k^(d-1)`` points and the partition test enumerates up to
``(2m+1)^l`` cells (the thesis' ``3^(lm)`` partitions, merged by the score level of each consumer), each
checked by enumerating subsets of at most ``d`` of its ``2l + 2d`` constraints. Both refuse to run beyond
the bounds passed from the configuration (``max_strategies``, ``max_cells``).
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass, field

import numpy as np
from scipy.optimize import Bounds, LinearConstraint, linprog, milp

ATOL = 1e-9
TANGENT_TOL = 1e-9


def _weights(c: np.ndarray, weights: np.ndarray | None) -> np.ndarray:
    """Uniform ``1/l`` or the given demand weights normalised to sum one."""
    if weights is None:
        return np.full(len(c), 1.0 / len(c))
    w = np.asarray(weights, dtype=float)
    if w.shape != (len(c),) or (w < 0).any() or w.sum() <= 0:
        raise ValueError(f"weights must be {len(c)} non-negative numbers with a positive sum, got {w}")
    return w / w.sum()


def unit(v: np.ndarray) -> np.ndarray:
    """Rows scaled to unit l2 norm."""
    v = np.asarray(v, dtype=float)
    return v / np.linalg.norm(v, axis=-1, keepdims=True)


def circle_points(angles_deg: np.ndarray | list[float]) -> np.ndarray:
    """``phi(theta) = [cos theta, sin theta]`` for angles in degrees, shape ``(k, 2)``."""
    theta = np.deg2rad(np.asarray(angles_deg, dtype=float))
    return np.stack([np.cos(theta), np.sin(theta)], axis=-1)


def hardmax_utilities(
    s: np.ndarray, c: np.ndarray, weights: np.ndarray | None = None, atol: float = ATOL
) -> np.ndarray:
    """Hardmax exposure ``u_i(s)`` of every producer for profiles ``s`` of shape ``(..., n, d)``.

    ``c`` is ``(l, d)``; returns ``(..., n)``. Each consumer goes to the producer with the largest
    ``<c, s_i>``; ties (within ``atol``) are split evenly (see the module docstring).
    """
    s = np.asarray(s, dtype=float)
    c = np.asarray(c, dtype=float)
    w = _weights(c, weights)
    scores = s @ c.T  # (..., n, l)
    top = scores.max(axis=-2, keepdims=True)
    winners = scores >= top - atol
    share = winners / winners.sum(axis=-2, keepdims=True)
    return share @ w


def pairwise_utility(
    a: np.ndarray, b: np.ndarray, c: np.ndarray, weights: np.ndarray | None = None, atol: float = ATOL
) -> np.ndarray:
    """Two-player hardmax ``u_1(a_i, b_j)`` for all pairs, shape ``(len(a), len(b))``."""
    w = _weights(c, weights)
    sa = np.asarray(a, dtype=float) @ np.asarray(c, dtype=float).T  # (A, l)
    sb = np.asarray(b, dtype=float) @ np.asarray(c, dtype=float).T  # (B, l)
    diff = sa[:, None, :] - sb[None, :, :]
    win = (diff > atol).astype(float) + 0.5 * (np.abs(diff) <= atol)
    return win @ w


def sphere_grid(d: int, k: int, nonnegative: bool = False, max_strategies: int | None = None) -> np.ndarray:
    """Uniform grid of ``k`` points per spherical coordinate on ``S^{d-1}``: ``k^(d-1)`` rows of shape ``d``.

    Section 5.6: "a uniform grid of k points over each spherical coordinate ... m = k^(d-1)". The polar
    angles take ``k`` midpoints of ``[0, pi]`` (``[0, pi/2]`` if ``nonnegative``), the azimuth ``k`` points of
    ``[0, 2 pi)`` (``[0, pi/2]`` with both end points if ``nonnegative``). For ``d = 2`` this is ``k``
    equally spaced angles starting at 0. Raises if ``k^(d-1) > max_strategies``.
    """
    if d < 2 or k < 1:
        raise ValueError(f"sphere_grid needs d >= 2 and k >= 1, got d={d}, k={k}")
    m = k ** (d - 1)
    if max_strategies is not None and m > max_strategies:
        raise ValueError(f"grid of k^(d-1) = {k}^{d - 1} = {m} strategies exceeds max_strategies={max_strategies}")
    if nonnegative:
        azimuth = np.linspace(0.0, np.pi / 2, k)
        polar = (np.arange(k) + 0.5) * (np.pi / 2) / k
    else:
        azimuth = np.arange(k) * 2 * np.pi / k
        polar = (np.arange(k) + 0.5) * np.pi / k
    angles = np.meshgrid(*([polar] * (d - 2) + [azimuth]), indexing="ij")
    angles = np.stack([a.ravel() for a in angles], axis=-1)  # (m, d-1)
    points = np.ones((m, d))
    sin_prod = np.ones(m)
    for j in range(d - 1):
        points[:, j] = sin_prod * np.cos(angles[:, j])
        sin_prod = sin_prod * np.sin(angles[:, j])
    points[:, d - 1] = sin_prod
    # hyperspherical coordinates put the azimuth in the last two coordinates
    return points


def payoff_matrix(
    strategies: np.ndarray, c: np.ndarray, weights: np.ndarray | None = None, atol: float = ATOL
) -> np.ndarray:
    """``U_ij = u_1(s(i), s(j))`` of the discretized two-player hardmax game (section 5.6)."""
    return pairwise_utility(strategies, strategies, c, weights, atol)


@dataclass
class LPSolution:
    """Mixed NE ``(x, x)`` of a discretized symmetric constant-sum game."""

    x: np.ndarray  # (m,) probability vector over the grid
    value: float  # alpha: player 1's guaranteed utility (1/2 in exposure games)
    exploitability: float  # max_j u_2(x, s(j)) - 1/2 over the grid (0 at a NE, up to LP tolerance)
    status: str


def solve_discretized_game(U: np.ndarray, spread: bool = True, tol: float = 0.0, prune: float = 1e-7) -> LPSolution:
    """Linear program of section 5.6 for a mixed NE of the two-player constant-sum game with payoffs ``U``.

    maximize alpha s.t. ``U^T x >= alpha 1``, ``1^T x = 1``, ``x >= 0`` (see the module docstring for the
    transpose), with scipy's HiGHS. With ``spread`` a second LP minimises ``max_i x_i`` over the optimal
    face ``U^T x >= alpha* - tol`` (tie-break among the non-unique equilibria). Weights below ``prune``
    (solver residue) are dropped and the rest renormalised.
    """
    U = np.asarray(U, dtype=float)
    m = U.shape[0]
    if U.shape != (m, m):
        raise ValueError(f"payoff matrix must be square, got {U.shape}")
    # variables (x_1..x_m, alpha); minimise -alpha
    cost = np.zeros(m + 1)
    cost[-1] = -1.0
    A_ub = np.hstack([-U.T, np.ones((m, 1))])
    A_eq = np.hstack([np.ones((1, m)), np.zeros((1, 1))])
    bounds = [(0, None)] * m + [(None, None)]
    res = linprog(cost, A_ub=A_ub, b_ub=np.zeros(m), A_eq=A_eq, b_eq=[1.0], bounds=bounds, method="highs")
    if res.status != 0:
        raise RuntimeError(f"HiGHS failed on the discretized game: {res.message}")
    x, alpha = res.x[:m], float(res.x[-1])
    if spread:
        # variables (x, t); minimise t s.t. x_i <= t, U^T x >= alpha - tol
        cost2 = np.zeros(m + 1)
        cost2[-1] = 1.0
        A_ub2 = np.vstack([
            np.hstack([-U.T, np.zeros((m, 1))]),
            np.hstack([np.eye(m), -np.ones((m, 1))]),
        ])
        b_ub2 = np.concatenate([np.full(m, -(alpha - tol)), np.zeros(m)])
        res2 = linprog(cost2, A_ub=A_ub2, b_ub=b_ub2, A_eq=A_eq, b_eq=[1.0],
                       bounds=[(0, None)] * (m + 1), method="highs")
        if res2.status == 0:
            x = res2.x[:m]
    x = np.where(x > prune, x, 0.0)  # HiGHS leaves ~1e-9 residues on the optimal face
    x = x / x.sum()
    exploit = float((1.0 - U.T @ x).max() - 0.5)
    return LPSolution(x=x, value=alpha, exploitability=exploit, status=res.message)


# ---------------------------------------------------------------- Lemma 9: the partition test


@dataclass
class Lemma9Result:
    """Outcome of :func:`lemma9_test` for the symmetric profile ``(P, P)``."""

    is_equilibrium: bool
    best_reply_value: float  # sup_s E_{s1~P}[u_2(s1, s)] over the sphere (1/2 at a NE)
    witnesses: np.ndarray  # (K, d) one pure strategy per dominating cell (empty at a NE)
    witness_values: np.ndarray  # (K,) the opponent's utility E_{s1~P}[u_2(s1, w)] at each witness
    cells_checked: int


def _levels(thresholds: np.ndarray, atol: float) -> np.ndarray:
    """Sorted distinct thresholds (merged within ``atol``)."""
    t = np.sort(thresholds)
    keep = np.concatenate([[True], np.diff(t) > atol])
    return t[keep]


def _cell_sphere_point(
    A_eq: np.ndarray, b_eq: np.ndarray, G: np.ndarray, h: np.ndarray, atol: float
) -> np.ndarray | None:
    """A point of ``{s : A_eq s = b_eq, G s <= h, ||s|| = 1}`` or None if that set is empty.

    The polyhedron ``R = {A_eq s = b_eq, G s <= h}`` is convex, so it meets the sphere iff its least norm is
    at most 1 and its largest norm (within the box ``|s_i| <= 1``, valid on the sphere) is at least 1. The
    least norm is found exactly as the least-norm point of the best feasible face (projection of 0 onto the
    affine hull of every subset of at most ``d`` active constraints), the largest at the vertices (every
    subset of constraints fixing ``s``). Exponential in ``d`` and the number of constraints.
    """
    d = A_eq.shape[1] if A_eq.size else G.shape[1]
    if A_eq.size:
        # Tangency: if the equalities' affine subspace is at distance 1 from 0 it meets the sphere in a
        # single point; test that point directly (tolerances would otherwise admit a sqrt(atol) cap).
        p0, *_ = np.linalg.lstsq(A_eq, b_eq, rcond=None)
        if np.abs(A_eq @ p0 - b_eq).max() > atol:
            return None
        norm0 = float(np.linalg.norm(p0))
        if norm0 > 1 + TANGENT_TOL:
            return None
        if norm0 >= 1 - TANGENT_TOL:
            point = p0 / norm0
            return point if (G.size == 0 or (G @ point <= h + atol).all()) else None
    box_G = np.vstack([np.eye(d), -np.eye(d)])
    G_all = np.vstack([G, box_G])
    h_all = np.concatenate([h, np.ones(2 * d)])

    def feasible(points: np.ndarray) -> np.ndarray:
        ok = (points @ G_all.T <= h_all + atol).all(axis=1)
        if A_eq.size:
            ok &= (np.abs(points @ A_eq.T - b_eq) <= atol).all(axis=1)
        return ok

    def solve(rows: tuple[int, ...]) -> tuple[np.ndarray | None, int]:
        M = np.vstack([A_eq, G_all[list(rows)]]) if rows else A_eq
        r = np.concatenate([b_eq, h_all[list(rows)]]) if rows else b_eq
        if M.size == 0:
            return np.zeros(d), 0
        s, *_ = np.linalg.lstsq(M, r, rcond=None)
        if np.abs(M @ s - r).max() > atol:
            return None, 0
        return s, int(np.linalg.matrix_rank(M, tol=1e-10))

    candidates, vertices = [], []
    n_rows = len(G_all)
    for size in range(0, d + 1):
        for rows in itertools.combinations(range(n_rows), size):
            s, rank = solve(rows)
            if s is None:
                continue
            candidates.append(s)
            if rank == d:
                vertices.append(s)
    if not candidates:
        return None
    candidates = np.array(candidates)
    candidates = candidates[feasible(candidates)]
    if len(candidates) == 0:
        return None
    s_min = candidates[np.argmin(np.linalg.norm(candidates, axis=1))]
    if np.linalg.norm(s_min) > 1 + atol:
        return None
    vertices = np.array(vertices) if vertices else np.empty((0, d))
    vertices = vertices[feasible(vertices)] if len(vertices) else vertices
    if len(vertices) == 0:
        return None
    s_max = vertices[np.argmax(np.linalg.norm(vertices, axis=1))]
    if np.linalg.norm(s_max) < 1 - atol:
        return None
    if abs(np.linalg.norm(s_min) - 1) <= atol:
        return s_min / np.linalg.norm(s_min)
    # the segment from s_min (inside the ball) to s_max (outside) crosses the sphere inside R
    direction = s_max - s_min
    a, b, cc = direction @ direction, 2 * s_min @ direction, s_min @ s_min - 1
    t = (-b + math.sqrt(max(b * b - 4 * a * cc, 0.0))) / (2 * a) if a > 0 else 0.0
    point = s_min + min(max(t, 0.0), 1.0) * direction
    return point / np.linalg.norm(point)


def lemma9_test(
    support: np.ndarray,
    probs: np.ndarray,
    c: np.ndarray,
    weights: np.ndarray | None = None,
    max_cells: int = 100_000,
    margin: float = 1e-7,
    atol: float = ATOL,
    value_tol: float = 1e-6,
) -> Lemma9Result:
    """Lemma 9 partition test: is ``(P, P)`` with ``P = sum_i probs_i delta_{support_i}`` a mixed NE?

    By Lemma 9 it is iff no pure ``s`` on the sphere gives the opponent more than 1/2. The opponent's utility
    ``E_{s1~P}[u_2(s1, s)]`` depends on ``s`` only through how each score ``<s, c_k>`` compares with the
    thresholds ``<s(i), c_k>`` (section 5.6). We enumerate, per consumer, the distinct thresholds and the open
    intervals between them (``2r+1`` levels), i.e. all non-empty cells of the thesis' ``3^(lm)`` partition
    grouped by score level, evaluate the utility of every cell combinatorially, and check geometric
    feasibility (a point of the cell on the sphere, strict inequalities tightened by ``margin``) only for
    cells worth more than ``1/2 + value_tol``, in decreasing order of value (``value_tol`` absorbs the
    ~1e-9 errors of probabilities produced by an LP). Exponential in ``l``, ``m`` and ``d``; raises if
    there are more than ``max_cells`` cells.
    """
    support = np.atleast_2d(np.asarray(support, dtype=float))
    probs = np.asarray(probs, dtype=float)
    c = np.asarray(c, dtype=float)
    w = _weights(c, weights)
    if not np.allclose(np.linalg.norm(support, axis=1), 1.0, atol=1e-9):
        raise ValueError("lemma9_test: support points must lie on the unit sphere")
    if probs.shape != (len(support),) or (probs < -atol).any() or abs(probs.sum() - 1) > 1e-9:
        raise ValueError(f"lemma9_test: probs must be a probability vector over {len(support)} points")
    l, d = c.shape
    T = support @ c.T  # (m, l) thresholds t_ik = <s(i), c_k>
    levels = [_levels(T[:, k], atol) for k in range(l)]
    n_cells = math.prod(2 * len(lv) + 1 for lv in levels)
    if n_cells > max_cells:
        raise ValueError(f"lemma9_test: {n_cells} cells exceed max_cells={max_cells} (exponential in l and m)")
    # index of each threshold among the consumer's levels: equality level is 2*idx+1
    idx = np.stack([np.searchsorted(levels[k], T[:, k] - atol) for k in range(l)], axis=1)  # (m, l)
    combos = np.array(list(itertools.product(*[range(2 * len(lv) + 1) for lv in levels])))  # (N, l)
    eq_level = 2 * idx + 1  # (m, l)
    wins = (combos[:, None, :] > eq_level[None]).astype(float) + 0.5 * (combos[:, None, :] == eq_level[None])
    value = (wins @ w) @ probs  # (N,) opponent's utility in each cell
    order = np.argsort(-value, kind="stable")
    witnesses, witness_values = [], []
    best = None
    checked = 0
    for j in order:
        if value[j] <= 0.5 + value_tol and best is not None:
            break
        checked += 1
        point = _cell_point(combos[j], levels, c, margin, atol)
        if point is None:
            continue
        if best is None:
            best = float(value[j])
        if value[j] > 0.5 + value_tol:
            witnesses.append(point)
            witness_values.append(float(value[j]))
    if best is None:  # cannot happen for a non-empty sphere; keep the error explicit
        raise RuntimeError("lemma9_test found no feasible cell on the sphere")
    return Lemma9Result(
        is_equilibrium=not witnesses,
        best_reply_value=best,
        witnesses=np.array(witnesses).reshape(-1, d),
        witness_values=np.array(witness_values),
        cells_checked=checked,
    )


def _cell_point(combo: np.ndarray, levels: list[np.ndarray], c: np.ndarray, margin: float, atol: float):
    """A point on the sphere in the cell given by one score level per consumer, or None."""
    eq_rows, eq_rhs, G_rows, h = [], [], [], []
    for k, level in enumerate(combo):
        lv = levels[k]
        if level % 2 == 1:
            eq_rows.append(c[k])
            eq_rhs.append(lv[level // 2])
        else:
            j = level // 2
            if j > 0:  # z_k > lv[j-1]
                G_rows.append(-c[k])
                h.append(-(lv[j - 1] + margin))
            if j < len(lv):  # z_k < lv[j]
                G_rows.append(c[k])
                h.append(lv[j] - margin)
    d = c.shape[1]
    A_eq = np.array(eq_rows).reshape(-1, d)
    G = np.array(G_rows).reshape(-1, d)
    return _cell_sphere_point(A_eq, np.array(eq_rhs, dtype=float), G, np.array(h, dtype=float), atol=1e-8)


# ---------------------------------------------------------------- implicit hitting set


@dataclass
class HittingSetResult:
    """Outcome of :func:`hitting_set_search`."""

    found: bool
    support: np.ndarray  # (k, d) support points of the mixed strategy (k <= m)
    probs: np.ndarray  # (k,)
    iterations: int
    opponents: int  # number of pure strategies s whose sets F_s were accumulated
    history: list = field(default_factory=list)  # best-reply value of every proposed P


def hitting_set_search(
    c: np.ndarray,
    max_support: int,
    pool: np.ndarray,
    weights: np.ndarray | None = None,
    max_iter: int = 50,
    max_cells: int = 100_000,
    atol: float = ATOL,
) -> HittingSetResult:
    """Implicit hitting-set search (section 5.6; Chandrasekaran et al., section 2.1) for a mixed NE ``(P, P)``.

    Each pure ``s`` defines ``F_s = {P : sum_i pi_i u_1(s(i), s) >= 1/2}``; we look for one ``P`` with at most
    ``max_support`` points that hits every ``F_s``. Each round proposes a ``P`` hitting all sets found so far
    (a mixed-integer program over support points drawn from ``pool`` plus every witness found, with HiGHS),
    then queries the oracle :func:`lemma9_test`; its witnesses are the sets ``F_s`` not hit, added to the
    collection (and to the candidate support points). Stops when the oracle certifies ``P`` (found) or when
    no ``P`` over the current candidates hits all sets or ``max_iter`` rounds pass (not found; over the
    continuous sphere this is not a proof that none exists -- our reading of the thesis' "optimal hitting set
    of size > 1").
    """
    c = np.asarray(c, dtype=float)
    candidates = unit(np.asarray(pool, dtype=float))
    opponents = candidates.copy()
    history: list[float] = []
    for iteration in range(1, max_iter + 1):
        U = pairwise_utility(candidates, opponents, c, weights, atol)  # (K, J): u_1(candidate, opponent)
        K, J = U.shape
        # variables: pi (K), y (K) binary; sum pi = 1, pi <= y, sum y <= m, U^T pi >= 1/2
        A = np.vstack([
            np.hstack([U.T, np.zeros((J, K))]),
            np.hstack([np.ones((1, K)), np.zeros((1, K))]),
            np.hstack([np.eye(K), -np.eye(K)]),
            np.hstack([np.zeros((1, K)), np.ones((1, K))]),
        ])
        lo = np.concatenate([np.full(J, 0.5 - atol), [1.0], np.full(K, -np.inf), [-np.inf]])
        hi = np.concatenate([np.full(J, np.inf), [1.0], np.zeros(K), [max_support]])
        res = milp(
            c=np.concatenate([np.zeros(K), np.ones(K) * 1e-3]),  # prefer few support points
            constraints=LinearConstraint(A, lo, hi),
            integrality=np.concatenate([np.zeros(K), np.ones(K)]),
            bounds=Bounds(np.zeros(2 * K), np.ones(2 * K)),
        )
        if res.status != 0 or res.x is None:
            return HittingSetResult(False, np.empty((0, c.shape[1])), np.empty(0), iteration, J, history)
        pi = res.x[:K]
        keep = pi > 1e-7  # drop the solver's residues
        support, probs = candidates[keep], pi[keep] / pi[keep].sum()
        check = lemma9_test(support, probs, c, weights, max_cells=max_cells)
        history.append(check.best_reply_value)
        if check.is_equilibrium:
            return HittingSetResult(True, support, probs, iteration, J, history)
        opponents = np.vstack([opponents, check.witnesses])
        candidates = np.vstack([candidates, check.witnesses])
    return HittingSetResult(False, support, probs, max_iter, len(opponents), history)


# ---------------------------------------------------------------- best responses on a circle grid


def best_response_on_circle(
    grid: np.ndarray, others: np.ndarray, c: np.ndarray, weights: np.ndarray | None = None
) -> tuple[np.ndarray, float]:
    """Best reply of player 1 on a circle grid (``d = 2``) against the other producers ``others`` (n-1, 2).

    Hardmax utilities are piecewise constant, so the maximisers form arcs; we return the centre of the
    longest maximising arc (the most robust best reply; our tie-break) and its utility.
    """
    k = len(grid)
    profiles = np.concatenate([grid[:, None, :], np.broadcast_to(others, (k, *others.shape))], axis=1)
    u = hardmax_utilities(profiles, c, weights)[:, 0]
    best = u.max()
    mask = u >= best - ATOL
    if mask.all():
        return grid[0], float(best)
    start = int(np.argmin(mask))  # a non-maximiser: runs do not wrap past it
    rolled = np.roll(mask, -start)
    runs, run_start = [], None
    for i, flag in enumerate(np.append(rolled, False)):
        if flag and run_start is None:
            run_start = i
        elif not flag and run_start is not None:
            runs.append((i - run_start, run_start))
            run_start = None
    length, first = max(runs)
    centre = (start + first + (length - 1) // 2) % k
    return grid[centre], float(best)


def best_response_dynamics(
    grid: np.ndarray, s0: np.ndarray, c: np.ndarray, steps: int, weights: np.ndarray | None = None
) -> dict[str, np.ndarray]:
    """Alternating best responses of two players on a circle grid (Figure 5.2A).

    Starting from the profile ``s0`` (2, 2), player ``t mod 2`` best-responds at step ``t``. Returns the
    profiles (steps+1, 2, 2) and the mover's utility before and after each move.
    """
    profile = np.asarray(s0, dtype=float).copy()
    profiles, before, after = [profile.copy()], [], []
    for t in range(steps):
        i = t % 2
        others = profile[[1 - i]]
        before.append(hardmax_utilities(profile[None], c, weights)[0, i])
        profile[i], value = best_response_on_circle(grid, others, c, weights)
        after.append(value)
        profiles.append(profile.copy())
    return {"profiles": np.array(profiles), "before": np.array(before), "after": np.array(after)}


def max_deviation_gain(
    strategies: np.ndarray, c: np.ndarray, weights: np.ndarray | None = None, chunk: int = 2048
) -> np.ndarray:
    """For each pure ``s2`` in ``strategies``: ``max_{s1 in strategies} u_1(s1, s2)`` (two-player hardmax).

    A symmetric two-player profile can only be a PNE if the best reply to the opponent is worth 1/2; values
    above 1/2 for every ``s2`` of a grid rule out PNE on that grid (Theorem 3 (I), Proposition 3 d = 3).
    """
    out = np.empty(len(strategies))
    for start in range(0, len(strategies), chunk):
        block = strategies[start:start + chunk]
        out[start:start + chunk] = pairwise_utility(strategies, block, c, weights).max(axis=0)
    return out
