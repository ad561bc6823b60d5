"""What a user staged in the raw data folder, and a state file that makes it an input of the DAG.

Staging is all or nothing (issue 20, items 2 and 3): for each archive of a dataset the user may put
the archive at ``<raw_dir>/<filename>``, its extracted folder at ``<raw_dir>/<folder>`` (plain-file
datasets: the file at either place), or a symlink to either. :func:`inspect_staged` lists what is
there and every structural mistake (a dangling symlink, a plain file where the folder should be,
a folder lacking needed files, a dataset staged only in part) without judging checksums; the
verification against the registry and the pins is :func:`recdyn.data.fetch.find_staged`'s.

:func:`staged_state` is the content identity of what is staged (paths and SHA-256 of the files);
:func:`update_state_file` writes it to ``data/staged/<dataset>.json`` only when it changed, so the
file's modification time moves exactly when the staged data changed. The acquisition and
processing rules take that file as an input: replacing, corrupting or adding staged data makes the
next run re-verify it and rerun what depends on it, even after a failed run deleted the
intermediate folder (a missing intermediate alone would not trigger Snakemake). Digests are cached
by (device, inode, size, mtime, ctime) in ``data/staged/checksums.json``, so a 500 MB archive is
hashed once, not at every DAG build; any change of content changes ctime, so the cache cannot
serve a stale digest.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from recdyn.data.registry import Archive, DatasetSpec
from recdyn.io import read_json, write_json

STATE_DIR = Path("data/staged")
CACHE_NAME = "checksums.json"


@dataclass(frozen=True)
class StagedEntry:
    """One staged thing: an archive or plain file (``kind`` "archive"/"file") or an extracted
    folder ("folder"), its needed files found there, and what is wrong with it (``None``: nothing
    structural; checksums are checked elsewhere)."""

    archive: Archive
    kind: str
    path: Path
    files: dict[str, Path] = field(default_factory=dict)
    problem: str | None = None


def _dangling(path: Path) -> bool:
    return path.is_symlink() and not path.exists()


def _symlink_problem(path: Path) -> str:
    return f"{path} is a symlink to {os.readlink(path)}, which does not exist"


def _needed_in(folder: Path, archive: Archive) -> tuple[dict[str, Path], list[str]]:
    from recdyn.data.fetch import locate_files  # fetch imports this module

    found = locate_files(folder, archive)
    return found, [rel for rel in archive.files if rel not in found]


def _inspect_archive(archive: Archive, raw_dir: Path) -> list[StagedEntry]:
    packed, folder = raw_dir / archive.filename, raw_dir / archive.folder
    entries = []
    if _dangling(packed):
        entries.append(StagedEntry(archive, "archive", packed, problem=_symlink_problem(packed)))
    elif packed.exists():
        problem = None if packed.is_file() else f"{packed} should be the file {archive.filename}, not a folder"
        entries.append(StagedEntry(archive, "file" if archive.kind == "file" else "archive", packed,
                                   {archive.filename: packed}, problem))
    if archive.kind == "file":
        placed = folder / archive.filename
        if _dangling(placed):
            entries.append(StagedEntry(archive, "file", placed, problem=_symlink_problem(placed)))
        elif placed.exists() and not entries:
            problem = None if placed.is_file() else f"{placed} should be the file {archive.filename}, not a folder"
            entries.append(StagedEntry(archive, "file", placed, {archive.filename: placed}, problem))
        elif folder.exists() and not folder.is_dir() and not entries:
            entries.append(StagedEntry(archive, "folder", folder,
                                       problem=f"{folder} is a file; it should be a folder holding {archive.filename}"))
        return entries
    if _dangling(folder):
        entries.append(StagedEntry(archive, "folder", folder, problem=_symlink_problem(folder)))
    elif folder.exists():
        if not folder.is_dir():
            entries.append(StagedEntry(archive, "folder", folder, problem=(
                f"{folder} is a file where the extracted folder of {archive.filename} should be")))
        else:
            found, missing = _needed_in(folder, archive)
            problem = None
            if missing:
                what = "is empty" if not any(folder.iterdir()) else f"lacks {', '.join(missing)}"
                problem = (f"{folder} {what}: the extracted folder of {archive.filename} must hold "
                           f"{', '.join(archive.files)}")
            entries.append(StagedEntry(archive, "folder", folder, found, problem))
    return entries


def inspect_staged(spec: DatasetSpec, raw_dir: Path) -> list[StagedEntry]:
    """Everything staged for ``spec`` under ``raw_dir`` (empty: nothing at all), with problems.

    A dataset with several archives staged in part gets an entry whose problem names the archives
    that are missing."""
    raw_dir = Path(raw_dir)
    per_archive = {archive.filename: _inspect_archive(archive, raw_dir) for archive in spec.archives}
    entries = [entry for found in per_archive.values() for entry in found]
    absent = [archive for archive in spec.archives if not per_archive[archive.filename]]
    if entries and absent:
        names = ", ".join(a.filename for a in absent)
        entries.append(StagedEntry(absent[0], "missing", raw_dir / absent[0].filename, problem=(
            f"{spec.key} is only partly staged in {raw_dir}: {names} missing (stage every file, or none)")))
    return entries


def problems(entries: list[StagedEntry]) -> list[str]:
    """The structural problems of what is staged, one sentence each."""
    return [entry.problem for entry in entries if entry.problem]


# --------------------------------------------------------------------------- checksum cache


def _stat_key(path: Path) -> list[int]:
    st = os.stat(path)
    return [st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns]


class DigestCache:
    """SHA-256 digests of files, remembered by (device, inode, size, mtime, ctime)."""

    def __init__(self, path: Path | None) -> None:
        self.path = Path(path) if path is not None else None
        self.entries: dict[str, Any] = {}
        if self.path is not None and self.path.is_file():
            try:
                self.entries = read_json(self.path)
            except (OSError, ValueError):
                self.entries = {}
        self.changed = False

    def sha256(self, path: Path) -> str:
        from recdyn.data.fetch import file_digest

        real = str(Path(path).resolve())
        key = _stat_key(Path(real))
        hit = self.entries.get(real)
        if hit is not None and hit.get("stat") == key:
            return hit["sha256"]
        digest = file_digest(real)
        self.entries[real] = {"stat": key, "sha256": digest}
        self.changed = True
        return digest

    def save(self) -> None:
        if self.path is not None and self.changed:
            write_json(self.path, self.entries)
            self.changed = False


# --------------------------------------------------------------------------- state file


def staged_state(spec: DatasetSpec, raw_dir: Path, cache: DigestCache | None = None) -> dict[str, Any]:
    """Content identity of what is staged for ``spec``: per entry its path, kind, problem and the
    SHA-256 of its files. An archive present stands for itself, not for the folder extracted from
    it, so extracting it does not change the state. Never raises (DAG construction)."""
    cache = cache or DigestCache(None)
    entries = inspect_staged(spec, raw_dir)
    archives_present = {e.archive.filename for e in entries if e.kind in ("archive", "file") and e.path.parent == Path(raw_dir)}
    state = []
    for entry in entries:
        if entry.kind == "folder" and entry.archive.filename in archives_present:
            continue
        record: dict[str, Any] = {"archive": entry.archive.filename, "kind": entry.kind, "path": str(entry.path)}
        if entry.problem:
            record["problem"] = entry.problem
        files = {}
        for name, path in sorted(entry.files.items()):
            try:
                files[name] = cache.sha256(path)
            except OSError as error:
                files[name] = f"unreadable: {error.strerror}"
        record["sha256"] = files
        state.append(record)
    return {"dataset": spec.key, "raw_dir": str(raw_dir), "staged": state}


def state_path(dataset: str, state_dir: Path = STATE_DIR) -> Path:
    """``data/staged/<dataset>.json``: the input that stands for the dataset's staged files."""
    return Path(state_dir) / f"{dataset}.json"


def update_state_file(dataset: str, spec: DatasetSpec, raw_dir: Path, state_dir: Path = STATE_DIR) -> Path:
    """Write :func:`staged_state` to :func:`state_path` if it differs from what is there."""
    cache = DigestCache(Path(state_dir) / CACHE_NAME)
    state = staged_state(spec, raw_dir, cache)
    path = state_path(dataset, state_dir)
    try:
        current = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        current = None
    if current != state:
        write_json(path, state)
    cache.save()
    return path
