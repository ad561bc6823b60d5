"""Dataset summaries behind the data overview figures: value histogram, activity of rows
(users/items), popularity of columns (items/artists/categories) and group splits (gender).

Computing is kept apart from plotting: these JSON summaries are what the figure rules read.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd
import scipy.sparse as sp


def log_histogram(counts: np.ndarray, n_bins: int = 30) -> dict[str, list[float]]:
    """Histogram of positive counts on logarithmic bins (edges and counts)."""
    counts = np.asarray(counts, dtype=float)
    counts = counts[counts > 0]
    if counts.size == 0:
        return {"edges": [], "counts": []}
    edges = np.unique(np.geomspace(counts.min(), counts.max() * 1.0001, n_bins + 1))
    hist, edges = np.histogram(counts, bins=edges)
    return {"edges": edges.tolist(), "counts": hist.tolist()}


def linear_histogram(values: np.ndarray, n_bins: int = 40) -> dict[str, list[float]]:
    """Histogram of real values on equal-width bins."""
    hist, edges = np.histogram(np.asarray(values, dtype=float), bins=n_bins)
    return {"edges": edges.tolist(), "counts": hist.tolist()}


def rank_frequency(counts: np.ndarray, max_points: int = 2000) -> dict[str, list[float]]:
    """Counts sorted decreasingly against their rank, thinned to at most ``max_points`` log-spaced ranks."""
    ordered = np.sort(np.asarray(counts))[::-1]
    ranks = np.unique(np.geomspace(1, ordered.size, min(max_points, ordered.size)).astype(int))
    return {"ranks": ranks.tolist(), "counts": ordered[ranks - 1].tolist()}


def _category_counts(series: pd.Series) -> dict[str, int]:
    labels = series.astype("string").fillna("unknown").replace("", "unknown")
    return {str(k): int(v) for k, v in labels.value_counts().sort_index().items()}


def summarize_ml100k(ratings: pd.DataFrame, users: pd.DataFrame, items: pd.DataFrame) -> dict[str, Any]:
    """ML-100K: ratings 1..5, ratings per user and per item, user gender split."""
    values, counts = np.unique(ratings["rating"].to_numpy(), return_counts=True)
    per_user = ratings.groupby("user_id").size().to_numpy()
    per_item = ratings.groupby("item_id").size().to_numpy()
    return {
        "headline": f"{len(users):,} users, {len(items):,} items, {len(ratings):,} ratings",
        "shape": {"users": int(len(users)), "items": int(len(items)), "ratings": int(len(ratings)),
                  "min_ratings_per_user": int(per_user.min()), "mean_rating": float(ratings["rating"].mean())},
        "values": {"label": "rating", "discrete": True, "values": values.tolist(), "counts": counts.tolist()},
        "rows": {"label": "ratings per user", "log": True, "hist": log_histogram(per_user)},
        "columns": {"label": "ratings per item", "rank_frequency": rank_frequency(per_item)},
        "groups": {"label": "user gender", "counts": _category_counts(users["gender"])},
    }


def summarize_lastfm(plays: pd.DataFrame, artists: pd.DataFrame) -> dict[str, Any]:
    """LastFM: log(1+plays) values, artists per user, listeners per artist, artist gender split."""
    per_user = plays.groupby("user_id").size().to_numpy()
    per_artist = plays.groupby("artist_id").size().to_numpy()
    used = artists[artists["artist_id"].isin(plays["artist_id"].unique())]
    return {
        "headline": f"{plays['user_id'].nunique():,} users, {len(used):,} artists, {len(plays):,} user-artist pairs",
        "shape": {"users": int(plays["user_id"].nunique()), "artists": int(len(used)),
                  "entries": int(len(plays)), "min_artists_per_user": int(per_user.min())},
        "values": {"label": "log(1 + plays)", "discrete": False, "hist": linear_histogram(plays["rating"])},
        "rows": {"label": "artists per user", "log": True, "hist": log_histogram(per_user)},
        "columns": {"label": "listeners per artist", "rank_frequency": rank_frequency(per_artist)},
        "groups": {"label": "artist gender", "counts": _category_counts(used["gender"])},
    }


def uncovered_fraction(labels: sp.csr_matrix, first_rank: int = 3, last_rank: int = 102) -> float:
    """Fraction of items with none of the categories ranked ``first_rank``..``last_rank`` by frequency
    (thesis section 4.3 keeps ranks 3 to 102 and states that fewer than 5% of items are uncovered)."""
    frequency = np.asarray(labels.sum(axis=0)).ravel()
    kept = np.argsort(-frequency, kind="stable")[first_rank - 1:last_rank]
    covered = np.asarray(labels[:, kept].sum(axis=1)).ravel() > 0
    return float(1.0 - covered.mean())


def summarize_amazoncat(features: np.ndarray, labels: sp.csr_matrix) -> dict[str, Any]:
    """AmazonCat: labels per item, items per category (power law), feature value spread."""
    per_item = np.diff(labels.indptr)
    per_category = np.asarray(labels.sum(axis=0)).ravel()
    values, counts = np.unique(per_item, return_counts=True)
    sample = features[:: max(1, features.shape[0] // 2000), :].ravel()
    return {
        "headline": f"{labels.shape[0]:,} items, {labels.shape[1]:,} categories, {features.shape[1]}-d features",
        "shape": {"items": int(labels.shape[0]), "categories": int(labels.shape[1]),
                  "feature_dim": int(features.shape[1]), "labels": int(labels.nnz),
                  "uncovered_fraction_rank3_102": uncovered_fraction(labels)},
        "values": {"label": "labels per item", "discrete": True, "values": values.tolist(), "counts": counts.tolist()},
        "rows": {"label": "BERT feature value", "log": False, "hist": linear_histogram(sample)},
        "columns": {"label": "items per category", "rank_frequency": rank_frequency(per_category[per_category > 0])},
        "groups": None,
    }


def with_header(summary: Mapping[str, Any], dataset: str, manifest: Mapping[str, Any]) -> dict[str, Any]:
    """Attach the dataset name and its source (real/synthetic) to a summary."""
    return {"dataset": dataset, "source": manifest["source"], **summary}
