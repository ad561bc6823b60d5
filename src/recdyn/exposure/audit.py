"""Measures of the pre-deployment audit (thesis section 5.3, Figures 5.3-5.5), batched over runs.

All functions take strategy profiles ``s`` of shape ``(B, n, d)`` (B runs of n producers).

Clustering (Figure 5.3; the thesis does not define its y-axis, this is our definition):
    two producers are *linked* when the cosine distance ``1 - <s_i, s_j>/(||s_i|| ||s_j||)`` of their
    strategies is at most ``eps``; clusters are the connected components of this graph (single linkage),
    and the **fraction of distinct strategies** is ``#clusters / n`` (``1/n``: all producers collapsed onto
    one strategy; ``1``: all distinct). Collapse onto ``c-bar`` (Theorem 4) is measured separately by
    ``max_i ||s_i - c-bar||``.

Targeting by user gender (Figure 5.4), with normalised ratings ``r_i(c) = <c, s_i>/(||c|| ||s_i||)``:
    ``delta_max_rating = phi_M - phi_F`` with ``phi_G = median_{c in G} max_i r_i(c)``, and
    ``delta_best_share = phi_M - phi_F`` with ``phi_G = (1/n) sum_i 1{argmax_c r_i(c) in G}``.
    Positive values mean bias towards men.

Creator gender (Figure 5.5), on baseline creator embeddings with gender male or female (other genders,
"undefined" and "na" are excluded from the neighbourhoods -- our reading), by cosine distance to each
strategic ``s_i``, among the ``k`` nearest baseline creators:
    ``frac_diff = frac_male - frac_female`` and
    ``dist_diff = median distance to female - median distance to male`` (NaN when a gender is absent),
    each averaged over producers (ignoring NaN). Positive values mean bias towards male creators.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import Tensor

from recdyn.exposure.game import as_tensor


def unit_rows(x: Tensor) -> Tensor:
    """Rows scaled to unit norm (zero rows stay zero)."""
    norm = torch.linalg.vector_norm(x, dim=-1, keepdim=True)
    return x / torch.where(norm > 0, norm, torch.ones_like(norm))


def distinct_strategies(s: Tensor, eps: float) -> Tensor:
    """Number of single-linkage clusters of each run at cosine distance ``eps``, shape ``(B,)``."""
    u = unit_rows(as_tensor(s))
    linked = (1.0 - u @ u.transpose(-1, -2)) <= eps  # (B, n, n), reflexive
    reach = linked.to(torch.float64)
    n = reach.shape[-1]
    for _ in range(max(1, (n - 1).bit_length())):  # transitive closure by repeated squaring
        reach = ((reach @ reach) > 0).to(torch.float64)
    first = reach.argmax(-1)  # smallest index in each producer's component
    return (first == torch.arange(n)).sum(-1)


def distance_to_direction(s: Tensor, direction: Tensor) -> Tensor:
    """``max_i ||s_i - direction||`` per run (collapse onto ``c-bar`` when near 0), shape ``(B,)``."""
    return torch.linalg.vector_norm(unit_rows(as_tensor(s)) - as_tensor(direction), dim=-1).amax(-1)


def user_gender_targeting(s: Tensor, users: Tensor, is_male: Tensor) -> tuple[Tensor, Tensor]:
    """``(delta_max_rating, delta_best_share)`` of Figure 5.4 for every run, each of shape ``(B,)``."""
    is_male = torch.as_tensor(is_male, dtype=torch.bool)
    if not bool(is_male.any()) or bool(is_male.all()):
        raise ValueError("user gender targeting needs both male and female users")
    r = unit_rows(as_tensor(users)) @ unit_rows(as_tensor(s)).transpose(-1, -2)  # (B, m, n)
    best = r.amax(-1)  # (B, m)
    delta_max = best[:, is_male].median(-1).values - best[:, ~is_male].median(-1).values
    male_best = is_male[r.argmax(-2)].to(torch.float64)  # (B, n): is the best-rating user male?
    delta_share = male_best.mean(-1) - (1.0 - male_best).mean(-1)
    return delta_max, delta_share


def creator_gender_neighbourhoods(
    s: Tensor, creators: Tensor, is_male: Tensor, sizes: Sequence[int]
) -> tuple[Tensor, Tensor]:
    """``(frac_diff, dist_diff)`` of Figure 5.5, each of shape ``(B, len(sizes))``.

    ``creators`` are the baseline embeddings of male or female creators only, ``is_male`` their gender.
    """
    is_male = torch.as_tensor(is_male, dtype=torch.bool)
    k_max = max(sizes)
    if k_max > len(is_male):
        raise ValueError(f"neighbourhood size {k_max} exceeds the {len(is_male)} gendered creators")
    dist = 1.0 - unit_rows(as_tensor(s)) @ unit_rows(as_tensor(creators)).T  # (B, n, k)
    near, order = torch.topk(dist, k_max, dim=-1, largest=False, sorted=True)
    male = is_male[order]  # (B, n, k_max)
    male_frac = male.to(torch.float64).cumsum(-1) / torch.arange(1, k_max + 1, dtype=torch.float64)
    idx = torch.as_tensor([k - 1 for k in sizes])
    frac_diff = (2.0 * male_frac[..., idx] - 1.0).mean(1)
    nan = torch.tensor(float("nan"), dtype=torch.float64)
    dist_diff = []
    for k in sizes:
        sub, sub_male = near[..., :k], male[..., :k]
        to_female = torch.where(sub_male, nan, sub).nanmedian(-1).values
        to_male = torch.where(sub_male, sub, nan).nanmedian(-1).values
        dist_diff.append((to_female - to_male).nanmean(-1))
    return frac_diff, torch.stack(dist_diff, -1)
