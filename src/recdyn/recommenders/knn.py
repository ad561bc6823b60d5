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
* **Centring** (``centering``): ``"mean"`` (Surprise's ``KNNWithMeans``, RecLab) centres a
  rating on its target's mean, as in the formula above; ``"baseline"`` (default; Surprise's
  ``KNNBaseline``, Koren 2010 section 2.2) on the baseline ``b_ui = mu + b_u + b_i``, whose biases are
  fitted by alternating ridge least squares (:func:`baseline_biases`, Surprise's ALS defaults:
  ``reg_u`` 15, ``reg_i`` 10, 10 sweeps), and predicts ``b_ui + sum s (r - b) / sum s``; with
  ``similarity="pearson"`` the similarity is then computed on the baseline-centred ratings too.
  The fallbacks below use ``b_ui`` where they would use the target mean.
* **Defaults** (issue 23): ``similarity="pearson"``, ``neighborhood_size=40`` (Surprise's k),
  ``centering="baseline"``, ``clip=True``, chosen on inner splits of the real MovieLens-100K
  training files (80/20 of ``u1.base`` and of ``u2.base``, seed 0; mean RMSE of the two inner
  test parts): ItemKNN cosine/250 0.931, pearson/250 0.924, cosine/40 0.922, pearson/40 0.921,
  cosine/250 with shrinkage 100 0.933, pearson/40 baseline-centred **0.919** (k 100: 0.920);
  UserKNN 0.948, 0.940, 0.941, 0.938, 0.948, **0.930** (k 100: 0.930). (The official splits are
  five folds of one file, so ``u1.base`` holds the test pairs of ``u2``..``u5``: only ``u1.test``
  was never seen while choosing.) On the five official splits (``uK.base`` -> ``uK.test``) the
  defaults give a mean RMSE of 0.916 (ItemKNN; ``u1`` 0.932) and 0.928 (UserKNN; ``u1`` 0.939),
  against 0.936 and 0.955 for RecLab's cosine/250 with clipping
  (``benchmarks/bench_ml100k.py`` puts Surprise's KNNs beside them).
  :data:`recdyn.recommenders.defaults.RECLAB_DEFAULTS` keeps RecLab's cosine, 250 neighbours,
  shrinkage 0, mean centring and no clipping (the chapter 2 presets' values).
* **Neighbourhood** (``neighbor_pool``):

  - ``"raters"`` (default, Surprise ``KNNWithMeans.estimate``): the ``neighborhood_size``
    most similar targets *among those that rated the other side* (``heapq.nlargest(k, ...)``
    over ``self.yr[y]``), so up to k neighbours contribute to every prediction.
  - ``"global"`` (RecLab ``KNNRecommender``: ``nlargest_indices(neighborhood_size,
    similarity[idx])`` over *all* targets, then only those with a rating are used): the k most
    similar targets overall; with sparse data far fewer than k of them have rated the cell.

  Ties at the k-th similarity: with ``"raters"`` the lower index first (Surprise's
  ``heapq.nlargest`` keeps the earlier of equal neighbours in its rating list); with
  ``"global"`` as ``numpy.argpartition`` leaves them (deterministic). The tuned size is 250
  (same scripts: "Set neighborhood size to tradeoff runtime and performance"; grid
  ``linspace(10, 1001, 10)`` first).
* **min_k** (Surprise, default 1): if fewer than ``min_k`` neighbours with positive
  similarity contribute, the prediction is the target mean ``mu``.
* **Fallbacks**: no contributing neighbour -> the target mean (user mean for UserKNN, item mean
  for ItemKNN). A user or an item without any training rating -> the global mean of the
  observed ratings (Surprise: "User and/or item is unknown" -> ``default_prediction()`` =
  ``trainset.global_mean``).
* **Clipping** (``clip``, default True; issue 23): ``predict`` returns ratings clipped to the
  training ratings' [min, max], as Surprise does by default (``Prediction`` clipping to the
  ``rating_scale``); on real MovieLens-100K this lowers the 5-split RMSE (benchmarks/bench_ml100k.py).
  ``score_users`` (the ranking scores) is never clipped: clipping would create ties at the top of
  every ranking and changes no order otherwise. RecLab did not clip: ``clip=False``
  (:data:`recdyn.recommenders.defaults.RECLAB_DEFAULTS`) predicts the unclipped value, which the
  chapter 2 presets use.
* **Repeated pairs** in the training data: the last rating of a (user, item) pair is used
  (RecLab's rating matrix is overwritten in order).
* Content features: RecLab optionally appended user/item features to the similarity vectors
  (``use_content``); the thesis' models use ratings only, so we do not.
* RecLab fact, not repeated here: its online "ItemKnn" run on topics-static
  (``experiments/experiment_scripts/item_knn_topics_static.py``, step 7) built
  ``KNNRecommender(shrinkage=..., neighborhood_size=...)`` without ``user_based=False`` and
  its default is ``user_based=True``, i.e. it ran the user-based model (its tuning grid did pass
  ``user_based=False``; ``experiments/experiments/item_knn_latent_static.py`` passes it in both).

Computation (no Python loop over users or items)
------------------------------------------------
``fit`` builds the dense (n_targets, n_targets) similarity with one BLAS product and zeroes
the diagonal and the non-positive entries (``"global"``: also all but each row's k largest).

* ``score_users`` (dense blocks): two matrix products (BLAS on the dense rating matrix when it
  has at most 2^24 cells, else sparse) give, for every cell, the weighted sum of the raters'
  centred ratings and the sum of weights over *all* raters. With
  ``"raters"`` the cells whose other side has more than k raters are then recomputed with the
  top k only: the raters' similarities are gathered into (targets, cells, max raters) tensors
  (at most 2^18 values each; cells grouped by rater count to limit padding).
* ``predict`` (pairs): each pair's raters are gathered into a (pairs, max raters) table
  (pairs grouped by rater count, same bound), so scoring a few pairs never computes a dense row.

Top k: ``tau`` = the k-th largest similarity, compared as int32 keys (the similarities rounded
to float32 and read as int32, which is order-preserving for non-negative values; zero
similarities and padding get distinct negative keys); the raters whose key is >= tau contribute
their float64 weights. When more than k raters tie at a positive tau, the tied ones are taken
in ascending index order. The result is the exact Surprise neighbourhood up to the ordering of
similarities closer than float32 resolution (relative 6e-8), which counts as a tie. The gather
with its keys and the zeroing run compiled (:mod:`recdyn.recommenders.knn_top_k`); tau comes
from numpy's ``partition``, and the weighted sums stay numpy's.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from recdyn.ratings import Ratings
from recdyn.recommenders.base import Recommender
from recdyn.recommenders.knn_top_k import gather_keys, keys_of, top_k_weights

#: Cells of a dense prediction block.
_BLOCK_CELLS = 1 << 22
#: Cells of a gathered (rows, cells, raters) similarity tensor (small: cache-friendly).
_GATHER_CELLS = 1 << 18
#: Rating matrices up to this many cells are also kept dense (BLAS products, faster than sparse).
_DENSE_CELLS = 1 << 24

SIMILARITIES = ("cosine", "pearson")
CENTERINGS = ("mean", "baseline")
#: Surprise's ``BaselineOnly``/``KNNBaseline`` ALS defaults: (reg_u, reg_i), 10 sweeps.
BASELINE_REG = (15.0, 10.0)
BASELINE_SWEEPS = 10
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


def baseline_biases(users: np.ndarray, items: np.ndarray, ratings: np.ndarray, n_users: int, n_items: int,
                    *, reg: tuple[float, float] = BASELINE_REG,
                    sweeps: int = BASELINE_SWEEPS) -> tuple[np.ndarray, np.ndarray]:
    """User and item biases of ``r ~ mu + b_u + b_i`` by alternating ridge least squares (Koren
    2010, section 2.1; Surprise's ``baseline_options`` ALS: ``reg = (reg_u, reg_i) = (15, 10)``,
    10 sweeps, the item biases first). Users/items without ratings keep bias 0."""
    mu = ratings.mean()
    b_u = np.zeros(n_users)
    n_u, n_i = np.bincount(users, minlength=n_users), np.bincount(items, minlength=n_items)
    for _ in range(int(sweeps)):
        b_i = np.bincount(items, weights=ratings - mu - b_u[users], minlength=n_items) / (reg[1] + n_i)
        b_u = np.bincount(users, weights=ratings - mu - b_i[items], minlength=n_users) / (reg[0] + n_u)
    return b_u, b_i


def training_arrays(data: Ratings) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(users, items, ratings) as int64, int64, float64; a repeated pair keeps its last rating."""
    users = np.asarray(data.users, dtype=np.int64)
    items = np.asarray(data.items, dtype=np.int64)
    ratings = np.asarray(data.ratings, dtype=np.float64)
    if len(ratings) == 0:
        raise ValueError("cannot fit on an empty dataset")
    return _dedupe_last(users, items, ratings, int(data.n_items))


def _chunks(lens_sorted: np.ndarray, rows_per_cell: int) -> list[tuple[int, int]]:
    """Split cells with ascending rater counts into runs [start, stop) whose padded tensor
    (rows_per_cell x cells x max count) holds at most ``_GATHER_CELLS`` values (at least one cell)."""
    bounds, start, n = [], 0, lens_sorted.size
    while start < n:
        size = rows_per_cell * np.maximum(lens_sorted[start:], 1) * np.arange(1, n - start + 1)
        stop = start + max(1, int(np.searchsorted(size, _GATHER_CELLS, side="right")))
        bounds.append((start, stop))
        start = stop
    return bounds


def _is_range(idx: np.ndarray, n: int) -> bool:
    """Whether ``idx`` is exactly ``0, 1, ..., n - 1`` (then slicing replaces fancy indexing)."""
    return idx.size == n and bool((idx == np.arange(n)).all())


class _KNN(Recommender):
    """KNNWithMeans on users (``user_based=True``) or items; see the module docstring."""

    user_based: bool = True

    def __init__(self, *, neighborhood_size: int = 40, shrinkage: float = 0.0,
                 similarity: str = "pearson", min_k: int = 1, neighbor_pool: str = "raters",
                 centering: str = "baseline", clip: bool = True, seed: int = 0) -> None:
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
        if centering not in CENTERINGS:
            raise ValueError(f"centering must be one of {CENTERINGS}, got {centering!r}")
        super().__init__(seed=seed, neighborhood_size=int(neighborhood_size),
                         shrinkage=float(shrinkage), similarity=similarity, min_k=int(min_k),
                         neighbor_pool=neighbor_pool, centering=centering, clip=bool(clip))
        self.k = int(neighborhood_size)
        self.min_k = int(min_k)
        self._cut = neighbor_pool == "raters"  # top-k among raters at prediction time
        self._sim: np.ndarray | None = None  # (n_targets, n_targets + 1): last column 0 (padding)
        self._sim_t: np.ndarray | None = None  # (n_targets, n_targets): C-contiguous transpose

    @property
    def similarity_matrix(self) -> np.ndarray:
        """(n_targets, n_targets) similarities used as weights: >= 0, zero diagonal (read-only view)."""
        self._check_fitted()
        view = self._sim[:, :-1]
        view.flags.writeable = False
        return view

    # ---- training ------------------------------------------------------------------------------
    def _fit(self, data: Ratings) -> None:
        users, items, ratings = training_arrays(data)
        if self.user_based:
            targets, others, n_targets, n_others = users, items, self.n_users, self.n_items
        else:
            targets, others, n_targets, n_others = items, users, self.n_items, self.n_users
        self.global_mean = float(ratings.mean())
        self.rating_range = (float(ratings.min()), float(ratings.max()))
        t_count = np.bincount(targets, minlength=n_targets)
        t_sum = np.bincount(targets, weights=ratings, minlength=n_targets)
        self.target_seen = t_count > 0
        means = np.full(n_targets, self.global_mean)
        means[self.target_seen] = t_sum[self.target_seen] / t_count[self.target_seen]
        self.target_means = means
        self._other_bias = None
        if self.hyperparameters["centering"] == "baseline":
            b_u, b_i = baseline_biases(users, items, ratings, self.n_users, self.n_items)
            b_target, b_other = (b_u, b_i) if self.user_based else (b_i, b_u)
            self.target_means = self.global_mean + b_target
            self._other_bias = b_other
            centred = ratings - self.target_means[targets] - b_other[others]
        else:
            centred = ratings - means[targets]

        # Similarity: one dense product of the (n_targets, n_others) matrix with itself, stored
        # with an extra zero column (the padding target of the gathered tables).
        features = np.zeros((n_targets, n_others))
        features[targets, others] = ratings if self.hyperparameters["similarity"] == "cosine" else centred
        gram = features @ features.T
        del features
        gram += gram.T  # exactly symmetric (so S^T = S below), then halve
        gram *= 0.5
        norms = np.sqrt(np.clip(np.diag(gram), 0.0, None))
        denom = np.outer(norms, norms)
        denom += self.hyperparameters["shrinkage"]
        sim = np.zeros((n_targets, n_targets + 1))
        np.divide(gram, denom, out=sim[:, :-1], where=denom > 0)
        del gram, denom
        np.fill_diagonal(sim, 0.0)  # (the padding column is not on the diagonal)
        np.maximum(sim, 0.0, out=sim)  # only positive similarities ever contribute
        if not self._cut and self.k < n_targets:
            # RecLab's global neighbourhood: keep each row's k largest similarities.
            drop = np.argpartition(sim[:, :-1], n_targets - self.k, axis=1)[:, :n_targets - self.k]
            np.put_along_axis(sim, drop, 0.0, axis=1)
        self._sim = sim
        # The products of a block need S^T; S is symmetric except for "global" (row-wise top k).
        self._sim_t = np.ascontiguousarray(sim[:, :-1] if self._cut else sim[:, :-1].T)

        # Ratings grouped by the other side: CSR (n_others, n_targets), rows sorted by target.
        order = np.lexsort((targets, others))
        self._raters = np.bincount(others, minlength=n_others)  # ratings per other-side index
        self._indptr = np.concatenate([[0], np.cumsum(self._raters)]).astype(np.int64)
        self._indices = targets[order]
        self._centred = centred[order]
        self._centred_by_other = sp.csr_array((self._centred, self._indices, self._indptr),
                                              shape=(n_others, n_targets))
        self._mask_by_other = sp.csr_array((np.ones(order.size), self._indices, self._indptr),
                                           shape=(n_others, n_targets))
        if n_others * n_targets <= _DENSE_CELLS:
            self._centred_by_other = self._centred_by_other.toarray()
            self._mask_by_other = self._mask_by_other.toarray()

    # ---- the neighbourhood average -------------------------------------------------------------
    def _rater_table(self, others: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Raters of each of ``others`` (target indices, padded with the zero column) and their
        centred ratings (padded with 0): two (len(others), max(1, max raters)) arrays."""
        lens = self._raters[others]
        m = max(1, int(lens.max(initial=0)))
        offs = np.arange(m)
        valid = offs[None, :] < lens[:, None]
        pos = np.where(valid, self._indptr[others][:, None] + offs[None, :], 0)
        idx = np.where(valid, self._indices[np.minimum(pos, self._indices.size - 1)], self._sim.shape[1] - 1)
        vals = np.where(valid, self._centred[np.minimum(pos, self._centred.size - 1)], 0.0)
        return idx, vals

    def _top_k_sums(self, gathered: np.ndarray, tau: np.ndarray | None, vals: np.ndarray
                    ) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
        """Weighted sum of ``vals`` (broadcast to ``gathered``), sum of weights and number of
        positive weights along the last axis of the gathered weights (shape (..., m)): the top-k
        weights with their ``tau`` from :mod:`recdyn.recommenders.knn_top_k`, or (``tau`` None)
        every similarity."""
        num = np.einsum("...m,...m->...", gathered, np.broadcast_to(vals, gathered.shape))
        cnt = None
        if self.min_k > 1:  # tau > 0: exactly k positive neighbours; otherwise all positive ones
            cnt = np.count_nonzero(gathered > 0, axis=-1)
            if tau is not None:
                cnt = np.where(tau > 0, self.k, cnt)
        return num, gathered.sum(axis=-1), cnt

    def _finish(self, num: np.ndarray, den: np.ndarray, cnt: np.ndarray | None,
                targets: np.ndarray, others: np.ndarray) -> np.ndarray:
        """mean + num / den where enough neighbours contributed, else the mean; global mean for
        an unseen user or item. ``targets``/``others`` broadcast against ``num``."""
        ok = den > 0  # min_k <= 1: any positive weight (Surprise: a zero sum returns the mean)
        if cnt is not None:
            ok &= cnt >= self.min_k
        means = self.target_means[targets]
        if self._other_bias is not None:  # baseline centring: b_ui = mu + b_target + b_other
            means = means + self._other_bias[others]
        pred = np.where(ok, means + np.divide(num, den, out=np.zeros_like(num), where=ok), means)
        unseen = ~self.target_seen[targets] | (self._raters[others] == 0)
        return np.where(unseen, self.global_mean, pred)

    def _block(self, target_idx: np.ndarray, other_idx: np.ndarray) -> np.ndarray:
        """Dense predictions (len(target_idx), len(other_idx))."""
        every_target = _is_range(target_idx, self._sim.shape[0])
        rows = self._sim if every_target else self._sim[target_idx]  # (bt, n_targets + 1)
        cols = self._sim_t if every_target else self._sim_t[:, target_idx]  # (n_targets, bt)
        every_other = _is_range(other_idx, self._raters.size)
        centred = self._centred_by_other if every_other else self._centred_by_other[other_idx]
        mask = self._mask_by_other if every_other else self._mask_by_other[other_idx]
        num = np.asarray(centred @ cols).T  # (bt, bo)
        den = np.asarray(mask @ cols).T
        cnt = np.asarray(mask @ (cols > 0).astype(np.float64)).T if self.min_k > 1 else None
        if self._cut:
            # Cells whose other side has more than k raters: recompute with the top k.
            heavy = np.flatnonzero(self._raters[other_idx] > self.k)
            heavy = heavy[np.argsort(self._raters[other_idx[heavy]], kind="stable")]
            for start, stop in _chunks(self._raters[other_idx[heavy]], rows.shape[0]):
                cells = heavy[start:stop]
                idx, vals = self._rater_table(other_idx[cells])  # (c, m), m > k
                # (bt, c, m) from S^T: cols[idx, t] == rows[t, idx] (S is exactly symmetric here)
                weights, keys = gather_keys(cols, idx)
                tau = top_k_weights(weights, keys, self.k)  # (bt, c)
                c_num, c_den, c_cnt = self._top_k_sums(weights, tau, vals)  # (bt, c)
                num[:, cells], den[:, cells] = c_num, c_den
                if cnt is not None:
                    cnt[:, cells] = c_cnt
        return self._finish(num, den, cnt, target_idx[:, None], other_idx[None, :])

    def _pairs(self, targets: np.ndarray, others: np.ndarray) -> np.ndarray:
        """Predictions of the pairs (targets[j], others[j])."""
        out = np.empty(targets.size)
        order = np.argsort(self._raters[others], kind="stable")
        for start, stop in _chunks(self._raters[others[order]], 1):
            sel = order[start:stop]
            idx, vals = self._rater_table(others[sel])  # (c, m)
            sims = self._sim[targets[sel][:, None], idx]
            tau = top_k_weights(sims, keys_of(sims), self.k) if self._cut and idx.shape[1] > self.k else None
            num, den, cnt = self._top_k_sums(sims, tau, vals)
            out[sel] = self._finish(num, den, cnt, targets[sel], others[sel])
        return out

    # ---- the Recommender API -------------------------------------------------------------------
    def predict(self, users: np.ndarray, items: np.ndarray) -> np.ndarray:
        users, items = self._fitted_pairs(users, items)
        flat_u, flat_i = users.ravel(), items.ravel()
        out = self._pairs(flat_u, flat_i) if self.user_based else self._pairs(flat_i, flat_u)
        if self.hyperparameters["clip"]:
            np.clip(out, *self.rating_range, out=out)
        return out.reshape(users.shape)

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
        neighborhood_size: k, the maximum number of neighbours per prediction (default 40,
            Surprise's; RecLab tuned 250).
        shrinkage: added to the similarity denominator ``|x| |y|`` (RecLab's formula; tuned 0).
        similarity: ``"pearson"`` (mean-centred ratings, default) or ``"cosine"`` (raw ratings,
            RecLab).
        min_k: fewer contributing neighbours than this -> the user's mean (Surprise default 1).
        neighbor_pool: ``"raters"`` (k most similar among the item's raters, Surprise) or
            ``"global"`` (k most similar overall, then those who rated it, RecLab).
        centering: ``"baseline"`` (``mu + b_u + b_i``, KNNBaseline; default) or ``"mean"`` (the
            target's mean, KNNWithMeans, RecLab).
        clip: ``predict`` clips to the training ratings' [min, max] (Surprise; RecLab: False).
        seed: unused (the model is deterministic); kept for the common API.
    """

    name = "user_knn"
    user_based = True


class ItemKNN(_KNN):
    """Item-based KNNWithMeans (Surprise) with RecLab's shrunk cosine; see the module docstring.

    Args: as :class:`UserKNN`, with items as targets (the prediction of (u, i) averages u's
    centred ratings of the k items most similar to i among those u rated, around i's mean).
    """

    name = "item_knn"
    user_based = False


__all__ = ["ItemKNN", "UserKNN", "training_arrays"]
