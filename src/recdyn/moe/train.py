"""Training of the MoE and random-pool models by minibatch stochastic gradient ascent on the
Gaussian MoE log-likelihood (thesis section 4.4; optimiser, learning rate and sigma^2 from the
sweep of section 4.8: Adam, 0.01, sigma^2 = 0.01 for the MoE, sigma^2 = 1 when d_e = 50;
RMSProp, 0.01, sigma^2 = 1 for the random pools; batch 4096, 50,000 steps, no early stopping).

Minibatches are drawn uniformly with replacement from the training examples at every step
(the thesis does not say how batches were formed).  All draws come from CPU generators seeded
explicitly, so a run is deterministic on the CPU and reproducible on a GPU (up to floating point
non-associativity of GPU kernels).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch

from recdyn.moe.data import MoEDataset
from recdyn.moe.model import TwoTowerMoE, random_feature_subsets, random_pools
from recdyn.devices import resolve_device
from recdyn.progress import Progress

log = logging.getLogger(__name__)

OPTIMIZERS = {"adam": torch.optim.Adam, "rmsprop": torch.optim.RMSprop, "sgd": torch.optim.SGD}
MODELS = ("moe", "random")


@dataclass(frozen=True)
class TrainSettings:
    """Optimisation settings of one model kind (section 4.8's sweep)."""

    optimizer: str = "adam"
    lr: float = 0.01
    sigma2: float = 0.01
    steps: int = 50_000
    batch_size: int = 4096
    init_scale: float = 0.1
    gate_user: bool = True
    sigma2_by_embedding_dim: Mapping[int, float] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.optimizer not in OPTIMIZERS:
            raise ValueError(f"optimizer {self.optimizer!r} not in {sorted(OPTIMIZERS)}")
        if self.lr <= 0 or self.sigma2 <= 0 or self.steps < 0 or self.batch_size < 1:
            raise ValueError(f"invalid training settings {self}")

    def sigma2_for(self, embedding_dim: int) -> float:
        """sigma^2 for item-embedding dimension d_e (the thesis uses 1 for the MoE with d_e = 50)."""
        return float(self.sigma2_by_embedding_dim.get(int(embedding_dim), self.sigma2))

    @classmethod
    def from_config(cls, spec: Mapping[str, Any], steps: int, batch_size: int) -> "TrainSettings":
        """From a ``ch4_moe.models.<kind>`` config section plus the shared steps and batch size."""
        overrides = {int(o["embedding_dim"]): float(o["sigma2"]) for o in spec.get("sigma2_overrides", [])}
        return cls(optimizer=spec["optimizer"], lr=float(spec["lr"]), sigma2=float(spec["sigma2"]),
                   steps=int(steps), batch_size=int(batch_size), init_scale=float(spec.get("init_scale", 0.1)),
                   gate_user=bool(spec.get("gate_user", True)), sigma2_by_embedding_dim=overrides)


def derive_seed(*keys: int) -> int:
    """A 63-bit seed derived from integer keys (numpy SeedSequence), for independent streams."""
    return int(np.random.SeedSequence([int(k) for k in keys]).generate_state(1, dtype=np.uint64)[0] >> np.uint64(1))


def train_model(model: TwoTowerMoE, x_all: torch.Tensor, users: torch.Tensor, items: torch.Tensor,
                rewards: torch.Tensor, settings: TrainSettings, sigma2: float, seed: int,
                log_every: int = 0) -> list[float]:
    """Maximise the MoE log-likelihood with ``settings.steps`` minibatch steps; returns the batch
    log-likelihood every ``max(1, steps // 20)`` steps.  ``x_all`` holds all users' features,
    ``users``/``items``/``rewards`` the training examples (all on the model's device)."""
    params = [p for p in model.parameters() if p.requires_grad]
    if model.hard:  # the fixed allocation has no gating parameters to learn
        params = [model.user_maps, model.item_embeddings]
    optimizer = OPTIMIZERS[settings.optimizer](params, lr=settings.lr)
    gen = torch.Generator(device="cpu").manual_seed(seed)
    n = users.shape[0]
    record_every = max(1, settings.steps // 20)
    history: list[float] = []
    progress = Progress(settings.steps, f"{'fixed' if model.hard else 'MoE'} training (steps)")
    for step in range(settings.steps):
        batch = torch.randint(n, (min(settings.batch_size, n),), generator=gen).to(users.device)
        loss = -model.log_likelihood(x_all.index_select(0, users[batch]), items[batch], rewards[batch], sigma2)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        if step % record_every == 0 or step == settings.steps - 1:
            history.append(-float(loss.detach()))
            if log_every and step % log_every == 0:
                log.info("step %d log-likelihood %.5f", step, history[-1])
        progress.step()
    return history


def build_model(kind: str, n_items: int, n_features: int, s: int, n_experts: int, embedding_dim: int,
                settings: TrainSettings, seed: int) -> TwoTowerMoE:
    """The MoE (``kind='moe'``) or the random-pool model (``'random'``) for one seed.

    Feature subsets and the experts' initial weights depend only on (seed, N, s, d_e), so the MoE
    and the random-pool model of one seed start from the same experts; the pools depend on
    (seed, N)."""
    if kind not in MODELS:
        raise ValueError(f"model kind {kind!r} not in {MODELS}")
    subsets = random_feature_subsets(n_features, s, n_experts, np.random.default_rng(derive_seed(seed, 1, n_experts, s)))
    pools = (random_pools(n_items, n_experts, np.random.default_rng(derive_seed(seed, 2, n_experts)))
             if kind == "random" else None)
    gen = torch.Generator(device="cpu").manual_seed(derive_seed(seed, 3, n_experts, s, embedding_dim))
    return TwoTowerMoE(n_items, n_features, subsets, embedding_dim, pools=pools, gate_user=settings.gate_user,
                       init_scale=settings.init_scale, generator=gen)


def fit_configurations(dataset: MoEDataset, *, seed: int, feature_dims: Sequence[int], embedding_dims: Sequence[int],
                       n_experts: int, settings: Mapping[str, TrainSettings], device: str = "cpu",
                       eval_batch: int = 4096, top_k: int = 5) -> list[dict[str, Any]]:
    """Train and evaluate every (model kind, s, d_e) on one dataset for one N and seed; one row
    per configuration with precision@k, recall@k (means over test users) and the final
    training log-likelihood."""
    from recdyn.moe.evaluate import evaluate_topk

    dev = torch.device(resolve_device(device))
    x_all = torch.as_tensor(dataset.features, device=dev)
    users = torch.as_tensor(dataset.train_users, device=dev)
    items = torch.as_tensor(dataset.train_items, device=dev)
    rewards = torch.as_tensor(dataset.train_rewards, device=dev)
    rows = []
    for kind, s, d_e in ((k, s, d) for k in settings for s in feature_dims for d in embedding_dims):
        cfg = settings[kind]
        model = build_model(kind, dataset.n_items, dataset.n_features, int(s), n_experts, int(d_e), cfg, seed).to(dev)
        sigma2 = cfg.sigma2_for(int(d_e))
        history = train_model(model, x_all, users, items, rewards, cfg, sigma2, derive_seed(seed, 4, n_experts, s, d_e))
        metrics = evaluate_topk(model, dataset, k=top_k, batch_size=eval_batch)
        rows.append({"model": kind, "s": int(s), "embedding_dim": int(d_e), "n_experts": int(n_experts),
                     "sigma2": sigma2, "optimizer": cfg.optimizer, "lr": cfg.lr, "steps": cfg.steps,
                     "batch_size": cfg.batch_size, "final_loglik": history[-1] if history else float("nan"),
                     **metrics})
        log.info("N=%d s=%d d_e=%d %s: precision@%d %.4f recall@%d %.4f", n_experts, s, d_e, kind, top_k,
                 metrics["precision"], top_k, metrics["recall"])
    return rows


__all__ = ["MODELS", "OPTIMIZERS", "TrainSettings", "build_model", "derive_seed", "fit_configurations",
           "train_model"]
