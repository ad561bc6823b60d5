"""The top-k neighbour weights of the KNN recommenders, compiled with numba (thesis section 2.4;
:mod:`recdyn.recommenders.knn`, "Top k").

For each row of gathered similarities ``s`` (length ``m > k``, values >= 0) the weights are ``s``
where the similarity is among the row's k largest and 0 elsewhere. Keys are the similarities
rounded to float32 and read as int32 (order-preserving for values >= 0); a zero similarity (or
padding) at position j gets the distinct negative key ``-1 - j``. ``tau`` is the k-th largest key;
a position is kept when its key is >= tau, except when tau > 0 and more than k keys are >= tau:
then the keys above tau and the first ``k - #above`` keys equal to tau (ascending position) are
kept. A dropped position's weight is ``s * 0.0``.

This is exactly what :mod:`recdyn.recommenders.knn` computed with numpy before (``np.take`` along
axis 1, ``astype(float32).view(int32)``, ``np.partition``, a boolean product): the same weights bit
for bit (``benchmarks/bench_knn.py`` keeps the numpy version; ``tests/test_knn_ease.py`` compares
with it), so the sums the caller takes over them are unchanged. Why compiled: at the chapter 2
online size (ItemKNN with k = 50, 1,000 users x 1,700 items, 150,000 ratings) scoring every user
gathered about 290 million similarities through ``np.take`` along a non-leading axis (3.7 s); here
the gather reads S^T in tiles and writes the keys in the same pass, numpy's ``partition`` still
finds tau, and the zeroing is compiled (6.9 -> 4.1 CPU s in the benchmark).
"""

from __future__ import annotations

import numpy as np
from numba import njit


#: Targets per tile of :func:`gather_keys` (a tile of the output, tile x m float64, stays in L2).
_TILE = 64


@njit(cache=True, nogil=True)
def gather_keys(cols: np.ndarray, idx: np.ndarray) -> tuple[np.ndarray, np.ndarray]:  # pragma: no cover
    """``sims[t, c, j] = cols[idx[c, j], t]`` (0 where ``idx[c, j] >= len(cols)``, the padding)
    for the (n_sources, n_rows) ``cols`` and (cells, m) ``idx``, and their int32 keys (float32
    bits; ``-1 - j`` where the key would be <= 0).

    ``cols`` is the transposed similarity (S^T, rows of sources): reading whole source rows
    sequentially, a tile of targets at a time, moves a cell's m rows through the cache once,
    where gathering m scattered entries from every target's row touched nearly every cache line
    of S for each cell (memory-bound: 3.7 s for 290 million values at the chapter 2 size)."""
    n_sources, n_rows = cols.shape
    n_cells, m = idx.shape
    sims = np.empty((n_rows, n_cells, m), np.float64)
    f32 = np.empty((n_rows, n_cells, m), np.float32)
    keys = f32.view(np.int32)
    for c in range(n_cells):
        for t0 in range(0, n_rows, _TILE):
            t1 = min(t0 + _TILE, n_rows)
            for j in range(m):
                src = idx[c, j]
                pad = np.int32(-1 - j)
                if src >= n_sources:
                    for t in range(t0, t1):
                        sims[t, c, j] = 0.0
                        keys[t, c, j] = pad
                else:
                    for t in range(t0, t1):
                        value = cols[src, t]
                        sims[t, c, j] = value
                        f32[t, c, j] = np.float32(value)
                        if keys[t, c, j] <= 0:
                            keys[t, c, j] = pad
    return sims, keys


@njit(cache=True, nogil=True)
def keys_of(sims: np.ndarray) -> np.ndarray:  # pragma: no cover - compiled
    """The int32 keys of the (rows, m) ``sims`` (as :func:`gather_keys`)."""
    n_rows, m = sims.shape
    f32 = np.empty((n_rows, m), np.float32)
    keys = f32.view(np.int32)
    for r in range(n_rows):
        for j in range(m):
            f32[r, j] = np.float32(sims[r, j])
        for j in range(m):
            key = keys[r, j]
            keys[r, j] = key if key > 0 else -1 - j
    return keys


@njit(cache=True, nogil=True)
def keep_top_k(sims: np.ndarray, keys: np.ndarray, tau: np.ndarray, k: int) -> None:  # pragma: no cover
    """Zero (``s * 0.0``), in the (rows, m) ``sims``, every position outside its row's top k given
    the row's k-th largest key ``tau``; more than k keys tied at a positive tau keep the lower
    positions first."""
    n_rows, m = sims.shape
    for r in range(n_rows):
        t = tau[r]
        n_ge = 0
        for j in range(m):
            n_ge += keys[r, j] >= t
        if t > 0 and n_ge > k:  # rare: a tie at tau
            need = k
            for j in range(m):
                need -= keys[r, j] > t
            seen = 0
            for j in range(m):
                key = keys[r, j]
                if key == t:
                    seen += 1
                if key < t or (key == t and seen > need):
                    sims[r, j] = sims[r, j] * 0.0
        else:
            for j in range(m):
                sims[r, j] = sims[r, j] * (1.0 if keys[r, j] >= t else 0.0)


def top_k_weights(sims: np.ndarray, keys: np.ndarray, k: int) -> np.ndarray:
    """Turn the C-contiguous gathered similarities ``sims`` (..., m), m > k, into their top-k
    weights in place, given their ``keys`` (:func:`gather_keys`, :func:`keys_of`); returns tau
    (...,), the k-th largest key of each row. The selection is numpy's ``partition`` (SIMD-sorted
    on int32); the gather, the keys and the zeroing are compiled."""
    m = sims.shape[-1]
    tau = np.partition(keys, m - k, axis=-1)[..., m - k]
    keep_top_k(sims.reshape(-1, m), keys.reshape(-1, m), np.ascontiguousarray(tau).reshape(-1), k)
    return tau
