"""Resolve ``data.<dataset>.source`` into files on disk (issue 2, item 3; issue 20, item 2).

``real``: staged in ``data/raw`` (archive or extracted folder) or downloaded; anything else is
an error. ``synthetic``: a deterministic stand-in in the real files' formats. ``auto``: real
when staged or downloadable, otherwise the stand-in with a warning. Under every source, anything
staged for the dataset must verify: a broken staging (a folder lacking files, an empty folder, a
plain file where the folder should be, a dangling symlink, a dataset staged in part, a corrupt or
wrong archive) is an error naming the path, never a reason to use the stand-in, which ``auto``
takes only when nothing at all is staged and downloading is disabled or fails. The result is a
folder with the dataset's files under their real names (real files are symlinked, not copied)
and ``source.json``.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from recdyn.data import fetch
from recdyn.data.registry import DatasetSpec, get_spec
from recdyn.data.synthetic.amazoncat import write_amazoncat
from recdyn.data.synthetic.lastfm import write_lastfm, write_lastfm_raw
from recdyn.data.synthetic.ml100k import write_ml100k
from recdyn.io import atomic_dir, write_json

log = logging.getLogger(__name__)

SYNTHETIC_WRITERS: dict[str, Callable[..., Mapping[str, Path]]] = {
    "ml100k": write_ml100k,
    "lastfm": write_lastfm,
    "lastfm_raw": write_lastfm_raw,
    "amazoncat": write_amazoncat,
}


def needed_files(spec: DatasetSpec, folder: Path) -> dict[str, Path]:
    """Map each needed file's base name to where it lies under ``folder``."""
    found: dict[str, Path] = {}
    for archive in spec.archives:
        located = fetch.locate_files(folder, archive)
        missing = sorted(set(archive.files) - set(located))
        if missing:
            raise fetch.StagingError(f"{folder}: needed files missing: {', '.join(missing)}")  # pragma: no cover
        found.update({Path(relative).name: path for relative, path in located.items()})
    return found


def _link_real(spec: DatasetSpec, folder: Path, out_dir: Path) -> dict[str, Any]:
    files = needed_files(spec, folder)
    for name, path in files.items():
        os.symlink(path.resolve(), out_dir / name)
    return {
        "source": "real",
        "origin": f"{spec.title}, from {folder}",
        "files": {name: fetch.file_digest(path) for name, path in files.items()},
    }


def _write_synthetic(spec_key: str, synthetic: Mapping[str, Any], out_dir: Path, reason: str) -> dict[str, Any]:
    params = dict(synthetic)
    seed = params.pop("seed")
    written = SYNTHETIC_WRITERS[spec_key](out_dir, seed=seed, **params)
    return {
        "source": "synthetic",
        "origin": f"recdyn synthetic stand-in for {spec_key} (seed {seed}, {params})",
        "reason": reason,
        "synthetic": dict(synthetic),
        "files": {Path(p).name: fetch.file_digest(Path(p)) for p in written.values()},
    }


def acquire_dataset(
    dataset: str, spec_key: str, data_config: Mapping[str, Any], raw_dir: Path, out_dir: Path,
    *, allow_download: bool, timeout: float, after_acquire: Callable[[], Any] | None = None,
) -> dict[str, Any]:
    """Fill ``out_dir`` with the dataset's files and ``source.json``; return the source record.

    ``after_acquire`` runs once the files are in place, before ``out_dir`` appears (the pipeline
    refreshes its staging record there, so a download does not look like new staging next run)."""
    source = data_config["source"]
    spec = get_spec(spec_key)
    raw_dir = Path(raw_dir)
    with atomic_dir(out_dir) as tmp:
        record = None
        if source == "synthetic":
            if fetch.find_staged(spec, raw_dir) is not None:  # verifies, so mistakes surface anyway
                log.info("%s: real data is staged in %s but data.%s.source=synthetic", dataset, raw_dir, dataset)
            reason = f"data.{dataset}.source=synthetic"
        else:
            try:
                folder = fetch.acquire(spec, raw_dir, allow_download=allow_download, timeout=timeout)
                record = _link_real(spec, folder, tmp)
            except (fetch.NotAvailableError, fetch.DownloadError) as error:
                if source == "real":
                    raise
                reason = f"data.{dataset}.source=auto and no real data: {error}"
                log.warning("%s: using a SYNTHETIC STAND-IN (%s)", dataset, reason)
        if record is None:
            record = _write_synthetic(spec_key, data_config["synthetic"], tmp, reason)
        record.update(dataset=dataset, spec=spec_key)
        write_json(tmp / "source.json", record)
        if after_acquire is not None:
            after_acquire()
    return record
