"""Noise-aware comparisons for claims (issue 22, item 3).

A claim that compares two methods compares them across the preset's seeds or repetitions: the mean
difference with a Student-t interval (paired where the runs share seeds, e.g. every chapter 2
recommender of trial t starts from seed + t; Welch otherwise), and whether that interval excludes
zero, i.e. whether the gap is *resolved* at this number of repetitions. Verdict rules:

- "A is better than B": the mean difference points the thesis' way; where the thesis says
  "significantly", the interval must also exclude zero;
- "A is not significantly worse than B" (used where the thesis' own gap lies inside its own error
  bars): fails only when the interval lies entirely on the wrong side of zero.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy import stats

from recdyn.sim.analysis import t_interval

LEVEL = 0.95


@dataclass(frozen=True)
class Comparison:
    """``a - b`` across repetitions: mean, interval bounds, number of repetitions, pairing."""

    diff: float
    low: float
    high: float
    n: int
    paired: bool
    level: float = LEVEL

    @property
    def resolved(self) -> bool:
        """The interval excludes zero (NaN bounds, e.g. a single repetition: not resolved)."""
        return bool(np.isfinite(self.low) and np.isfinite(self.high) and (self.low > 0 or self.high < 0))

    def text(self, digits: int = 4) -> str:
        """'+0.0123 [+0.0040, +0.0206], paired n=3, resolved'."""
        f = f"{{:+.{digits}f}}"
        interval = f"[{f.format(self.low)}, {f.format(self.high)}]" if np.isfinite(self.low) else "[no interval]"
        return (f"{f.format(self.diff)} {interval} ({100 * self.level:.0f}%, {'paired' if self.paired else 'Welch'} "
                f"n={self.n}), {'resolved' if self.resolved else 'not resolved'}")


def compare(a: Sequence[float] | np.ndarray, b: Sequence[float] | np.ndarray, *, paired: bool,
            level: float = LEVEL) -> Comparison:
    """Mean of ``a - b`` with a ``level`` t-interval: of the paired differences when ``paired``
    (``a[i]`` and ``b[i]`` share a seed), else Welch's interval of the difference of means."""
    x, y = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    if paired:
        if x.shape != y.shape:
            raise ValueError(f"paired comparison needs equal lengths, got {x.size} and {y.size}")
        mean, half = t_interval(x - y, level)
        return Comparison(mean, mean - half, mean + half, int(np.isfinite(x - y).sum()), True, level)
    x, y = x[np.isfinite(x)], y[np.isfinite(y)]
    diff = float(x.mean() - y.mean()) if x.size and y.size else float("nan")
    if x.size < 2 or y.size < 2:
        return Comparison(diff, float("nan"), float("nan"), int(min(x.size, y.size)), False, level)
    vx, vy = x.var(ddof=1) / x.size, y.var(ddof=1) / y.size
    se = float(np.sqrt(vx + vy))
    if se == 0:
        return Comparison(diff, diff, diff, int(min(x.size, y.size)), False, level)
    dof = (vx + vy) ** 2 / (vx**2 / (x.size - 1) + vy**2 / (y.size - 1))
    half = float(stats.t.ppf(0.5 + level / 2, dof) * se)
    return Comparison(diff, diff - half, diff + half, int(min(x.size, y.size)), False, level)


def better(cmp: Comparison, *, higher_is_better: bool = True, significant: bool = False) -> bool:
    """``a`` better than ``b``: the mean difference points the right way (and, when ``significant``,
    the interval excludes zero)."""
    sign = 1.0 if higher_is_better else -1.0
    if not np.isfinite(cmp.diff) or sign * cmp.diff <= 0:
        return False
    return cmp.resolved if significant else True


def not_worse(cmp: Comparison, *, higher_is_better: bool = True) -> bool:
    """``a`` not significantly worse than ``b``: the interval does not lie wholly on the wrong side."""
    if not np.isfinite(cmp.diff):
        return False
    bound = cmp.high if higher_is_better else -cmp.low
    if not np.isfinite(bound):  # no interval (one repetition): judge the point estimate
        return (cmp.diff if higher_is_better else -cmp.diff) >= 0
    return bound >= 0


def within(value: float, target: float, tolerance: float) -> bool:
    """``|value - target| <= tolerance`` (False for NaN)."""
    return bool(np.isfinite(value) and abs(value - target) <= tolerance)
