"""Precision@k and recall@k on the test set (thesis Figure 4.5: k = 5, averaged over the test
entries, both zero for entries without positive labels) and mean / standard error over seeds."""

from __future__ import annotations

import numpy as np
import pandas as pd
import scipy.sparse as sp
import torch

from recdyn.moe.data import MoEDataset
from recdyn.moe.model import TwoTowerMoE


def topk_metrics(scores: np.ndarray | torch.Tensor, labels: sp.spmatrix | np.ndarray, k: int = 5) -> tuple[np.ndarray, np.ndarray]:
    """Per-entry precision@k = hits / k and recall@k = hits / positives (0 without positives).

    ``scores`` and ``labels`` are (n_entries, n_items); top-k ties are broken by torch.topk."""
    scores_t = torch.as_tensor(scores)
    if k > scores_t.shape[1]:
        raise ValueError(f"k={k} exceeds the number of items {scores_t.shape[1]}")
    top = torch.topk(scores_t, k, dim=1).indices.cpu().numpy()
    dense = labels.toarray() if sp.issparse(labels) else np.asarray(labels)
    positive = dense > 0
    hits = np.take_along_axis(positive, top, axis=1).sum(axis=1).astype(np.float64)
    n_pos = positive.sum(axis=1)
    precision = hits / k
    recall = np.divide(hits, n_pos, out=np.zeros_like(hits), where=n_pos > 0)
    return precision, recall


@torch.no_grad()
def evaluate_topk(model: TwoTowerMoE, dataset: MoEDataset, k: int = 5, batch_size: int = 4096) -> dict[str, float]:
    """Mean precision@k and recall@k of ``model`` over the test users (scored in batches)."""
    device = next(model.parameters()).device
    model.eval()
    precision, recall = [], []
    for start in range(0, dataset.test_users.size, batch_size):
        users = dataset.test_users[start:start + batch_size]
        x = torch.as_tensor(dataset.features[users], device=device)
        p, r = topk_metrics(model.score_all(x), dataset.test_labels[start:start + batch_size], k)
        precision.append(p)
        recall.append(r)
    model.train()
    p_all, r_all = np.concatenate(precision), np.concatenate(recall)
    return {"precision": float(p_all.mean()), "recall": float(r_all.mean()),
            "no_positive_share": float(np.mean(np.diff(dataset.test_labels.indptr) == 0))}


def summarize_over_seeds(runs: pd.DataFrame, keys: tuple[str, ...] = ("c", "n_experts", "s", "embedding_dim", "model"),
                         metrics: tuple[str, ...] = ("precision", "recall")) -> pd.DataFrame:
    """Mean, standard error (std / sqrt(n), ddof 1; 0 for one seed) and seed count per configuration."""
    grouped = runs.groupby(list(keys), sort=True)
    out = grouped.size().rename("n_seeds").to_frame()
    for metric in metrics:
        out[f"{metric}_mean"] = grouped[metric].mean()
        std = grouped[metric].std(ddof=1).fillna(0.0)
        out[f"{metric}_se"] = std / np.sqrt(out["n_seeds"])
    return out.reset_index()


__all__ = ["evaluate_topk", "summarize_over_seeds", "topk_metrics"]
