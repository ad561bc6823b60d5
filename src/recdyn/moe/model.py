"""Two-tower experts, the low-latency gating and the Gaussian MoE log-likelihood (thesis section
4.4), and the random-pool baseline ("the same model except with the gating replaced by a random
pool allocation fixed at the start").

Expert n (a nominator) sees its own random subset S_n of s of the d BERT dimensions
(:func:`random_feature_subsets`, section 4.8) and predicts

    r_hat_n(x, a) = < E_n[a], W_n^T x[S_n] >,

with learned item embeddings E_n (|A|, d_e) and a learned map W_n (s, d_e): a two-tower model
whose prediction is the dot product on R^{d_e}.

Gating (section 4.4): the logits log p_n are "a sum of learned user and item embeddings",

    logit_n(x, a) = < G[:, n], x > + H[a, n],    p(x, a) = softmax_n logit(x, a).

Reading: the user embedding is a learned linear map G (d, N) of the user's d features (test users
are new reviews, so a per-user lookup table is impossible; a linear map keeps the gating
"logistic" and low latency); the item embedding H (|A|, N) is a learned table.  With
``gate_user=False`` the gating uses the item embedding only (option 1 of section 4.4).

Random-pool model: p_n(x, a) = 1[a in A_n] with pools from :func:`random_pools` (section 4.8).
Its log-likelihood is the MoE one with one-hot gating weights.

Scores used for ranking (precision@5 / recall@5): the mixture mean sum_n p_n r_hat_n.
"""

from __future__ import annotations

import math

import numpy as np
import torch
from torch import nn

from recdyn.twostage.systems import allocate_features, allocate_pools, pool_owner


def random_pools(n_items: int, n_experts: int, rng: np.random.Generator) -> np.ndarray:
    """Pool of each item (section 4.8, as the bandit nominators' pools:
    :func:`recdyn.twostage.systems.allocate_pools`): items randomly permuted and divided into N pools
    of floor(|A|/N) items; the remaining items go one by one to the first pools."""
    if not 1 <= n_experts <= n_items:
        raise ValueError(f"n_experts={n_experts} must be in [1, n_items={n_items}]")
    pools, mask = allocate_pools(rng, 1, n_items, n_experts)
    return pool_owner(pools, mask, n_items)[0]


def random_feature_subsets(n_features: int, s: int, n_experts: int, rng: np.random.Generator) -> np.ndarray:
    """``(N, s)`` sorted feature indices (section 4.8, as the bandit nominators' features:
    :func:`recdyn.twostage.systems.allocate_features`)."""
    if not 1 <= s <= n_features:
        raise ValueError(f"feature subset size s={s} must be in [1, n_features={n_features}]")
    return np.sort(allocate_features(rng, 1, n_features, s, n_experts)[0], axis=1)


#: Largest item-embedding dimension d_e whose expert towers are formed expert-major
#: (:meth:`TwoTowerMoE.expert_predictions`).
SMALL_EMBEDDING = 16


class TwoTowerMoE(nn.Module):
    """N two-tower experts with a softmax gating (``pools=None``) or a fixed hard pool allocation.

    ``feature_subsets`` (N, s) indexes the d input features; ``pools`` (|A|,) assigns each item
    to one expert (random-pool baseline).  Parameters are initialised from ``generator``:
    expert weights N(0, init_scale^2 / s) and N(0, init_scale^2 / d_e) (predictions of order
    init_scale^2 at the start), gating parameters zero (uniform weights at the start).
    """

    def __init__(self, n_items: int, n_features: int, feature_subsets: np.ndarray, embedding_dim: int, *,
                 pools: np.ndarray | None = None, gate_user: bool = True, init_scale: float = 0.1,
                 generator: torch.Generator | None = None) -> None:
        super().__init__()
        subsets = torch.as_tensor(np.asarray(feature_subsets), dtype=torch.long)
        if subsets.ndim != 2 or subsets.numel() == 0:
            raise ValueError("feature_subsets must be a non-empty (n_experts, s) array")
        if int(subsets.min()) < 0 or int(subsets.max()) >= n_features:
            raise ValueError(f"feature_subsets index outside [0, {n_features})")
        n_experts, s = subsets.shape
        self.n_items, self.n_features, self.n_experts, self.embedding_dim = n_items, n_features, n_experts, embedding_dim
        self.gate_user = bool(gate_user)
        self.register_buffer("feature_subsets", subsets)
        if pools is not None:
            pools_t = torch.as_tensor(np.asarray(pools), dtype=torch.long)
            if pools_t.shape != (n_items,) or int(pools_t.min()) < 0 or int(pools_t.max()) >= n_experts:
                raise ValueError(f"pools must be ({n_items},) expert indices in [0, {n_experts})")
            self.register_buffer("pools", pools_t)
        else:
            self.pools = None
        gen = generator if generator is not None else torch.Generator().manual_seed(0)
        self.user_maps = nn.Parameter(torch.randn(n_experts, s, embedding_dim, generator=gen)
                                      * (init_scale / math.sqrt(s)))
        self.item_embeddings = nn.Parameter(torch.randn(n_experts, n_items, embedding_dim, generator=gen)
                                            * (init_scale / math.sqrt(embedding_dim)))
        self.gate_user_weights = nn.Parameter(torch.zeros(n_features, n_experts))
        self.gate_item_logits = nn.Parameter(torch.zeros(n_items, n_experts))

    @property
    def hard(self) -> bool:
        """True for the fixed pool allocation (random-pool baseline)."""
        return self.pools is not None

    # ---- towers --------------------------------------------------------------------------
    def user_towers(self, x: torch.Tensor) -> torch.Tensor:
        """``(B, N, d_e)``: each expert's map of its feature subset of the users ``x`` (B, d)."""
        x_sub = x.index_select(1, self.feature_subsets.reshape(-1)).view(x.shape[0], *self.feature_subsets.shape)
        return torch.einsum("bns,nsd->bnd", x_sub, self.user_maps)

    def expert_predictions(self, x: torch.Tensor, items: torch.Tensor) -> torch.Tensor:
        """``(B, N)`` predictions r_hat_n(x_t, a_t) of every expert for the pairs (x_t, a_t).

        Two layouts of the same sums (they differ only in rounding): for small item embeddings
        (d_e <= :data:`SMALL_EMBEDDING`) the towers are formed expert-major, ``(N, d_e, B)``, straight
        from the transposed features, which spares the copies of the batch-major einsum (1.3-2.0x
        faster forward and backward for s in {25, 100}, d_e in {5, 10}); for larger ones the
        batch-major einsum is faster (``benchmarks/bench_moe.py``)."""
        if self.embedding_dim > SMALL_EMBEDDING:
            item_vecs = self.item_embeddings.index_select(1, items).transpose(0, 1)  # (B, N, d_e)
            return (self.user_towers(x) * item_vecs).sum(-1)
        x_t = x.T.index_select(0, self.feature_subsets.reshape(-1)).view(*self.feature_subsets.shape, x.shape[0])
        towers = torch.bmm(self.user_maps.transpose(1, 2), x_t)  # (N, d_e, B)
        item_vecs = self.item_embeddings.index_select(1, items).transpose(1, 2)  # (N, d_e, B)
        return (towers * item_vecs).sum(1).T

    def own_expert_predictions(self, x: torch.Tensor, items: torch.Tensor) -> torch.Tensor:
        """``(B,)`` prediction of each item's pool expert (hard allocation only).

        The batch is grouped by pool expert and padded to the largest group, so one ``bmm`` of
        ``(N, max group, s) x (N, s, d_e)`` forms only the towers needed (about N times fewer
        operations than every expert's towers, and no ``(B, s, d_e)`` gather of weights)."""
        if not self.hard:
            raise ValueError("own_expert_predictions needs a fixed pool allocation")
        own = self.pools[items]
        order = torch.argsort(own, stable=True)
        own_sorted = own[order]
        counts = torch.bincount(own_sorted, minlength=self.n_experts)
        position = torch.arange(own.shape[0], device=x.device) - (torch.cumsum(counts, 0) - counts)[own_sorted]
        x_sub = x.gather(1, self.feature_subsets[own])[order]  # (B, s), grouped by expert
        padded = x_sub.new_zeros(self.n_experts, int(counts.max()), x_sub.shape[1])
        padded[own_sorted, position] = x_sub
        towers = torch.bmm(padded, self.user_maps)[own_sorted, position]  # (B, d_e), grouped
        user = torch.empty_like(towers).index_put((order,), towers)  # back to batch order
        return (user * self.item_embeddings[own, items]).sum(-1)

    def gate_log_probs(self, x: torch.Tensor, items: torch.Tensor) -> torch.Tensor:
        """``(B, N)`` log gating weights log p_n(x_t, a_t) (-inf outside the pool when hard)."""
        if self.hard:
            onehot = self.pools[items][:, None] == torch.arange(self.n_experts, device=items.device)
            return torch.where(onehot, 0.0, -torch.inf).to(x.dtype)
        logits = self.gate_item_logits.index_select(0, items)
        if self.gate_user:
            logits = logits + x @ self.gate_user_weights
        return torch.log_softmax(logits, dim=-1)

    # ---- objective and predictions --------------------------------------------------------
    def log_likelihood(self, x: torch.Tensor, items: torch.Tensor, rewards: torch.Tensor,
                       sigma2: float) -> torch.Tensor:
        """Mean over the batch of log sum_n p_{n,t} exp(-(r_t - r_hat_{n,t})^2 / (2 sigma^2))
        (section 4.4; the constant -log(2 pi sigma^2)/2 is dropped, as in the thesis)."""
        if self.hard:  # one-hot weights: only the pool's expert counts (same value, N times less work)
            return -(rewards - self.own_expert_predictions(x, items)).square().mean() / (2.0 * sigma2)
        residual = rewards[:, None] - self.expert_predictions(x, items)
        return torch.logsumexp(self.gate_log_probs(x, items) - residual.square() / (2.0 * sigma2), dim=-1).mean()

    def predict(self, x: torch.Tensor, items: torch.Tensor) -> torch.Tensor:
        """``(B,)`` mixture mean sum_n p_n(x_t, a_t) r_hat_n(x_t, a_t)."""
        if self.hard:
            return self.own_expert_predictions(x, items)
        return (self.gate_log_probs(x, items).exp() * self.expert_predictions(x, items)).sum(-1)

    def score_all(self, x: torch.Tensor) -> torch.Tensor:
        """``(B, |A|)`` mixture means of every item for the users ``x`` (B, d)."""
        experts = torch.einsum("bnd,nad->ban", self.user_towers(x), self.item_embeddings)  # (B, A, N)
        if self.hard:
            return experts.gather(-1, self.pools[None, :, None].expand(x.shape[0], -1, 1)).squeeze(-1)
        logits = self.gate_item_logits[None, :, :]
        if self.gate_user:
            logits = logits + (x @ self.gate_user_weights)[:, None, :]
        return (torch.softmax(logits, dim=-1) * experts).sum(-1)

    def item_pool_weights(self, x: torch.Tensor) -> torch.Tensor:
        """``(|A|, N)`` average gating weight of each item over the users ``x`` (the "per arm
        average weight" from which section 4.4 suggests distilling pools)."""
        if self.hard:
            return torch.nn.functional.one_hot(self.pools, self.n_experts).to(x.dtype)
        logits = self.gate_item_logits[None, :, :]
        if self.gate_user:
            logits = logits + (x @ self.gate_user_weights)[:, None, :]
        return torch.softmax(logits, dim=-1).mean(0)


def numpy_log_likelihood(log_p: np.ndarray, predictions: np.ndarray, rewards: np.ndarray, sigma2: float) -> float:
    """Direct numpy evaluation of the section 4.4 objective (reference for tests):
    (1/B) sum_t log sum_n p_{n,t} exp(-(r_t - r_hat_{n,t})^2 / (2 sigma^2))."""
    p = np.exp(log_p)
    inner = (p * np.exp(-(rewards[:, None] - predictions) ** 2 / (2.0 * sigma2))).sum(axis=1)
    return float(np.mean(np.log(inner)))


__all__ = ["TwoTowerMoE", "numpy_log_likelihood", "random_feature_subsets", "random_pools"]
