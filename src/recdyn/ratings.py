"""Explicit ratings as 0-based index arrays, and the K-fold splits every tuning protocol shares."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd


@dataclass(frozen=True)
class Ratings:
    """Observed ratings ``ratings[k]`` of user ``users[k]`` on item ``items[k]`` (0-based indices)."""

    users: np.ndarray
    items: np.ndarray
    ratings: np.ndarray
    n_users: int
    n_items: int

    def __post_init__(self) -> None:
        if not (len(self.users) == len(self.items) == len(self.ratings)):
            raise ValueError(f"users, items and ratings differ in length: "
                             f"{len(self.users)}, {len(self.items)}, {len(self.ratings)}")

    def __len__(self) -> int:
        return len(self.ratings)

    def subset(self, rows: np.ndarray | slice) -> Ratings:
        """The ratings at ``rows`` (an index array, mask or slice), same index space."""
        return Ratings(self.users[rows], self.items[rows], self.ratings[rows], self.n_users, self.n_items)


def ratings_from_tables(ratings: pd.DataFrame, users: pd.DataFrame, items: pd.DataFrame) -> Ratings:
    """Map ids (``user_id``, ``item_id``) to 0-based indices in the order of the users and items tables."""
    user_index = pd.Index(users["user_id"])
    item_index = pd.Index(items["item_id"])
    return Ratings(
        users=user_index.get_indexer(ratings["user_id"]).astype(np.int64),
        items=item_index.get_indexer(ratings["item_id"]).astype(np.int64),
        ratings=ratings["rating"].to_numpy(dtype=np.float64),
        n_users=len(user_index),
        n_items=len(item_index),
    )


def kfold_indices(n: int, folds: int, seed: int) -> list[tuple[np.ndarray, np.ndarray]]:
    """Random K-fold split of ``range(n)``: a list of ``(train_idx, test_idx)`` pairs whose test parts
    are disjoint, cover ``range(n)`` and differ in size by at most one."""
    n, folds = int(n), int(folds)
    if folds < 2:
        raise ValueError(f"folds must be >= 2, got {folds}")
    if n < folds:
        raise ValueError(f"cannot split {n} items into {folds} folds")
    parts = np.array_split(np.random.default_rng(seed).permutation(n), folds)
    return [
        (np.sort(np.concatenate([parts[j] for j in range(folds) if j != k])), np.sort(parts[k]))
        for k in range(folds)
    ]
