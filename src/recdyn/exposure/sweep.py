"""One job of the section 5.3 sweep: all (n, tau) games of one fitted model, each batched over
random initialisations x step sizes, with the Riemannian test and the audit measures of every run.

The demand is uniform over the fitted user embeddings (optionally a seeded subsample of
``demand_users`` of them, a cost knob of the smaller presets; the thesis uses all users); the fitted item
embeddings are the baseline creators. Games of NMF embeddings are non-negative (Definition 2) and use the
finder's ``nonnegative`` mode. Every (n, tau) game uses the same initial parameters for each step size
(``inits`` draws seeded by ``init_seed``, n and the recommender seed).

Baseline rows (``kind == "baseline"``, Figure 5.4's 'b'): for each initialisation index, ``n`` items drawn
at random (seeded) from the fitted item embeddings stand in for the pre-adaptation producers -- our reading,
since the thesis compares ``n`` strategic producers with "the original learned item embeddings".
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
import torch

from recdyn.exposure import audit
from recdyn.exposure.finder import find_local_equilibria, random_init
from recdyn.exposure.game import DTYPE, mean_direction
from recdyn.exposure.riemann import riemannian_test
from recdyn.exposure.sweep_spec import SweepSpec  # noqa: F401 (re-exported: the job's settings)
from recdyn.progress import Progress

LOG = logging.getLogger(__name__)


def demand(users: np.ndarray, max_users: int | None, seed: int) -> np.ndarray:
    """Indices of the users forming the demand: all, or a seeded subsample of ``max_users``."""
    m = len(users)
    if max_users is None or max_users >= m:
        return np.arange(m)
    return np.sort(np.random.default_rng(seed).choice(m, size=max_users, replace=False))


def run_sweep(
    users: np.ndarray, items: np.ndarray, spec: SweepSpec, nonnegative: bool, seed: int,
    labels: Mapping[str, object], user_is_male: np.ndarray | None = None,
    item_is_male: np.ndarray | None = None, item_gendered: np.ndarray | None = None,
    games: Sequence[tuple[int, float]] | None = None, device: str | torch.device = "cpu",
) -> tuple[pd.DataFrame, dict[str, np.ndarray]]:
    """Find equilibria for every (n, tau) of ``games`` (default: all of ``spec``) and measure them;
    returns the per-run table and the strategies.

    ``user_is_male`` enables the Figure 5.4 measures (MovieLens), ``item_is_male``/``item_gendered`` the
    Figure 5.5 measures (LastFM). ``labels`` are constant columns (dataset, model, d, seed). The baseline
    rows of ``n`` are produced with the game ``(n, spec.taus[0])``, so each appears once across job chunks.
    ``device`` runs the finder and the Riemannian test there (``"cpu"``, ``"cuda"``, ...); the measures
    and the returned table are computed on the CPU from the strategies found.
    """
    c = torch.as_tensor(users, dtype=DTYPE)
    c_dev = c.to(device)
    base = torch.as_tensor(items, dtype=DTYPE)
    cbar = mean_direction(c)
    d = c.shape[1]
    rows, strategies = [], {}
    steps = torch.as_tensor(np.repeat(np.asarray(spec.step_sizes, dtype=float), spec.inits), dtype=DTYPE)
    games = spec.games() if games is None else [(int(n), float(tau)) for n, tau in games]
    progress = Progress(len(games), "exposure games (n, tau)")
    for n, tau in games:
        theta0 = random_init(spec.inits, n, d, seed=spec.init_seed + 1000 * seed + n, nonnegative=nonnegative)
        theta0 = theta0.repeat(len(spec.step_sizes), 1, 1)
        start = time.perf_counter()
        res = find_local_equilibria(c_dev, theta0, tau, steps, max_iter=spec.max_iter, tol=spec.tol,
                                    nonnegative=nonnegative, device=device, precision=spec.precision)
        test = riemannian_test(res.s, c_dev, tau, grad_tol=spec.grad_tol, eig_tol=spec.eig_tol)
        s = res.s.cpu()
        table = pd.DataFrame({
            "kind": "strategic", "n": n, "tau": float(tau), "step_size": steps.numpy(),
            "init": np.tile(np.arange(spec.inits), len(spec.step_sizes)),
            "iterations": res.iterations.cpu().numpy(), "converged": res.converged.cpu().numpy(),
            "grad_norm": test.grad_norm.cpu().numpy(), "max_eig": test.max_eig.cpu().numpy(), "label": test.label,
        })
        table = table.assign(**_measures(s, c, base, cbar, spec, user_is_male, item_is_male, item_gendered))
        rows.append(table)
        strategies[f"n{n}_tau{tau:g}"] = s.numpy().astype(np.float32)
        LOG.info("n=%d tau=%g: %d runs, %d converged, labels %s, %.1f s", n, tau, len(table),
                 int(res.converged.sum()), table["label"].value_counts().to_dict(), time.perf_counter() - start)
        progress.step(extra=f"n={n} tau={tau:g}")
        if tau != float(spec.taus[0]):
            continue
        # Baseline 'b': n random fitted items per initialisation index.
        gen = np.random.default_rng(spec.init_seed + 7919 * seed + n)
        picks = np.stack([gen.choice(len(items), size=n, replace=False) for _ in range(spec.inits)])
        sb = base[torch.as_tensor(picks)]
        table = pd.DataFrame({"kind": "baseline", "n": n, "tau": np.nan, "step_size": np.nan,
                              "init": np.arange(spec.inits), "label": "baseline"})
        rows.append(table.assign(**_measures(sb, c, base, cbar, spec, user_is_male, item_is_male, item_gendered)))
    out = pd.concat(rows, ignore_index=True)
    for key, value in reversed(list(labels.items())):
        out.insert(0, key, value)
    return out, strategies


def _bool_tensor(flags: np.ndarray) -> torch.Tensor:
    """A boolean tensor of its own (a copy: pandas hands out read-only arrays, which torch warns about)."""
    return torch.as_tensor(np.array(flags, dtype=bool))


def _measures(s, c, base, cbar, spec, user_is_male, item_is_male, item_gendered) -> dict[str, np.ndarray]:
    n = s.shape[1]
    distinct = audit.distinct_strategies(s, spec.cluster_eps).numpy()
    out = {
        "distinct": distinct,
        "distinct_frac": distinct / n,
        "dist_cbar": audit.distance_to_direction(s, cbar).numpy(),
    }
    if user_is_male is not None:
        dmax, dshare = audit.user_gender_targeting(s, c, _bool_tensor(user_is_male))
        out |= {"delta_max_rating": dmax.numpy(), "delta_best_share": dshare.numpy()}
    if item_is_male is not None:
        mask = _bool_tensor(item_gendered)
        sizes = [k for k in spec.neighbourhoods if k <= int(mask.sum())]  # larger ones: NaN (too few creators)
        if len(sizes) < len(spec.neighbourhoods):
            LOG.warning("neighbourhood sizes %s exceed the %d gendered creators: reported as NaN",
                        sorted(set(spec.neighbourhoods) - set(sizes)), int(mask.sum()))
        nan = np.full(s.shape[0], np.nan)
        for k in spec.neighbourhoods:
            out[f"frac_diff_k{k}"], out[f"dist_diff_k{k}"] = nan, nan
        if sizes:
            frac, dist = audit.creator_gender_neighbourhoods(s, base[mask], _bool_tensor(item_is_male)[mask], sizes)
            for j, k in enumerate(sizes):
                out[f"frac_diff_k{k}"] = frac[:, j].numpy()
                out[f"dist_diff_k{k}"] = dist[:, j].numpy()
    return out
