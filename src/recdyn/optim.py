"""torch optimisers in their fused form where torch has one (issue 21: same updates, fewer passes).

torch's default ("foreach") Adam makes about ten passes over every parameter per step; the fused
kernel (``fused=True``, on the CPU since torch 2.4) makes one. It is the same algorithm: on a
2,000 x 20 / 800 x 20 float64 factorisation, 2,000 Adam steps of either end within 8e-16 of each
other (rounding of the same formula); at the chapter 5 audit's LastFM shapes (13,698 + 5,000 rows
x 50, float64, batches of 1,000) a step takes 5.4 ms instead of 21 ms here. Optimisers without a
fused kernel (RMSprop) and devices or dtypes torch does not fuse fall back to the default.
Used where the parameters are float64 (the audit's rating models) or already were fused (CF-NADE);
the float32 MoE keeps torch's default, as rounding differences of float32 grow there to 1e-4 in its
precision@5 over 400 steps (measured), which would move Figure 4.5's numbers for a 16% gain.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import torch

#: torch optimisers with a fused kernel.
FUSED = (torch.optim.Adam, torch.optim.AdamW, torch.optim.SGD)


def make_optimizer(cls: type[torch.optim.Optimizer], params: Iterable[torch.Tensor],
                   **kwargs: Any) -> torch.optim.Optimizer:
    """``cls(params, **kwargs)``, fused where torch supports it for these parameters."""
    params = list(params)
    if issubclass(cls, FUSED) and "fused" not in kwargs:
        try:
            return cls(params, fused=True, **kwargs)
        except (RuntimeError, TypeError, ValueError):  # unsupported device or dtype
            pass
    return cls(params, **kwargs)
