"""Mixture-of-Experts pool allocation (thesis section 4.4, Figure 4.5): offline dataset, two-tower
experts with a low-latency gating, Gaussian MoE likelihood training, random-pool baseline."""

from recdyn.moe.data import MoEDataset, offline_dataset, split_users
from recdyn.moe.evaluate import evaluate_topk, summarize_over_seeds, topk_metrics
from recdyn.moe.model import TwoTowerMoE, numpy_log_likelihood, random_feature_subsets, random_pools
from recdyn.moe.train import TrainSettings, build_model, fit_configurations, train_model

__all__ = [
    "MoEDataset", "TrainSettings", "TwoTowerMoE", "build_model", "evaluate_topk", "fit_configurations",
    "numpy_log_likelihood", "offline_dataset", "random_feature_subsets", "random_pools", "split_users",
    "summarize_over_seeds", "topk_metrics", "train_model",
]
