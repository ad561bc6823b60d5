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


def raw_artist_keys(mbid: pd.Series, name: pd.Series) -> pd.Series:
    """One key per artist of Celma's raw plays: the MusicBrainz id (trimmed, lower case); for a
    row without MBID the artist name (trimmed, lower case, as the public DuckDB ingest keys it),
    which becomes that MBID when the name has exactly one MBID elsewhere in the file.

    Why merge: Last.fm identifies artists by name and attaches the MBID it matched to the name,
    so an artist may have its MBID on some rows and none on others; keyed apart, one artist
    would count twice.  A name seen with several MBIDs (homonyms MusicBrainz tells apart) is
    ambiguous and its MBID-less rows stay a separate, name-keyed artist."""
    mbid = mbid.str.strip().str.lower()
    lowered = name.str.strip().str.lower()
    has = mbid != ""
    pairs = pd.DataFrame({"name": lowered[has], "mbid": mbid[has]}).drop_duplicates()
    unique = pairs.drop_duplicates("name", keep=False).set_index("name")["mbid"]
    by_name = lowered.map(unique)
    return mbid.where(has, by_name.where(by_name.notna(), "name:" + lowered))


def tidy_lastfm(folder: Path, spec: str) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """LastFM as three tables in one form for both variants: ``plays`` (user_id, artist_id,
    playcount = raw plays, rating = log(1 + plays) as in RecLab/section 5.3), ``artists``
    (artist_id, name, gender) and ``users`` (user_id, gender). The Shakespeare et al. files carry
    artist gender and no user gender; the raw 360K archive carries user gender and no artist gender
    (artists are identified by :func:`raw_artist_keys`: MusicBrainz id, or name where it has
    none; repeated (user, artist) rows, 421 in the real file, have their plays summed)."""
    if spec == "lastfm_raw":
        raw = loaders.load_lastfm_raw(folder)
        user_codes, user_keys = pd.factorize(raw.plays["user_sha1"], sort=True)
        artist_key = raw_artist_keys(raw.plays["artist_mbid"], raw.plays["artist_name"])
        artist_codes, artist_keys = pd.factorize(artist_key, sort=True)
        plays = pd.DataFrame({"user_id": user_codes, "artist_id": artist_codes, "playcount": raw.plays["plays"]})
        plays = plays.groupby(["user_id", "artist_id"], as_index=False)["playcount"].sum()
        names = raw.plays.groupby(artist_codes)["artist_name"].first()
        artists = pd.DataFrame({"artist_id": names.index, "name": names.to_numpy(), "gender": "undefined"})
        genders = raw.profiles.drop_duplicates("user_sha1").set_index("user_sha1")["gender"]
        users = pd.DataFrame({"user_id": np.arange(len(user_keys)),
                              "gender": genders.reindex(user_keys).fillna("").to_numpy()})
    else:
        data = loaders.load_lastfm(folder)
        plays = data.plays[["user_id", "artist_id", "playcount"]]
        artists = data.artists[["artist_id", "name", "gender"]]
        users = pd.DataFrame({"user_id": np.sort(plays["user_id"].unique()), "gender": ""})
    plays = plays.assign(rating=np.log1p(plays["playcount"].to_numpy(dtype=np.float64)))
    return plays, artists, users


def _process_lastfm(folder: Path, out_dir: Path, spec: str, subsample: Mapping[str, Any]) -> dict[str, Any]:
    plays, artists, users = tidy_lastfm(folder, spec)
    plays = subsample_users(plays, subsample["n_users"], subsample["seed"])
    tables = {
        "plays": plays,
        "artists": artists[artists["artist_id"].isin(plays["artist_id"].unique())].reset_index(drop=True),
        "users": users[users["user_id"].isin(plays["user_id"].unique())].reset_index(drop=True),
    }
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
