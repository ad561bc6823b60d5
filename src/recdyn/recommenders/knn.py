"""Neighbourhood recommenders of thesis section 2.4: ItemKNN and UserKNN.

The thesis: "We implement ItemKNN in the same way as Hug [107]" (Surprise) and "UserKnn ...
is identical to ItemKnn, except that it uses user features instead of item features". Both are
Surprise's ``KNNWithMeans``; in the user-based form the prediction of pair (u, i) is

    r^(u, i) = mu_u + sum_{v in N_k(u; i)} s(u, v) (r_vi - mu_v) / sum_{v in N_k(u; i)} s(u, v)

and the item-based form swaps the roles (target mean mu_i, neighbours j among the items u
rated, deviations r_uj - mu_j). Below "target" is the user (UserKNN) or the item (ItemKNN)
whose neighbours are used, "other side" the other one.

Choices (facts from the thesis' framework RecLab, ``reclab/recommenders/knn_recommender.py``,
``KNNRecommender``, and from Surprise, ``surprise/prediction_algorithms/knns.py``
``KNNWithMeans`` and ``surprise/similarities.pyx``)
--------------------------------------------------------------------------------------------
* **Means** ``mu``: the mean of the target's *observed* ratings (Surprise
  ``np.mean([r for (_, r) in ratings])``; RecLab ``sum / getnnz``), never a mean counting
  missing cells as zeros.
* **Similarity** (``similarity``):

  - ``"cosine"`` (default, RecLab's only similarity, function ``cosine_similarity``): cosine of
    the *full* zero-filled raw rating vectors of two targets, ``<x, y> / (|x| |y| + shrinkage)``
    (the norms are over all of a target's ratings, the product over common ones). Surprise's
    ``cosine`` instead restricts both norms to the common support and has no shrinkage.
  - ``"pearson"``: the same formula on the mean-centred vectors (each target's observed
    ratings minus its mean ``mu``; missing cells 0): a full-vector Pearson correlation, as in
    common KNN baselines. Surprise's ``pearson`` centres and normalises over the common support
    only (and its default, ``msd``, was not used by RecLab).

  Both are one dense matrix product of the (n_targets, n_other) rating matrix.
* **Shrinkage** (``shrinkage``): RecLab's formula, an additive term in the denominator,
  ``s = <x, y> / (|x| |y| + shrinkage)`` (``cosine_similarity(X, Y, shrinkage)``), for both
  similarities. It is *not* Surprise's ``pearson_baseline`` factor
  ``(n_common - 1) / (n_common - 1 + shrinkage)``. The tuned value is 0 (RecLab
  ``experiments/experiment_scripts/item_knn_topics_static.py`` and ``user_knn_topics_static.py``:
  grids ``shrinkage in linspace(0, 1000, 10)`` then ``linspace(0, 10, 10)``, "Set shrinkage to
  zero since its value doesn't seem to have an effect"), where both formulas agree.
* **Self and sign**: a target is never its own neighbour (RecLab ``np.fill_diagonal(sim, 0)``;
  Surprise would count a user's own training rating when predicting a training pair), and only
  neighbours with similarity > 0 enter the sums (Surprise ``if sim > 0``). RecLab instead gave
  uniform weights when all similarities were 0; we return the mean (Surprise's
  ``ZeroDivisionError -> mean``).
* **Neighbourhood** (``neighbor_pool``):

  - ``"raters"`` (default, Surprise ``KNNWithMeans.estimate``): the ``neighborhood_size``
    most similar targets *among those that rated the other side* (``heapq.nlargest(k, ...)``
    over ``self.yr[y]``), so up to k neighbours contribute to every prediction.
  - ``"global"`` (RecLab ``KNNRecommender``: ``nlargest_indices(neighborhood_size,
    similarity[idx])`` over *all* targets, then only those with a rating are used): the k most
    similar targets overall; with sparse data far fewer than k of them have rated the cell.

  Ties at the k-th similarity are broken by ``numpy.argpartition`` (deterministic). The tuned
  size is 250 (same scripts: "Set neighborhood size to tradeoff runtime and performance").
* **min_k** (Surprise, default 1): if fewer than ``min_k`` neighbours with positive
  similarity contribute, the prediction is the target mean ``mu``.
* **Fallbacks**: no contributing neighbour -> the target mean (user mean for UserKNN, item mean
  for ItemKNN). A user or an item without any training rating -> the global mean of the
  observed ratings (Surprise: "User and/or item is unknown" -> ``default_prediction()`` =
  ``trainset.global_mean``).
* **No clipping** to the rating range (Surprise clips by default; RecLab did not, and clipping
  would create ties at the top of every ranking).
* **Repeated pairs** in the training data: the last rating of a (user, item) pair is used
  (RecLab's rating matrix is overwritten in order).
* Content features: RecLab optionally appended user/item features to the similarity vectors
  (``use_content``); the thesis' models use ratings only, so we do not.
* RecLab fact, not repeated here: its online "ItemKnn" run on topics-static
  (``experiments/experiment_scripts/item_knn_topics_static.py``, step 7) built
  ``KNNRecommender(shrinkage=..., neighborhood_size=...)`` without ``user_based=False`` and
  its default is ``user_based=True``, i.e. it ran the user-based model.

Computation (no Python loop over users or items)
------------------------------------------------
``fit`` builds the dense (n_targets, n_targets) similarity with one BLAS product, zeroes the
diagonal and the non-positive entries. A block of predictions is two sparse-times-dense
products (weighted sum of centred ratings and sum of weights); with ``"raters"`` the cells
whose other side has more than k raters are then recomputed exactly: their raters'
similarities are gathered into (targets, cells, max raters) tensors (chunks of at most
~4M cells, cells grouped by rater count to limit padding) and the top k taken with
``argpartition``. ``"global"`` keeps only each row's top-k similarities at fit time, so a block
is just the two products.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from recdyn.ratings import Ratings
from recdyn.recommenders.base import Recommender

#: Cells of the gathered (targets, cells, raters) tensors and of dense prediction blocks.
_BLOCK_CELLS = 1 << 22

SIMILARITIES = ("cosine", "pearson")
NEIGHBOR_POOLS = ("raters", "global")


def _dedupe_last(users: np.ndarray, items: np.ndarray, ratings: np.ndarray,
                 n_items: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Keep the last rating of every repeated (user, item) pair."""
    key = users * np.int64(n_items) + items
    _, first_rev = np.unique(key[::-1], return_index=True)
    if first_rev.size == key.size:
        return users, items, ratings
    keep = np.sort(key.size - 1 - first_rev)
    return users[keep], items[keep], ratings[keep]


def training_arrays(data: Ratings) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(users, items, ratings) as int64/int64/float64 with repeated pairs reduced to the last one."""
    users = np.asarray(data.users, dtype=np.int64)
    items = np.asarray(data.items, dtype=np.int64)
    ratings = np.asarray(data.ratings, dtype=np.float64)
    if len(ratings) == 0:
        raise ValueError("cannot fit on an empty dataset")
    return _dedupe_last(users, items, ratings, int(data.n_items))


class _KNN(Recommender):
    """KNNWithMeans on users (``user_based=True``) or items; see the module docstring."""

    user_based: bool = True

    def __init__(self, *, neighborhood_size: int = 250, shrinkage: float = 0.0,
                 similarity: str = "cosine", min_k: int = 1, neighbor_pool: str = "raters",
                 seed: int = 0) -> None:
        if int(neighborhood_size) < 1:
            raise ValueError(f"neighborhood_size must be >= 1, got {neighborhood_size}")
        if float(shrinkage) < 0:
            raise ValueError(f"shrinkage must be >= 0, got {shrinkage}")
        if similarity not in SIMILARITIES:
            raise ValueError(f"similarity must be one of {SIMILARITIES}, got {similarity!r}")
        if int(min_k) < 0:
            raise ValueError(f"min_k must be >= 0, got {min_k}")
        if neighbor_pool not in NEIGHBOR_POOLS:
            raise ValueError(f"neighbor_pool must be one of {NEIGHBOR_POOLS}, got {neighbor_pool!r}")
        super().__init__(seed=seed, neighborhood_size=int(neighborhood_size),
                         shrinkage=float(shrinkage), similarity=similarity, min_k=int(min_k),
                         neighbor_pool=neighbor_pool)
        self.k = int(neighborhood_size)
        self.min_k = int(min_k)
        self.similarity_matrix: np.ndarray | None = None  # (n_targets, n_targets), >= 0, zero diagonal
        self.target_means: np.ndarray | None = None

    # ---- training ------------------------------------------------------------------------------
    def _fit(self, data: Ratings) -> None:
        users, items, ratings = training_arrays(data)
        if self.user_based:
            targets, others, n_targets, n_others = users, items, self.n_users, self.n_items
        else:
            targets, others, n_targets, n_others = items, users, self.n_items, self.n_users
        self.global_mean = float(ratings.mean())
        t_count = np.bincount(targets, minlength=n_targets)
        t_sum = np.bincount(targets, weights=ratings, minlength=n_targets)
        self.target_seen = t_count > 0
        self.other_seen = np.bincount(others, minlength=n_others) > 0
        means = np.full(n_targets, self.global_mean)
        means[self.target_seen] = t_sum[self.target_seen] / t_count[self.target_seen]
        self.target_means = means
        centred = ratings - means[targets]

        # Similarity: one dense product of the (n_targets, n_others) matrix with itself.
        features = np.zeros((n_targets, n_others))
        features[targets, others] = ratings if self.hyperparameters["similarity"] == "cosine" else centred
        gram = features @ features.T
        del features
        norms = np.sqrt(np.clip(np.diag(gram), 0.0, None))
        denom = np.outer(norms, norms)
        denom += self.hyperparameters["shrinkage"]
        sim = np.divide(gram, denom, out=np.zeros_like(gram), where=denom > 0)
        np.fill_diagonal(sim, 0.0)
        np.maximum(sim, 0.0, out=sim)  # only positive similarities ever contribute
        if self.hyperparameters["neighbor_pool"] == "global" and self.k < n_targets:
            # Keep each row's k largest similarities (RecLab's global neighbourhood).
            drop = np.argpartition(sim, n_targets - self.k, axis=1)[:, :n_targets - self.k]
            np.put_along_axis(sim, drop, 0.0, axis=1)
        self.similarity_matrix = sim

        # Ratings by other side: CSR (n_others, n_targets), centred values and a 0/1 mask.
        order = np.lexsort((targets, others))
        counts = np.bincount(others, minlength=n_others)
        indptr = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
        self._indptr, self._indices = indptr, targets[order]
        self._centred_by_other = sp.csr_array((centred[order], self._indices, indptr),
                                              shape=(n_others, n_targets))
        self._mask_by_other = sp.csr_array((np.ones(order.size), self._indices, indptr),
                                           shape=(n_others, n_targets))
        self._raters = counts  # ratings per other-side entity

    # ---- prediction ----------------------------------------------------------------------------
    def _block(self, target_idx: np.ndarray, other_idx: np.ndarray) -> np.ndarray:
        """Dense predictions (len(target_idx), len(other_idx))."""
        sim_rows = self.similarity_matrix[target_idx]  # (bt, n_targets)
        centred = self._centred_by_other[other_idx]
        mask = self._mask_by_other[other_idx]
        num = np.asarray(centred @ sim_rows.T).T  # (bt, bo)
        den = np.asarray(mask @ sim_rows.T).T
        cnt = np.asarray(mask @ (sim_rows > 0).T.astype(np.float64)).T if self.min_k > 1 else None
        if self.hyperparameters["neighbor_pool"] == "raters":
            self._cut_to_top_k(sim_rows, other_idx, num, den, cnt)
        ok = den > 0  # min_k <= 1: any positive weight (Surprise: a zero sum returns the mean)
        if cnt is not None:
            ok &= cnt >= self.min_k
        means = self.target_means[target_idx][:, None]
        pred = np.where(ok, means + np.divide(num, den, out=np.zeros_like(num), where=ok), means)
        unseen = ~self.target_seen[target_idx][:, None] | ~self.other_seen[other_idx][None, :]
        pred[unseen] = self.global_mean
        return pred

    def _cut_to_top_k(self, sim_rows: np.ndarray, other_idx: np.ndarray, num: np.ndarray,
                      den: np.ndarray, cnt: np.ndarray | None) -> None:
        """Recompute (in place) the cells whose other side has more than k raters with only the
        k most similar raters (Surprise's neighbourhood)."""
        k = self.k
        heavy = np.flatnonzero(self._raters[other_idx] > k)
        if heavy.size == 0:
            return
        heavy = heavy[np.argsort(self._raters[other_idx[heavy]], kind="stable")]
        n_bt, n_targets = sim_rows.shape
        padded = np.zeros((n_bt, n_targets + 1))  # last column: similarity 0 for padding
        padded[:, :n_targets] = sim_rows
        data = self._centred_by_other.data
        start = 0
        while start < heavy.size:
            # Largest chunk of cells (sorted by rater count) whose gathered tensor fits.
            m_max_all = self._raters[other_idx[heavy[start:]]]
            fits = np.flatnonzero(n_bt * m_max_all * np.arange(1, m_max_all.size + 1) <= _BLOCK_CELLS)
            stop = start + (int(fits[-1]) + 1 if fits.size else 1)
            cells = heavy[start:stop]
            others = other_idx[cells]
            lens = self._raters[others]
            m_max = int(lens.max())
            offs = np.arange(m_max)
            valid = offs[None, :] < lens[:, None]
            pos = np.where(valid, self._indptr[others][:, None] + offs[None, :], 0)
            idx = np.where(valid, self._indices[pos], n_targets)  # (c, m_max) rater targets
            vals = np.where(valid, data[pos], 0.0)  # (c, m_max) centred ratings
            gathered = padded[:, idx]  # (bt, c, m_max)
            top = np.argpartition(gathered, m_max - k, axis=2)[:, :, m_max - k:]
            top_sim = np.take_along_axis(gathered, top, axis=2)
            top_val = np.take_along_axis(np.broadcast_to(vals, gathered.shape), top, axis=2)
            num[:, cells] = np.einsum("bcm,bcm->bc", top_sim, top_val)
            den[:, cells] = top_sim.sum(axis=2)
            if cnt is not None:
                cnt[:, cells] = (top_sim > 0).sum(axis=2)
            start = stop

    def score_users(self, users: np.ndarray) -> np.ndarray:
        self._check_fitted()
        users = np.asarray(users, dtype=np.int64)
        out = np.empty((users.size, self.n_items))
        step = max(1, _BLOCK_CELLS // max(self.n_items, 1))  # users per dense block
        all_items = np.arange(self.n_items)
        for s in range(0, users.size, step):
            block = users[s:s + step]
            if self.user_based:
                out[s:s + block.size] = self._block(block, all_items)
            else:
                out[s:s + block.size] = self._block(all_items, block).T
        return out


class UserKNN(_KNN):
    """User-based KNNWithMeans (Surprise) with RecLab's shrunk cosine; see the module docstring.

    Args:
        neighborhood_size: k, the maximum number of neighbours per prediction (RecLab tuned 250).
        shrinkage: added to the similarity denominator ``|x| |y|`` (RecLab's formula; tuned 0).
        similarity: ``"cosine"`` (raw ratings, RecLab) or ``"pearson"`` (mean-centred ratings).
        min_k: fewer contributing neighbours than this -> the user's mean (Surprise default 1).
        neighbor_pool: ``"raters"`` (k most similar among the item's raters, Surprise) or
            ``"global"`` (k most similar overall, then those who rated it, RecLab).
        seed: unused (the model is deterministic); kept for the common API.
    """

    name = "user_knn"
    user_based = True


class ItemKNN(_KNN):
    """Item-based KNNWithMeans (Surprise) with RecLab's shrunk cosine; see the module docstring.

    Args: as :class:`UserKNN`, with items as targets (the prediction of (u, i) averages u's
    centred ratings of the items most similar to i, around the mean of i).
    """

    name = "item_knn"
    user_based = False


__all__ = ["ItemKNN", "UserKNN"]
