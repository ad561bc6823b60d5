"""AmazonCat-13K with BERT features, prepared as in thesis sections 4.3 and 4.8.

Section 4.3: "we further subset to the first d = 400 dimensions of the embeddings [...] we take
the categories with 3rd to 102nd highest occurrence frequency". Section 4.8: "The features were
standardized by computing the mean and standard deviation over all dimensions."

Readings (stated because the text is terse):

* Standardisation: one scalar mean and one scalar standard deviation pooled over all entries of
  the kept ``(n_items, n_features)`` block ("over all dimensions"), so relative scales of the
  dimensions are kept. ``per_dimension=True`` gives column-wise z-scores instead.
* Frequency rank: number of items carrying the category; ties broken by column index; ranks are
  1-based and inclusive (``(3, 102)`` keeps 100 categories).
* All items are kept (the thesis samples arms "uniformly from the whole dataset"), including the
  few that carry none of the kept categories.

The bandit built on top of this (which category is the target, what an arm is) lives in
:mod:`recdyn.twostage.problems`; :func:`reward_histogram` reproduces Figure 4.2 (right).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import scipy.sparse as sp


@dataclass(frozen=True)
class AmazonData:
    """Prepared AmazonCat-13K.

    ``features``: float32 ``(n_items, n_features)``, standardised (section 4.8);
    ``labels``: CSR ``(n_items, n_categories)`` 0/1 (float32), columns = kept categories ranked by
    decreasing frequency; ``categories``: original label-column ids of those columns;
    ``frequency``: share of items carrying each kept category (same order);
    ``mean``/``std``: the standardisation constants (scalars, or per-dimension arrays).
    """

    features: np.ndarray
    labels: sp.csr_matrix
    categories: np.ndarray
    frequency: np.ndarray
    mean: np.ndarray
    std: np.ndarray

    @property
    def n_items(self) -> int:
        return int(self.features.shape[0])

    @property
    def n_categories(self) -> int:
        return int(self.labels.shape[1])


def category_order(labels: sp.spmatrix) -> np.ndarray:
    """Label columns by decreasing number of items carrying them (ties: lower column first)."""
    counts = np.asarray(sp.csr_matrix(labels).astype(bool).sum(axis=0)).ravel()
    return np.argsort(-counts, kind="stable")


def prepare_amazon(
    features: np.ndarray,
    labels: sp.csr_matrix,
    n_features: int = 400,
    category_ranks: tuple[int, int] = (3, 102),
    *,
    per_dimension: bool = False,
) -> AmazonData:
    """First ``n_features`` embedding dimensions, standardised; categories ranked
    ``category_ranks[0]..category_ranks[1]`` (1-based, inclusive) by frequency (sections 4.3, 4.8)."""
    features = np.asarray(features)
    labels = sp.csr_matrix(labels)
    if features.ndim != 2:
        raise ValueError(f"features must be 2-D, got shape {features.shape}")
    if labels.shape[0] != features.shape[0]:
        raise ValueError(f"labels have {labels.shape[0]} rows but features {features.shape[0]}")
    if not 1 <= n_features <= features.shape[1]:
        raise ValueError(f"n_features={n_features} outside 1..{features.shape[1]} (feature columns)")
    first, last = (int(r) for r in category_ranks)
    if not 1 <= first <= last <= labels.shape[1]:
        raise ValueError(f"category_ranks={category_ranks} outside 1..{labels.shape[1]} or decreasing")
    block = np.asarray(features[:, :n_features], dtype=np.float64)
    if per_dimension:
        mean, std = block.mean(axis=0), block.std(axis=0)
        std = np.where(std > 0, std, 1.0)
    else:
        mean, std = np.asarray(block.mean()), np.asarray(block.std())
        if std <= 0:
            raise ValueError("features are constant: cannot standardise")
    standardised = ((block - mean) / std).astype(np.float32)
    categories = category_order(labels)[first - 1:last]
    kept = labels[:, categories].astype(bool).astype(np.float32).tocsr()
    kept.eliminate_zeros()
    kept.sort_indices()
    frequency = np.asarray(kept.sum(axis=0)).ravel() / kept.shape[0]
    return AmazonData(features=standardised, labels=kept, categories=np.asarray(categories, dtype=np.int64),
                      frequency=frequency.astype(np.float64), mean=mean, std=std)


def load_processed(folder: str | Path) -> tuple[np.ndarray, sp.csr_matrix]:
    """Raw ``features.npy`` (memory-mapped) and ``labels.npz`` from ``data/processed/amazoncat``."""
    folder = Path(folder)
    for name in ("features.npy", "labels.npz"):
        if not (folder / name).exists():
            raise FileNotFoundError(f"{folder / name} is missing: run the process_amazoncat rule first")
    return np.load(folder / "features.npy", mmap_mode="r"), sp.load_npz(folder / "labels.npz").tocsr()


def load_amazon(folder: str | Path, n_features: int = 400, category_ranks: tuple[int, int] = (3, 102),
                *, per_dimension: bool = False) -> AmazonData:
    """:func:`prepare_amazon` on the processed files in ``folder``."""
    features, labels = load_processed(folder)
    return prepare_amazon(features, labels, n_features, category_ranks, per_dimension=per_dimension)


def target_distribution(data: AmazonData, target: str = "frequency") -> np.ndarray:
    """Probability of each kept category being a run's target category (see
    :class:`recdyn.twostage.problems.AmazonBandit`): ``frequency`` (proportional to the number of
    items in it, i.e. the category of a uniformly drawn positive label) or ``uniform``."""
    if target == "frequency":
        weights = data.frequency
    elif target == "uniform":
        weights = np.ones_like(data.frequency)
    else:
        raise ValueError(f"unknown target distribution {target!r} (expected 'frequency' or 'uniform')")
    if weights.sum() <= 0:
        raise ValueError("no item carries any of the kept categories")
    return weights / weights.sum()


def reward_statistics(data: AmazonData, target: str = "frequency") -> dict[str, float]:
    """Expected share of positive rewards, coverage and label counts of the Amazon bandit.

    ``positive_rate``: expected reward of a uniformly drawn arm (item) for a target category drawn
    from :func:`target_distribution` (thesis: 10.73%); ``coverage``: share of items carrying at least
    one kept category (thesis: above 95%); ``pair_rate``: mean of the kept label matrix.
    """
    q = target_distribution(data, target)
    per_item = np.asarray(data.labels.sum(axis=1)).ravel()
    return {
        "positive_rate": float(q @ data.frequency),
        "coverage": float(np.mean(per_item > 0)),
        "pair_rate": float(data.frequency.mean()),
        "kept_labels_per_item": float(per_item.mean()),
        "n_items": float(data.n_items),
    }


def arm_means(data: AmazonData, target: str = "frequency") -> np.ndarray:
    """Expected reward ``f*(a) = sum_c q_c 1{a in c}`` of every item as an arm."""
    return np.asarray(data.labels @ target_distribution(data, target)).ravel()


def reward_histogram(data: AmazonData, target: str = "frequency", *, n_arms: int = 100, n_draws: int = 200,
                     seed: int = 0) -> pd.DataFrame:
    """Figure 4.2 (right): share of the positive rewards earned by each arm of an ``n_arms``-armed
    Amazon bandit, arms sorted by decreasing share, averaged over ``n_draws`` random arm sets.

    Columns ``rank`` (1 = arm with most positive rewards), ``share`` (sums to 1) and
    ``cumulative``. The thesis reports 19.22% for the top 5 and 19.85% for the bottom 50 of 100 arms.
    """
    if n_arms > data.n_items:
        raise ValueError(f"n_arms={n_arms} exceeds the {data.n_items} items")
    mu = arm_means(data, target)
    rng = np.random.default_rng(seed)
    keys = rng.random((n_draws, data.n_items))
    arms = np.argpartition(keys, n_arms - 1, axis=1)[:, :n_arms]
    sets = -np.sort(-mu[arms], axis=1)
    totals = sets.sum(axis=1, keepdims=True)
    share = np.divide(sets, totals, out=np.zeros_like(sets), where=totals > 0).mean(axis=0)
    return pd.DataFrame({"rank": np.arange(1, n_arms + 1), "share": share, "cumulative": np.cumsum(share)})


def category_shares(data: AmazonData, target: str = "frequency") -> pd.DataFrame:
    """Share of all positive rewards coming from each kept category (rank, category id, share)."""
    q = target_distribution(data, target)
    mass = q * data.frequency
    share = mass / mass.sum()
    order = np.argsort(-share, kind="stable")
    return pd.DataFrame({"rank": np.arange(1, share.size + 1), "category": data.categories[order],
                         "share": share[order]})


__all__ = [
    "AmazonData", "arm_means", "category_order", "category_shares", "load_amazon", "load_processed",
    "prepare_amazon", "reward_histogram", "reward_statistics", "target_distribution",
]
