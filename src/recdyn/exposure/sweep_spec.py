"""The settings of a section 5.3 sweep job (:class:`SweepSpec`), apart from the sweep itself
(:mod:`recdyn.exposure.sweep`): the workflow reads them to split the games into jobs, and this
module imports no torch, so parsing the Snakefile does not pay for it."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


@dataclass
class SweepSpec:
    """Grid and finder settings of one sweep job (all from the preset's ``ch5_audit`` section)."""

    ns: Sequence[int]
    taus: Sequence[float]
    step_sizes: Sequence[float]
    inits: int
    init_seed: int
    max_iter: int
    tol: float
    grad_tol: float
    eig_tol: float
    cluster_eps: float
    neighbourhoods: Sequence[int]
    games_per_job: int = 0  # (n, tau) games per Snakemake job (used by the rules; 0 = all)
    precision: str = "mixed"  # the finder's gradient precision (recdyn.exposure.finder.PRECISIONS)

    def games(self) -> list[tuple[int, float]]:
        """All (n, tau) games of the sweep, n-major (the order the job chunks split)."""
        return [(int(n), float(tau)) for n in self.ns for tau in self.taus]

    def chunks(self) -> list[list[tuple[int, float]]]:
        """The games split into jobs of ``games_per_job`` (one job with all of them if 0)."""
        games = self.games()
        size = self.games_per_job or len(games)
        return [games[i:i + size] for i in range(0, len(games), size)]
