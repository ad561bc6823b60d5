"""Synthetic AmazonCat-13K-with-BERT-features stand-in (thesis chapter 4, sections 4.3 and 4.4:
two-stage linear bandits and the Mixture-of-Experts nominators; details in section 4.8).

Files, as in the thesis' ``amazoncat-13k-bert.zip`` (layout from the authors' RecLab reader,
see :func:`recdyn.data.loaders.load_amazoncat`; :func:`write_amazoncat` writes the two files,
:func:`write_amazoncat_zip` the archive with its top folder ``amazoncat-13k-bert/``):

* ``features.npz``: dense ``float32`` matrix ``(n_items, 768)`` written like ``np.savez(path,
  features)``, i.e. one array under the default key ``arr_0`` (RecLab reads the first key;
  the real dtype is not published, the loader accepts float32 and float64).
* ``ratings.npz``: ``scipy.sparse`` CSR item x category 0/1 matrix written like
  ``scipy.sparse.save_npz`` (compressed), ``float32`` values (RecLab converts whatever format
  is stored to CSR; the loader accepts csr, csc and coo).

Planted structure.  Categories are hierarchical, as in AmazonCat-13K: two *root* categories
(the two most frequent, which the thesis skips), 100 *main* categories (frequency ranks 3..102,
the thesis' bandit arms) and ``n_categories - 102`` *tail* categories.  97.5% of items get one
main category plus a Poisson number of further ones (mean 1.5; for 3% of items mean 20, the
heavily labelled items that earn the most rewards), drawn without replacement by share; an
item's first main category decides its root; tail labels are Poisson (about 0.5 a item).
Main-category shares follow a Zipf-Mandelbrot law ``(k + 2) ** -1.3``.  Shares and counts are
fitted to the thesis' numbers under the chapter 4 bandit's reading
(:class:`recdyn.twostage.problems.AmazonProblem`): about 10.7% positive rewards (measured on the
stand-in: 11%), and Fig. 4.2's per-arm shares (top 5 of 100 arms: 19.22% of the positive
rewards, bottom 50: 19.85%; stand-in: 19.6% and 18.5%); the tail continues the same power law.  Most items have 1-4
labels and fewer than 5% none of the 100 main categories (thesis section 4.3).  Features are a
BERT-like offset plus per-dimension noise plus the sum of the item's category directions, so a
linear model on the first 400 dimensions predicts the categories well above chance, and one on
a few dimensions only weakly (the nominators' misspecification in section 4.3).

Column order is shuffled: frequency ranks must be computed
(:func:`recdyn.twostage.amazon.category_order`).
"""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import numpy as np
import scipy.sparse as sp

from recdyn.data.synthetic.common import gumbel_top_k, sparse_npz_bytes, stream
from recdyn.io import npz_bytes, write_bytes

FEATURES_FILE = "features.npz"
LABELS_FILE = "ratings.npz"
ZIP_FILE = "amazoncat-13k-bert.zip"
ZIP_FOLDER = "amazoncat-13k-bert"  # the real archive's top folder
N_FEATURES = 768
N_ROOTS, N_MAIN = 2, 100
MAIN_EXPONENT, MAIN_OFFSET = 1.3, 2.0  # with the label counts below, fitted to section 4.3 / Fig. 4.2


def _main_shares(n_main: int = N_MAIN, n_total: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Shares of the main categories and (unnormalised, same scale) weights of the tail ranks."""
    ranks = np.arange(1, (n_total or n_main) + 1, dtype=float)
    weights = (ranks + MAIN_OFFSET) ** -MAIN_EXPONENT
    z = weights[:n_main].sum()
    return weights[:n_main] / z, weights[n_main:] / z


def write_amazoncat(out_dir: Path, *, seed: int, n_items: int = 20_000, n_categories: int = 13_330,
                    n_features: int = N_FEATURES, coverage: float = 0.975, extra_main: float = 1.5,
                    heavy_share: float = 0.03, heavy_extra: float = 20.0,
                    signal: float = 1.5, noise: float = 0.5) -> dict[str, Path]:
    """Write ``features.npz`` and ``ratings.npz`` (:func:`amazoncat_files`); returns ``{name: path}``.

    ``n_categories`` defaults to AmazonCat-13K's 13,330 labels (must be >= 102); ``n_items``
    defaults to a workstation-sized 20,000 (the real data has about 1.2 million).
    """
    files = amazoncat_files(seed=seed, n_items=n_items, n_categories=n_categories, n_features=n_features,
                            coverage=coverage, extra_main=extra_main, heavy_share=heavy_share,
                            heavy_extra=heavy_extra, signal=signal, noise=noise)
    out_dir = Path(out_dir)
    return {name: write_bytes(out_dir / name, data) for name, data in files.items()}


def write_amazoncat_zip(path: Path, *, seed: int, **sizes) -> Path:
    """Write the stand-in packed as the real ``amazoncat-13k-bert.zip``: one top folder
    ``amazoncat-13k-bert/`` holding ``features.npz`` and ``ratings.npz`` (fixed timestamps,
    so the same seed gives the same bytes)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, mode="w", compression=zipfile.ZIP_STORED) as archive:
        archive.writestr(zipfile.ZipInfo(f"{ZIP_FOLDER}/", date_time=(1980, 1, 1, 0, 0, 0)), b"")
        for name, data in amazoncat_files(seed=seed, **sizes).items():
            archive.writestr(zipfile.ZipInfo(f"{ZIP_FOLDER}/{name}", date_time=(1980, 1, 1, 0, 0, 0)), data)
    return write_bytes(Path(path), buffer.getvalue())


def amazoncat_files(*, seed: int, n_items: int = 20_000, n_categories: int = 13_330,
                    n_features: int = N_FEATURES, coverage: float = 0.975, extra_main: float = 1.5,
                    heavy_share: float = 0.03, heavy_extra: float = 20.0,
                    signal: float = 1.5, noise: float = 0.5) -> dict[str, bytes]:
    """The bytes of ``features.npz`` and ``ratings.npz`` (keywords as :func:`write_amazoncat`)."""
    if n_categories < N_ROOTS + N_MAIN:
        raise ValueError(f"n_categories must be >= {N_ROOTS + N_MAIN}")
    if n_items < 10:
        raise ValueError("n_items must be >= 10")
    rng = stream(seed, "amazoncat/labels")
    n_tail = n_categories - N_ROOTS - N_MAIN
    shares, tail_weights = _main_shares(N_MAIN, N_MAIN + n_tail)
    # main labels: one for most items, a second one for some (distinct, Gumbel-top-2)
    log_s = np.broadcast_to(np.log(shares), (n_items, N_MAIN))
    n_main = (rng.random(n_items) < coverage).astype(np.int64)
    rate = np.where(rng.random(n_items) < heavy_share, heavy_extra, extra_main)
    n_main += np.where(n_main == 1, rng.poisson(rate), 0)
    n_main = np.minimum(n_main, N_MAIN)
    main_rows, main_cols = gumbel_top_k(log_s, n_main, rng)
    first_main = np.full(n_items, -1)
    with_main, first_pos = np.unique(main_rows, return_index=True)
    first_main[with_main] = main_cols[first_pos]  # the first chosen main category of each item
    # roots: main categories split into the first root's and the second root's (and neither)
    order = rng.permutation(N_MAIN)
    cum = np.cumsum(shares[order])
    parent = np.full(N_MAIN, -1)
    parent[order[cum <= 0.55]] = 0
    parent[order[(cum > 0.55) & (cum <= 0.9)]] = 1
    item_parent = np.where(first_main >= 0, parent[np.maximum(first_main, 0)], -1)
    stray = item_parent < 0
    item_parent = np.where(rng.random(n_items) < 0.97, item_parent, -1)
    item_parent[stray] = np.where(rng.random(stray.sum()) < 0.3, rng.integers(0, 2, stray.sum()), -1)
    has_root = item_parent >= 0
    # tail labels: Poisson count, power-law categories (duplicates merged)
    lam = coverage * (1 + extra_main) * tail_weights.sum()
    n_tail_labels = rng.poisson(lam, size=n_items) if n_tail else np.zeros(n_items, dtype=np.int64)
    tail_rows = np.repeat(np.arange(n_items), n_tail_labels)
    tail_cols = (rng.choice(n_tail, size=tail_rows.size, p=tail_weights / tail_weights.sum())
                 if n_tail else np.zeros(0, dtype=np.int64))
    # columns: roots 0-1, main 2..101, tail after (by rank), then shuffled
    rows = np.concatenate([np.flatnonzero(has_root), main_rows, tail_rows])
    cols = np.concatenate([item_parent[has_root], N_ROOTS + main_cols, N_ROOTS + N_MAIN + tail_cols])
    weight = np.concatenate([np.full(has_root.sum(), 0.5), np.ones(main_rows.size), np.full(tail_rows.size, 0.7)])
    column_of_rank = rng.permutation(n_categories)
    cols = column_of_rank[cols]
    labels = sp.csr_matrix((np.ones(rows.size, dtype=np.float32), (rows, cols)), shape=(n_items, n_categories))
    labels.sum_duplicates()
    labels.data[:] = 1.0
    weights = sp.csr_matrix((weight, (rows, cols)), shape=(n_items, n_categories))
    weights.sum_duplicates()

    frng = stream(seed, "amazoncat/features")
    directions = frng.normal(size=(n_categories, n_features))
    directions /= np.linalg.norm(directions, axis=1, keepdims=True)
    offset = frng.normal(0.0, 0.3, size=n_features)
    scale = noise * frng.lognormal(0.0, 0.25, size=n_features)
    features = offset + frng.normal(size=(n_items, n_features)) * scale + signal * (weights @ directions)
    return {
        FEATURES_FILE: npz_bytes({"arr_0": features.astype(np.float32)}, compress=False),
        LABELS_FILE: sparse_npz_bytes(labels, compress=True),
    }


__all__ = ["FEATURES_FILE", "LABELS_FILE", "N_FEATURES", "ZIP_FILE", "ZIP_FOLDER", "amazoncat_files",
           "write_amazoncat", "write_amazoncat_zip"]
