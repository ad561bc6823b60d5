"""Where each dataset's data will come from on the next run, and whether it verifies
(``make data-status``; the ``data_status`` table of the report; issue 20, item 4).

Read-only: nothing is extracted, downloaded or pinned. Verification compares what is staged with
the registry's checksums and with the pins recorded at first use (``PINNED_CHECKSUMS.json``); a
staged archive is checked as a file (its members are checked when it is extracted, at the run).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import pandas as pd

from recdyn.data import fetch
from recdyn.data.registry import Archive, get_spec
from recdyn.data.staging import DigestCache, StagedEntry, inspect_staged, problems

COLUMNS = ["dataset", "variant", "source_setting", "next_run_uses", "path", "verification"]
DOWNLOADS_FILENAME = fetch.DOWNLOADS_FILENAME


def _pinned(pins: Mapping[str, Any], key: str) -> str | None:
    entry = pins.get(key)
    return entry.get("sha256") if isinstance(entry, Mapping) else None


def _check_file(path: Path, expected_sha: str | None, pinned_sha: str | None, md5: str | None,
                size: int | None, cache: DigestCache) -> str | None:
    """The first mismatch of ``path`` against what is known of it, or None."""
    seen_size = path.stat().st_size
    if size is not None and seen_size != size:
        return f"{path}: {seen_size} bytes, expected {size}"
    sha = cache.sha256(path)
    for label, expected in (("registry", expected_sha), ("pinned", pinned_sha)):
        if expected is not None and sha != expected:
            return f"{path}: sha256 {sha} differs from the {label} {expected}"
    if md5 is not None and fetch.file_digest(path, "md5") != md5:
        return f"{path}: md5 differs from the published {md5}"
    return None


def _verify_entry(entry: StagedEntry, raw_dir: Path, pins: Mapping[str, Any], cache: DigestCache) -> tuple[str, bool]:
    """(verification text, whether every checksum was known)."""
    archive: Archive = entry.archive
    known = True
    if entry.kind in ("archive", "file") and entry.path.parent == Path(raw_dir):
        pinned = _pinned(pins, archive.filename)
        problem = _check_file(entry.path, archive.sha256, pinned, archive.md5, archive.size, cache)
        known = archive.sha256 is not None or archive.md5 is not None or pinned is not None
        return (problem or "verified"), known
    for rel, path in sorted(entry.files.items()):
        pinned = _pinned(pins, archive.filename if archive.kind == "file" else f"{archive.folder}/{rel}")
        md5 = archive.file_md5.get(rel)
        problem = _check_file(path, archive.files.get(rel), pinned, md5, None, cache)
        if problem:
            return problem, known
        known &= archive.files.get(rel) is not None or md5 is not None or pinned is not None
    return "verified", known


def _downloaded(entry: StagedEntry, downloads: Mapping[str, Any], cache: DigestCache) -> bool:
    record = downloads.get(entry.archive.filename)
    return (entry.kind in ("archive", "file") and isinstance(record, Mapping)
            and record.get("sha256") == cache.sha256(entry.path))


def dataset_status(config: Mapping[str, Any], raw_dir: Path, dataset: str, spec_key: str,
                   cache: DigestCache | None = None) -> dict[str, str]:
    """One row of the status table for ``dataset`` (columns :data:`COLUMNS`)."""
    raw_dir = Path(raw_dir)
    cache = cache or DigestCache(None)
    spec = get_spec(spec_key)
    source = config["data"][dataset]["source"]
    row = {"dataset": dataset, "variant": spec_key, "source_setting": source}
    entries = inspect_staged(spec, raw_dir)
    if entries:
        row["path"] = ", ".join(sorted({str(entry.path) for entry in entries}))
        wrong = problems(entries)
        if wrong:
            row["verification"] = "FAILED: " + "; ".join(wrong)
        else:
            pins = fetch.load_pins(fetch.default_pins_path(raw_dir))
            downloads = fetch.load_downloads(raw_dir)
            results = [_verify_entry(entry, raw_dir, pins, cache) for entry in entries]
            failed = [text for text, _ in results if text != "verified"]
            unknown = not all(known for _, known in results)
            row["verification"] = ("FAILED: " + "; ".join(failed) if failed else
                                   "verified (checksums unknown so far: pinned at first use)" if unknown else "verified")
            kinds = {("downloaded archive" if _downloaded(entry, downloads, cache) else
                      "staged archive" if entry.kind in ("archive", "file") and entry.path.parent == raw_dir
                      else "staged folder") for entry in entries}
            what = " + ".join(sorted(kinds))
            row["next_run_uses"] = what if source != "synthetic" else f"synthetic (by request; {what} verified too)"
        if row["verification"].startswith("FAILED"):
            row["next_run_uses"] = "nothing: the run stops with this error"
        return row
    row["path"] = ", ".join(str(raw_dir / archive.filename) for archive in spec.archives) + " (not there)"
    row["verification"] = "nothing staged"
    if source == "synthetic":
        row["next_run_uses"] = "synthetic stand-in (by request)"
    elif config["data"]["allow_download"]:
        urls = ", ".join(archive.url for archive in spec.archives)
        row["next_run_uses"] = (f"download from {urls}; " + ("the run fails if that fails" if source == "real"
                                                           else "synthetic stand-in if that fails"))
    else:
        row["next_run_uses"] = ("nothing: the run stops (source=real, downloads disabled)" if source == "real"
                                else "synthetic stand-in (nothing staged, downloads disabled)")
    return row


def status_table(config: Mapping[str, Any], raw_dir: Path, datasets: list[str],
                 spec_key: Callable[[str], str], cache_path: Path | None = None) -> pd.DataFrame:
    """The status of every dataset, one row each."""
    cache = DigestCache(cache_path)
    rows = [dataset_status(config, raw_dir, dataset, spec_key(dataset), cache) for dataset in datasets]
    cache.save()
    return pd.DataFrame(rows, columns=COLUMNS)
