"""Sweeps of thesis section 4.8 (Tables 4.1-4.4) as tidy result tables.

* Tuning (Tables 4.1, 4.3): single-stage, one learner kind at a time, every grid point x every
  seed advanced as one batch; selection by the average regret at the last round.
* Main runs (Tables 4.2, 4.4): one job per (arms, d) on synthetic data, resp. (arms, s) on Amazon,
  running every system x nominator count (x noise x misspecification); the same seed stream is
  used for every system of a configuration (common random numbers: same ``theta*``, arms and
  feature/pool allocations at the start).

Rows hold the cumulative regret, its nominator/ranker split and the uniformly random agent's
regret at the recorded rounds, per seed. ``nominators = 0`` marks single-stage systems.
Misspecification ``rho`` maps to ``s = max(1, floor(rho * d))``: the thesis' ``s = floor(d / rho)``
with ``rho <= 1`` would exceed ``d``, and its figures plot ``d/s`` in ``[1, 5]`` (our reading).
"""

from __future__ import annotations

import itertools
import logging
import zlib
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from recdyn.twostage.amazon import AmazonData
from recdyn.twostage.problems import AmazonProblem, SyntheticProblem
from recdyn.twostage.systems import Hyper, RunResult, parse_system, run_system

log = logging.getLogger(__name__)

PARAMS = {"ucb": ("lam", "alpha"), "greedy": ("lam",), "pg": ("lr",)}
KIND_LABEL = {"ucb": "UCB", "greedy": "Greedy", "pg": "PG"}
PARAM_LABEL = {"lam": "regularizer λ", "alpha": "exploration bonus α", "lr": "learning rate"}


def config_seed(base: int, *key: Any) -> np.random.SeedSequence:
    """Seed of one configuration: the preset's base seed and a stable hash of the key."""
    return np.random.SeedSequence([int(base), zlib.crc32(repr(key).encode())])


def s_from_rho(d: int, rho: float) -> int:
    """Nominator feature count for misspecification ``rho`` (see the module docstring)."""
    return max(1, int(np.floor(rho * d + 1e-9)))


def grid_points(kind: str, grid: Mapping[str, Sequence[float]]) -> pd.DataFrame:
    """All combinations of the grid of one learner kind, columns ``PARAMS[kind]``."""
    try:
        names = PARAMS[kind]
        values = [list(grid[name]) for name in names]
    except KeyError as err:
        raise KeyError(f"tuning grid for {kind!r} needs keys {PARAMS.get(kind)}; missing {err}") from None
    return pd.DataFrame(list(itertools.product(*values)), columns=list(names))


def _tidy(result: RunResult, meta: Mapping[str, Any], last_only: bool = False) -> pd.DataFrame:
    rounds = result.checkpoints[-1:] if last_only else result.checkpoints
    sl = slice(-1, None) if last_only else slice(None)
    n_cp, batch = result.regret[sl].shape
    frame = pd.DataFrame({
        "round": np.repeat(rounds, batch),
        "seed": np.tile(np.arange(batch), n_cp),
        "regret": result.regret[sl].ravel(),
        "nominator_regret": result.nominator[sl].ravel(),
        "ranker_regret": result.ranker[sl].ravel(),
        "random_regret": result.random[sl].ravel(),
    })
    for key, value in reversed(list(meta.items())):
        frame.insert(0, key, value)
    return frame


def run_tuning(make_problem: Callable[[], Any], kind: str, grid: Mapping[str, Sequence[float]], *,
               s: int, n_rounds: int, seeds: int, base_seed: int, key: Any) -> pd.DataFrame:
    """Single-stage runs of ``kind`` at every grid point (``seeds`` runs each), one batch."""
    points = grid_points(kind, grid)
    batch = len(points) * seeds
    per_run = {name: np.repeat(points[name].to_numpy(dtype=float), seeds) for name in PARAMS[kind]}
    system = {"ucb": "U", "greedy": "G", "pg": "PG"}[kind]
    result = run_system(make_problem(), system, n_rounds=n_rounds, batch=batch, s=s,
                        seed=config_seed(base_seed, "tune", key, kind), n_checkpoints=1,
                        per_run_hyper={kind: per_run})
    frame = _tidy(result, {"kind": kind}, last_only=True)
    frame["seed"] = np.tile(np.arange(seeds), len(points))
    for name in ("lam", "alpha", "lr"):
        frame[name] = per_run[name] if name in per_run else np.nan
    return frame


def select_hyper(tuning: pd.DataFrame) -> pd.DataFrame:
    """Per kind, the grid point with the lowest mean final regret (ties: first in grid order)."""
    rows = []
    for kind, group in tuning.groupby("kind", sort=False):
        names = list(PARAMS[kind])
        stats = group.groupby(names, sort=False)["regret"].agg(["mean", "std", "count"]).reset_index()
        best = stats.loc[stats["mean"].idxmin()]
        row = {"kind": kind, "lam": np.nan, "alpha": np.nan, "lr": np.nan}
        row.update({name: float(best[name]) for name in names})
        row.update(mean_regret=float(best["mean"]), se=float(best["std"] / np.sqrt(best["count"])))
        rows.append(row)
    return pd.DataFrame(rows)


def hyper_from_table(selected: pd.DataFrame) -> dict[str, Hyper]:
    """``{kind: Hyper}`` from a :func:`select_hyper` table (missing values keep the defaults)."""
    out = {}
    for row in selected.itertuples():
        values = {k: float(getattr(row, k)) for k in ("lam", "alpha", "lr") if not pd.isna(getattr(row, k))}
        out[row.kind] = Hyper(**values)
    missing = {"ucb", "greedy", "pg"} - set(out)
    if missing:
        raise ValueError(f"selected hyperparameters lack the kinds {sorted(missing)}")
    return out


def _systems_runs(make_problem: Callable[[], Any], systems: Sequence[str], nominators: Sequence[int], *,
                  n_arms: int, s: int, n_rounds: int, seeds: int, hyper: Mapping[str, Hyper], training: str,
                  seed: np.random.SeedSequence, n_checkpoints: int, meta: Mapping[str, Any]) -> list[pd.DataFrame]:
    frames = []
    for system in systems:
        two_stage = parse_system(system)[0] is not None
        for n in (nominators if two_stage else [0]):
            if two_stage and n > n_arms:
                continue  # "configurations with N > |A| were not evaluated"
            result = run_system(make_problem(), system, n_rounds=n_rounds, batch=seeds, s=s,
                                n_nominators=max(n, 1), hyper=dict(hyper), training=training,
                                seed=seed, n_checkpoints=n_checkpoints)
            frames.append(_tidy(result, {**meta, "system": system, "nominators": n}))
    return frames


def synthetic_job(cfg: Mapping[str, Any], *, arms: int, d: int, hyper: Mapping[str, Hyper], base_seed: int,
                  seeds: int, training: str, n_checkpoints: int) -> pd.DataFrame:
    """All systems x nominator counts x noise levels x misspecifications for one (arms, d)."""
    frames = []
    for noise in cfg["noise_std"]:
        for rho in cfg["misspecification"]:
            s = s_from_rho(d, rho)
            key = ("synthetic", arms, d, noise, s)
            log.info("synthetic arms=%d d=%d noise=%g s=%d", arms, d, noise, s)
            frames += _systems_runs(
                lambda: SyntheticProblem(arms, d, noise), cfg["systems"], cfg["nominators"], n_arms=arms, s=s,
                n_rounds=cfg["rounds"], seeds=seeds, hyper=hyper, training=training,
                seed=config_seed(base_seed, *key), n_checkpoints=n_checkpoints,
                meta={"dataset": "synthetic", "arms": arms, "d": d, "s": s, "rho": float(rho), "noise_std": float(noise)})
    return pd.concat(frames, ignore_index=True)


def amazon_job(cfg: Mapping[str, Any], data: AmazonData, *, arms: int, s: int, hyper: Mapping[str, Hyper],
               base_seed: int, seeds: int, training: str, n_checkpoints: int) -> pd.DataFrame:
    """All systems x nominator counts for one (arms, s) on AmazonCat (d fixed by the data)."""
    d = int(data.features.shape[1])
    if s > d:
        raise ValueError(f"ch4_twostage.amazon.s contains {s} > d = {d}")
    log.info("amazon arms=%d s=%d", arms, s)
    frames = _systems_runs(
        lambda: AmazonProblem(data, arms, cfg["target"]), cfg["systems"], cfg["nominators"], n_arms=arms, s=s,
        n_rounds=cfg["rounds"], seeds=seeds, hyper=hyper, training=training,
        seed=config_seed(base_seed, "amazon", arms, s), n_checkpoints=n_checkpoints,
        meta={"dataset": "amazon", "arms": arms, "d": d, "s": s, "rho": s / d, "noise_std": np.nan})
    return pd.concat(frames, ignore_index=True)


def final_round(table: pd.DataFrame) -> pd.DataFrame:
    """Rows of the last recorded round of each run, with ``relative_regret`` and ``d_over_s``."""
    last = table[table["round"] == table.groupby(["dataset", "arms", "d", "s", "noise_std", "system", "nominators"],
                                                 dropna=False)["round"].transform("max")]
    last = last.copy()
    last["relative_regret"] = last["regret"] / last["random_regret"]
    last["d_over_s"] = last["d"] / last["s"]
    return last.reset_index(drop=True)


__all__ = [
    "KIND_LABEL", "PARAMS", "PARAM_LABEL", "amazon_job", "config_seed", "final_round", "grid_points",
    "hyper_from_table", "run_tuning", "s_from_rho", "select_hyper", "synthetic_job",
]
