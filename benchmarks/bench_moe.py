"""The Mixture-of-Experts towers of chapter 4 (Figure 4.5): one training step's forward and
backward of :class:`recdyn.moe.model.TwoTowerMoE` side by side with the layouts it replaced (kept
here as the reference): the batch-major einsum of every expert's towers (soft gating), and for the
random-pool model either every expert's towers (s d_e > 256) or a per-row gather of the pool
expert's weights.

Shapes of the default preset: batch 1,024, N = 20 experts, 400 features, 100 items, s in
{10, 25, 100}, d_e in {5, 10, 50}; one thread.

Run: ``.venv/bin/python benchmarks/bench_moe.py [--reps 30]``. First checks that both give the same
predictions and gradients (float32; they sum in another order), then prints CPU milliseconds per
forward + backward (best of three rounds of ``--reps`` steps) and the speed-up.
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import torch

from recdyn.logs import limit_threads
from recdyn.moe.model import TwoTowerMoE, random_feature_subsets, random_pools

BATCH, N_EXPERTS, N_FEATURES, N_ITEMS = 1024, 20, 400, 100
FEATURE_DIMS, EMBEDDING_DIMS = (10, 25, 100), (5, 10, 50)


def reference_soft(model: TwoTowerMoE, x: torch.Tensor, items: torch.Tensor) -> torch.Tensor:
    """``expert_predictions`` before issue 21's MoE change: batch-major einsum for every d_e."""
    item_vecs = model.item_embeddings.index_select(1, items).transpose(0, 1)
    return (model.user_towers(x) * item_vecs).sum(-1)


def reference_hard(model: TwoTowerMoE, x: torch.Tensor, items: torch.Tensor) -> torch.Tensor:
    """``own_expert_predictions`` before issue 21's MoE change."""
    own = model.pools[items]
    if model.feature_subsets.shape[1] * model.embedding_dim <= 256:
        x_sub = x.gather(1, model.feature_subsets[own])
        user = torch.bmm(x_sub[:, None, :], model.user_maps[own]).squeeze(1)
    else:
        user = model.user_towers(x)[torch.arange(x.shape[0]), own]
    return (user * model.item_embeddings[own, items]).sum(-1)


def step_ms(predict, model: TwoTowerMoE, x: torch.Tensor, items: torch.Tensor, reps: int) -> float:
    """Best of three rounds: CPU ms of one forward and backward of a squared loss."""
    best = float("inf")
    for _ in range(3):
        start = time.process_time()
        for _ in range(reps):
            model.zero_grad(set_to_none=True)
            predict(model, x, items).square().sum().backward()
        best = min(best, (time.process_time() - start) / reps * 1e3)
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--reps", type=int, default=30)
    args = parser.parse_args()
    limit_threads(1)
    rng = np.random.default_rng(0)
    x = torch.as_tensor(rng.normal(size=(BATCH, N_FEATURES)), dtype=torch.float32)
    items = torch.as_tensor(rng.integers(0, N_ITEMS, BATCH))
    pools = random_pools(N_ITEMS, N_EXPERTS, rng)
    current = {"moe": lambda m, x, i: m.expert_predictions(x, i), "random": lambda m, x, i: m.own_expert_predictions(x, i)}
    reference = {"moe": reference_soft, "random": reference_hard}
    print(f"{'model':>6} {'s':>4} {'d_e':>4} {'reference ms':>13} {'now ms':>7} {'speed-up':>9} {'max diff':>9}")
    for kind in ("moe", "random"):
        for s in FEATURE_DIMS:
            for d_e in EMBEDDING_DIMS:
                subsets = random_feature_subsets(N_FEATURES, s, N_EXPERTS, rng)
                model = TwoTowerMoE(N_ITEMS, N_FEATURES, subsets, d_e, pools=pools if kind == "random" else None,
                                    generator=torch.Generator().manual_seed(s * d_e))
                ref, now = reference[kind](model, x, items), current[kind](model, x, items)
                grads = [torch.autograd.grad(y.square().sum(), [model.user_maps, model.item_embeddings]) for y in (ref, now)]
                diff = max([float((now - ref).detach().abs().max())] + [float((a - b).abs().max() / b.abs().max())
                                                               for a, b in zip(*grads)])
                if diff > 1e-4:
                    raise SystemExit(f"{kind} s={s} d_e={d_e}: the two layouts differ by {diff:.2e}")
                before = step_ms(reference[kind], model, x, items, args.reps)
                after = step_ms(current[kind], model, x, items, args.reps)
                print(f"{kind:>6} {s:>4} {d_e:>4} {before:>13.2f} {after:>7.2f} {before / after:>8.2f}x {diff:>9.1e}")


if __name__ == "__main__":
    main()
