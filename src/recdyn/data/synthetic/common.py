"""Helpers shared by the synthetic writers: seeded streams, sampling, reproducible sparse ``.npz`` bytes."""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from recdyn.io import npz_bytes

HEX = np.array(list("0123456789abcdef"))


def stream(seed: int, name: str) -> np.random.Generator:
    """An independent generator for one part of a synthetic dataset.

    ``numpy.random.default_rng`` seeded with ``[seed, crc(name)]``: each named part draws from
    its own stream, so changing the size of one part never shifts the numbers of another.
    """
    import zlib

    return np.random.default_rng([int(seed), zlib.crc32(name.encode("ascii"))])


def apportion(total: int, weights: np.ndarray) -> np.ndarray:
    """Integer counts summing exactly to ``total``, proportional to ``weights`` (largest remainder)."""
    weights = np.asarray(weights, dtype=float)
    if total < 0 or weights.size == 0 or np.any(weights < 0) or weights.sum() <= 0:
        raise ValueError("apportion needs total >= 0 and non-negative weights with a positive sum")
    exact = total * weights / weights.sum()
    counts = np.floor(exact).astype(np.int64)
    short = int(total - counts.sum())
    if short:
        order = np.argsort(-(exact - counts), kind="stable")
        counts[order[:short]] += 1
    return counts


def hex_strings(rng: np.random.Generator, n: int, length: int) -> np.ndarray:
    """``n`` random lower-case hex strings of ``length`` characters (vectorised)."""
    digits = HEX[rng.integers(0, 16, size=(n, length))]
    return np.ascontiguousarray(digits).view(f"<U{length}").reshape(n)


def uuid4_strings(rng: np.random.Generator, n: int) -> np.ndarray:
    """``n`` random RFC 4122 version-4 UUID strings, e.g. ``2a3dc878-34f8-48a6-8591-caa8f7b1f70f``."""
    digits = HEX[rng.integers(0, 16, size=(n, 32))]
    digits[:, 12] = "4"
    digits[:, 16] = HEX[8 + rng.integers(0, 4, size=n)]
    dash = np.full((n, 1), "-")
    parts = [digits[:, :8], dash, digits[:, 8:12], dash, digits[:, 12:16], dash,
             digits[:, 16:20], dash, digits[:, 20:]]
    return np.ascontiguousarray(np.concatenate(parts, axis=1)).view("<U36").reshape(n)


def zipf_mandelbrot(n: int, exponent: float, offset: float) -> np.ndarray:
    """Probabilities proportional to ``(rank + offset) ** -exponent`` for ranks 1..n."""
    weights = (np.arange(1, n + 1, dtype=float) + offset) ** -float(exponent)
    return weights / weights.sum()


def gumbel_top_k(log_weights: np.ndarray, k: np.ndarray, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Sample ``k[r]`` distinct columns of each row without replacement, with probabilities
    proportional to ``exp(log_weights)`` (Gumbel-top-k trick, vectorised over rows).

    Returns ``(rows, cols)`` of the chosen entries, each row's columns in order of decreasing key.
    """
    keys = log_weights + rng.gumbel(size=log_weights.shape)
    order = np.argsort(-keys, axis=1, kind="stable")
    rank_ok = np.arange(log_weights.shape[1])[None, :] < np.asarray(k)[:, None]
    rows, pos = np.nonzero(rank_ok)
    return rows, order[rows, pos]


def sparse_npz_bytes(matrix: sp.spmatrix, *, compress: bool = True) -> bytes:
    """The bytes ``scipy.sparse.save_npz`` writes for a CSR matrix, with fixed timestamps."""
    csr = sp.csr_matrix(matrix)
    csr.sort_indices()
    return npz_bytes(
        {
            "indices": csr.indices,
            "indptr": csr.indptr,
            "format": np.array(b"csr"),
            "shape": np.array(csr.shape),
            "data": csr.data,
        },
        compress=compress,
    )
