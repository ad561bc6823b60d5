"""Validated, tidy tables from the acquired files (real or stand-in), plus a manifest per dataset.

``data/processed/<dataset>/`` holds parquet tables (or npy/npz arrays for AmazonCat) and
``manifest.json``: the acquisition record (real/synthetic, origin, file checksums) and the tables'
shapes. Every later rule reads only these.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import scipy.sparse as sp

from recdyn.data import loaders, summary
from recdyn.io import atomic_path, read_json, write_json

log = logging.getLogger(__name__)


def _write_parquet(table: pd.DataFrame, path: Path) -> None:
    with atomic_path(path) as tmp:
        table.to_parquet(tmp, index=False)


def subsample_users(plays: pd.DataFrame, n_users: int | None, seed: int) -> pd.DataFrame:
    """Keep ``n_users`` users drawn uniformly without replacement (thesis section 5.3 uses 13,698
    LastFM users without stating how they were chosen; this is our explicit rule)."""
    users = np.sort(plays["user_id"].unique())
    if n_users is None:
        return plays
    if n_users > users.size:
        raise ValueError(f"data.lastfm.subsample.n_users={n_users} but the data has only {users.size} users")
    chosen = np.random.default_rng(seed).choice(users, size=n_users, replace=False)
    return plays[plays["user_id"].isin(chosen)].reset_index(drop=True)


def _process_ml100k(folder: Path, out_dir: Path) -> dict[str, Any]:
    data = loaders.load_ml100k(folder)
    tables = {"ratings": data.ratings, "users": data.users, "items": data.items}
    for name, table in tables.items():
        _write_parquet(table, out_dir / f"{name}.parquet")
    return {name: list(table.shape) for name, table in tables.items()}


def _process_lastfm(folder: Path, out_dir: Path, spec: str, subsample: Mapping[str, Any]) -> dict[str, Any]:
    data = loaders.load_lastfm_raw(folder) if spec == "lastfm_raw" else loaders.load_lastfm(folder)
    plays = subsample_users(data.plays, subsample["n_users"], subsample["seed"])
    artists = data.artists[data.artists["artist_id"].isin(plays["artist_id"].unique())].reset_index(drop=True)
    users = data.users[data.users["user_id"].isin(plays["user_id"].unique())].reset_index(drop=True)
    tables = {"plays": plays, "artists": artists, "users": users}
    for name, table in tables.items():
        _write_parquet(table, out_dir / f"{name}.parquet")
    return {name: list(table.shape) for name, table in tables.items()}


def _process_amazoncat(folder: Path, out_dir: Path) -> dict[str, Any]:
    data = loaders.load_amazoncat(folder)
    with atomic_path(out_dir / "features.npy") as tmp:
        with open(tmp, "wb") as handle:
            np.save(handle, data.features)
    with atomic_path(out_dir / "labels.npz") as tmp:
        with open(tmp, "wb") as handle:
            sp.save_npz(handle, data.labels.tocsr())
    return {"features": list(data.features.shape), "labels": list(data.labels.shape)}


def process_dataset(interim: Path, out_dir: Path, subsample: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """Load and validate the acquired files of one dataset; write tidy tables and the manifest."""
    source = read_json(Path(interim) / "source.json")
    dataset, spec = source["dataset"], source["spec"]
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    if dataset == "ml100k":
        shapes = _process_ml100k(Path(interim), out_dir)
    elif dataset == "lastfm":
        if subsample is None:
            raise ValueError("lastfm needs the data.lastfm.subsample configuration")
        shapes = _process_lastfm(Path(interim), out_dir, spec, subsample)
    elif dataset == "amazoncat":
        shapes = _process_amazoncat(Path(interim), out_dir)
    else:
        raise ValueError(f"{interim}/source.json: unknown dataset {dataset!r}")
    manifest = {**source, "tables": shapes, "subsample": dict(subsample) if subsample else None}
    write_json(out_dir / "manifest.json", manifest)
    log.info("%s (%s): %s", dataset, source["source"], shapes)
    return manifest


def summarize_processed(dataset: str, folder: Path) -> dict[str, Any]:
    """Summary (see :mod:`recdyn.data.summary`) of a processed dataset folder."""
    folder = Path(folder)
    manifest = read_json(folder / "manifest.json")
    if dataset == "ml100k":
        result = summary.summarize_ml100k(*(pd.read_parquet(folder / f"{n}.parquet") for n in ("ratings", "users", "items")))
    elif dataset == "lastfm":
        result = summary.summarize_lastfm(pd.read_parquet(folder / "plays.parquet"), pd.read_parquet(folder / "artists.parquet"))
    elif dataset == "amazoncat":
        result = summary.summarize_amazoncat(np.load(folder / "features.npy", mmap_mode="r"), sp.load_npz(folder / "labels.npz").tocsr())
    else:
        raise ValueError(f"unknown dataset {dataset!r}")
    return summary.with_header(result, dataset, manifest)
