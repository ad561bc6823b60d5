"""Single- and two-stage systems (thesis sections 4.2, 4.3 and 4.8), batched over runs.

A system is named as in the thesis: ``U``, ``G``, ``PG`` (single-stage UCB, Greedy, policy
gradient) or ``[ranker]+[nominator]`` (``U+G`` is a UCB ranker with Greedy nominators).

* Single-stage: one learner over all arms, restricted to a random subset of ``s`` of the ``d``
  features ("The same restriction is applied to the single-stage systems for comparison").
* Two-stage: ``N`` nominators, nominator ``n`` restricted to its pool ``A_n`` and to its own ``s``
  features, each proposing one candidate; a ranker with all ``d`` features picks among the
  candidates ``C_t``; the ranker is always trained on ``(x_t, r_t)`` ("single-stage mode");
  nominators on every round (``training="all"``, the thesis' default) or only on rounds whose
  chosen arm is in their pool (``training="own"``, weights ``1{a_t in A_n}``).
* Regret (section 4.2): ``R_T = R^N_T + R^R_T`` with nominator regret ``f*_max - f*(a~_t)`` and
  ranker regret ``f*(a~_t) - f*(a_t)``, ``a~_t`` the best candidate (expected rewards, see
  :mod:`recdyn.twostage.problems`). The uniformly random agent's expected regret
  ``f*_max - mean_a f*`` is accumulated on the same rounds for the relative regret.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import numpy as np

from recdyn.twostage.policies import ABBREVIATIONS, LinearLearner
from recdyn.progress import Progress


class Problem(Protocol):
    dim: int
    n_arms: int

    def reset(self, rng: np.random.Generator, batch: int) -> None: ...
    def contexts(self, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]: ...
    def reward(self, rng: np.random.Generator, chosen: np.ndarray) -> np.ndarray: ...


def parse_system(name: str) -> tuple[str | None, str]:
    """``"U+G"`` -> ``("ucb", "greedy")`` (ranker, nominator); ``"U"`` -> ``(None, "ucb")``."""
    parts = name.split("+")
    try:
        kinds = [ABBREVIATIONS[p] for p in parts]
    except KeyError:
        raise ValueError(f"unknown system {name!r}: use U, G, PG or [ranker]+[nominator] like U+G") from None
    if len(kinds) == 1:
        return None, kinds[0]
    if len(kinds) == 2:
        return kinds[0], kinds[1]
    raise ValueError(f"unknown system {name!r}")


# ------------------------------------------------------------------------------- allocation
def pool_template(n_arms: int, n_nominators: int) -> tuple[np.ndarray, np.ndarray]:
    """Positions in a random arm permutation forming each pool (section 4.8): ``N`` pools of
    ``floor(|A|/N)`` consecutive arms, the remaining arms dealt one by one to the first
    nominators. Returns ``(positions (N, m_max) padded with 0, mask (N, m_max))``."""
    if not 1 <= n_nominators <= n_arms:
        raise ValueError(f"need 1 <= N <= |A|, got N={n_nominators}, |A|={n_arms}")
    q, rem = divmod(n_arms, n_nominators)
    m_max = q + (rem > 0)
    pos = np.zeros((n_nominators, m_max), dtype=np.int64)
    mask = np.zeros((n_nominators, m_max), dtype=bool)
    pos[:, :q] = np.arange(n_nominators)[:, None] * q + np.arange(q)[None, :]
    mask[:, :q] = True
    if rem:
        pos[:rem, q] = n_nominators * q + np.arange(rem)
        mask[:rem, q] = True
    return pos, mask


def allocate_pools(rng: np.random.Generator, batch: int, n_arms: int, n_nominators: int) -> tuple[np.ndarray, np.ndarray]:
    """Random pools for each run: arm ids ``(B, N, m_max)`` (padding 0) and mask (section 4.8)."""
    perm = np.argsort(rng.random((batch, n_arms)), axis=1)
    pos, mask = pool_template(n_arms, n_nominators)
    return perm[:, pos], np.broadcast_to(mask, (batch, *mask.shape)).copy()


def allocate_features(rng: np.random.Generator, batch: int, dim: int, s: int, n_groups: int) -> np.ndarray:
    """Feature subsets ``(B, N, s)`` (section 4.8): a random permutation divided into ``N`` sets of
    ``s' = min(s, floor(d/N))`` features; when ``s' < s`` each set is completed by ``s - s'``
    features drawn uniformly without replacement from the ``d - s'`` it does not hold yet."""
    if not 1 <= s <= dim:
        raise ValueError(f"need 1 <= s <= d, got s={s}, d={dim}")
    perm = np.argsort(rng.random((batch, dim)), axis=1)
    s1 = min(s, dim // n_groups)
    own = perm[:, : n_groups * s1].reshape(batch, n_groups, s1)
    if s1 == s:
        return own
    keys = rng.random((batch, n_groups, dim))
    np.put_along_axis(keys, own, np.inf, axis=2)
    extra = np.argsort(keys, axis=2)[:, :, : s - s1]
    return np.concatenate([own, extra], axis=2)


def pool_owner(pools: np.ndarray, mask: np.ndarray, n_arms: int) -> np.ndarray:
    """Nominator owning each arm, ``(B, |A|)``, from pools ``(B, N, m)`` and their mask."""
    batch, n_nom, m = pools.shape
    slots = np.where(mask, pools, n_arms).reshape(batch, -1)  # padding -> dump column n_arms
    owner = np.full((batch, n_arms + 1), -1, dtype=np.int64)
    np.put_along_axis(owner, slots, np.repeat(np.arange(n_nom), m)[None].repeat(batch, 0), axis=1)
    return owner[:, :n_arms]


# ------------------------------------------------------------------------------------ runs
@dataclass(frozen=True)
class Hyper:
    """Hyperparameters of one learner kind (``lam`` before the x-dimension scaling)."""

    lam: float = 1.0
    alpha: float = 1.0
    lr: float = 0.1


@dataclass
class RunResult:
    """Cumulative regrets at the ``checkpoints`` (rounds), each ``(n_checkpoints, B)``."""

    checkpoints: np.ndarray
    regret: np.ndarray
    nominator: np.ndarray
    ranker: np.ndarray
    random: np.ndarray


def _gather_rows(x: np.ndarray, idx: np.ndarray) -> np.ndarray:
    """``x[b, idx[b, ...]]`` for ``x`` ``(B, A, ...)``."""
    b = np.arange(x.shape[0]).reshape((-1,) + (1,) * (idx.ndim - 1))
    return x[b, idx]


def _nominator_view_index(shape: tuple[int, int, int], pools: np.ndarray, feats: np.ndarray) -> np.ndarray:
    """Flat indices into ``x`` of ``shape`` ``(B, A, d)`` such that ``x.ravel()[index]`` is
    ``_take_features(_gather_rows(x, pools), feats)``, i.e. ``x[b, pools[b, k, m], feats[b, k, j]]``
    ``(B, K, m, s)``: one gather a round instead of two with their index arrays rebuilt each time."""
    batch, n_arms, dim = shape
    rows = np.arange(batch)[:, None, None, None] * (n_arms * dim) + pools[..., None] * dim  # (B, K, m, 1)
    return rows + feats[:, :, None, :]


def _take_features(x: np.ndarray, feats: np.ndarray) -> np.ndarray:
    """``x`` ``(B, K, m, d)`` restricted to per-(run, component) features ``(B, K, s)``."""
    return np.take_along_axis(x, feats[:, :, None, :], axis=3)


def run_system(
    problem: Problem,
    system: str,
    *,
    n_rounds: int,
    batch: int,
    s: int,
    n_nominators: int = 1,
    hyper: dict[str, Hyper] | None = None,
    training: str = "all",
    seed: int | np.random.SeedSequence = 0,
    n_checkpoints: int = 20,
    per_run_hyper: dict[str, dict[str, np.ndarray]] | None = None,
) -> RunResult:
    """Run ``batch`` independent copies of ``system`` for ``n_rounds`` rounds.

    ``hyper`` maps a learner kind (``ucb``/``greedy``/``pg``) to its :class:`Hyper`;
    ``per_run_hyper`` overrides them per run (arrays of shape ``(batch,)``, e.g. a sweep over a
    grid in one batch). Single-stage systems ignore ``n_nominators``.
    """
    if training not in ("all", "own"):
        raise ValueError(f"training must be 'all' or 'own', got {training!r}")
    ranker_kind, nom_kind = parse_system(system)
    two_stage = ranker_kind is not None
    n_nom = n_nominators if two_stage else 1
    d, A = problem.dim, problem.n_arms
    hyper = hyper or {}
    per_run_hyper = per_run_hyper or {}

    def learner(kind: str, comps: int, dim: int) -> LinearLearner:
        h = hyper.get(kind, Hyper())
        over = per_run_hyper.get(kind, {})
        return LinearLearner(kind, batch, comps, dim, lam=over.get("lam", h.lam),
                             alpha=over.get("alpha", h.alpha), lr=over.get("lr", h.lr))

    rng = np.random.default_rng(seed)
    problem.reset(rng, batch)
    feats = allocate_features(rng, batch, d, s, n_nom)  # (B, N, s)
    if two_stage:
        pools, pmask = allocate_pools(rng, batch, A, n_nom)
    else:
        pools = np.broadcast_to(np.arange(A), (batch, 1, A)).copy()
        pmask = np.ones((batch, 1, A), dtype=bool)
    bidx = np.arange(batch)
    owner = pool_owner(pools, pmask, A)
    noms = learner(nom_kind, n_nom, s)
    rank = learner(ranker_kind, 1, d) if two_stage else None

    fixed = getattr(problem, "fixed_contexts", False)
    if fixed:  # arms and their features never change: gather once, keep UCB widths incrementally
        x0, _ = problem.contexts(rng)
        xp_fixed = _gather_rows(x0, pools)
        xn_fixed = _take_features(xp_fixed, feats)
        noms.fix_arms(xn_fixed)
    checkpoints = np.unique(np.linspace(0, n_rounds, n_checkpoints + 1).astype(int)[1:])
    out = {k: np.zeros((checkpoints.size, batch)) for k in ("regret", "nominator", "ranker", "random")}
    cum = {k: np.zeros(batch) for k in out}
    ci = 0
    view_index = None if fixed else _nominator_view_index((batch, A, d), pools, feats)
    progress = Progress(n_rounds, "bandit rounds")
    for t in range(1, n_rounds + 1):
        progress.step()
        x, f = problem.contexts(rng)
        fmax = f.max(axis=1)
        if fixed:
            xn = xn_fixed
        else:  # x[b, pools[b, k, m], feats[b, k, j]], (B, N, m, s)
            xn = np.take(x, view_index)
        j = noms.act(xn, pmask, rng)  # (B, N)
        cand = np.take_along_axis(pools, j[..., None], axis=2)[..., 0]  # (B, N)
        if two_stage:
            xc = _gather_rows(x, cand)  # (B, N, d)
            k = rank.act(xc[:, None], np.ones((batch, 1, n_nom), dtype=bool), rng)[:, 0]
            chosen = cand[bidx, k]
        else:
            chosen = cand[:, 0]
        r = problem.reward(rng, chosen)
        # regret split (section 4.2)
        fc = _gather_rows(f[..., None], cand)[..., 0]
        best_c = fc.max(axis=1)
        f_chosen = f[bidx, chosen]
        cum["nominator"] += fmax - best_c
        cum["ranker"] += best_c - f_chosen
        cum["regret"] += fmax - f_chosen
        cum["random"] += fmax - f.mean(axis=1)
        # updates
        x_chosen = x[bidx, chosen]  # (B, d)
        if two_stage:
            rank.update(x_chosen[:, None], r, x_set=xc[:, None], set_mask=np.ones((batch, 1, n_nom), dtype=bool))
        x_obs = np.take_along_axis(np.broadcast_to(x_chosen[:, None], (batch, n_nom, d)), feats, axis=2)
        in_pool = owner[bidx, chosen][:, None] == np.arange(n_nom)[None, :]  # (B, N)
        weight = in_pool.astype(np.float64) if training == "own" else None
        if noms.kind == "pg":
            x_set = np.concatenate([xn, x_obs[:, :, None, :]], axis=2)
            set_mask = np.concatenate([pmask, ~in_pool[..., None]], axis=2)
            noms.update(x_obs, r, weight, x_set=x_set, set_mask=set_mask)
        else:
            noms.update(x_obs, r, weight)
        if t == checkpoints[ci]:
            for key in out:
                out[key][ci] = cum[key]
            ci += 1
    return RunResult(checkpoints=checkpoints, **out)


__all__ = ["Hyper", "RunResult", "allocate_features", "allocate_pools", "parse_system", "pool_template", "run_system"]
