"""Download, verify, extract and stage the real datasets.

The real data can rarely be downloaded where the pipeline runs (clusters, CI), so a
user may *stage* it instead: put (or symlink) the archive at ``<raw_dir>/<filename>``
or the extracted folder at ``<raw_dir>/<folder>``.  Everything found is verified
against :mod:`recdyn.data.registry`; a checksum unknown there is recorded on first
sight in a pins file (``<raw_dir>/PINNED_CHECKSUMS.json``) and checked against it on
every later use ("record and pin").  Nothing is ever half-written: downloads go to
``.part`` files and extractions to temporary folders, renamed into place when whole.
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import gzip
import hashlib
import json
import logging
import os
import shutil
import sys
import tarfile
import time
import zipfile
import zlib
from collections.abc import Iterator
from pathlib import Path, PurePosixPath

import requests

from recdyn.data.registry import Archive, DatasetSpec
from recdyn.data.staging import StagedEntry, inspect_staged, problems
from recdyn.io import TMP_MARK, atomic_dir, write_json

log = logging.getLogger(__name__)

PINS_FILENAME = "PINNED_CHECKSUMS.json"
DOWNLOADS_FILENAME = "DOWNLOADED.json"  # archive -> sha256 and URL of what the pipeline downloaded
_CHUNK = 1 << 20
_DIGEST_MEMO: dict[tuple[int, int, int, int, int, str], str] = {}
_RACY_NS = 2_000_000_000  # files modified this recently are never memoized


class DataError(RuntimeError):
    """Base class of every data acquisition error."""


class ChecksumError(DataError):
    """A file's size or digest is not the expected one."""


class ArchiveError(DataError):
    """An archive is corrupt, truncated, unsafe or lacks a needed file."""


class DownloadError(DataError):
    """A download failed (connection, timeout, HTTP error)."""


class StagingError(DataError):
    """Something is staged for a dataset but does not verify or is misplaced (always an error:
    never a reason to fall back to a stand-in)."""


class NotAvailableError(DataError):
    """Nothing at all is staged for a dataset and downloading is disabled (``source: auto`` then
    uses the stand-in; ``source: real`` fails)."""


# --------------------------------------------------------------------------- digests


def file_digest(path: Path | str, algo: str = "sha256") -> str:
    """Hex digest of a file, streamed.

    Memoized in-process per (inode, size, mtime, ctime), so a large file verified
    twice in one run is read once; files changed in the last 2 s are not memoized
    (timestamps are coarse).
    """
    st = os.stat(path)
    key = (st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns, algo)
    if key in _DIGEST_MEMO:
        return _DIGEST_MEMO[key]
    with open(path, "rb") as fh:
        digest = hashlib.file_digest(fh, algo).hexdigest()
    if time.time_ns() - max(st.st_mtime_ns, st.st_ctime_ns) > _RACY_NS:
        _DIGEST_MEMO[key] = digest
    return digest


def verify_file(
    path: Path | str,
    *,
    size: int | None = None,
    md5: str | None = None,
    sha256: str | None = None,
    hint: str = "",
) -> None:
    """Check size (first, cheap) then md5 and sha256; ChecksumError on any mismatch.

    ``hint`` is appended to the message (what the user should do).
    """
    path = Path(path)
    seen_size = path.stat().st_size
    if size is not None and seen_size != size:
        what = (
            f"truncated: {seen_size} of {size} bytes"
            if seen_size < size
            else f"too large: {seen_size} bytes, expected {size}"
        )
        raise ChecksumError(f"{path}: {what}. {hint or _delete_hint(path)}")
    for algo, expected in (("md5", md5), ("sha256", sha256)):
        if expected is None:
            continue
        seen = file_digest(path, algo)
        if seen != expected.lower():
            raise ChecksumError(
                f"{path}: {algo} mismatch: expected {expected}, seen {seen} "
                f"({seen_size} bytes). {hint or _delete_hint(path)}"
            )


def _delete_hint(path: Path) -> str:
    return f"Delete or replace {path} with a good copy."


def _source_hint(archive: Archive, path: Path) -> str:
    return (
        f"Delete {path} and run again to download it afresh, or replace it with a good "
        f"copy of {archive.filename} from {archive.url}."
    )


# --------------------------------------------------------------------------- pins


def default_pins_path(raw_dir: Path) -> Path:
    """Where recorded checksums live unless told otherwise."""
    return Path(raw_dir) / PINS_FILENAME


def load_pins(pins_path: Path) -> dict[str, dict]:
    """The recorded checksums (empty when there is no pins file)."""
    try:
        text = Path(pins_path).read_text()
    except FileNotFoundError:
        return {}
    try:
        pins = json.loads(text)
    except json.JSONDecodeError as exc:
        raise StagingError(f"{pins_path}: not valid JSON ({exc}); fix or delete it") from exc
    if not isinstance(pins, dict):
        raise StagingError(f"{pins_path}: expected a JSON object; fix or delete it")
    return pins


@contextlib.contextmanager
def _locked(pins_path: Path) -> Iterator[None]:
    """Serialize read-modify-write of the pins file between processes (POSIX)."""
    pins_path.parent.mkdir(parents=True, exist_ok=True)
    with open(pins_path.with_name(pins_path.name + ".lock"), "a") as lock:
        try:
            import fcntl

            fcntl.flock(lock, fcntl.LOCK_EX)
        except ImportError:  # pragma: no cover - non-POSIX
            pass
        yield


def check_or_pin(pins_path: Path, key: str, path: Path, url: str, hint: str = "") -> str:
    """Verify ``path`` against its pinned sha256, or record it when not yet pinned.

    Returns the sha256.  ``key`` is the archive's filename, or ``<folder>/<relpath>``
    for an extracted file.
    """
    digest = file_digest(path)
    size = path.stat().st_size
    with _locked(pins_path):
        pins = load_pins(pins_path)
        entry = pins.get(key)
        if entry is not None:
            expected = entry.get("sha256")
            if expected != digest:
                raise ChecksumError(
                    f"{path}: sha256 {digest} ({size} bytes) differs from the one recorded "
                    f"for {key} in {pins_path} on {entry.get('recorded_at', '?')}: expected "
                    f"{expected} ({entry.get('size', '?')} bytes). "
                    f"{hint or _delete_hint(path)} If the upstream file really changed, "
                    f"delete the entry {key!r} from {pins_path}."
                )
            return digest
        pins[key] = {
            "sha256": digest,
            "size": size,
            "url": url,
            "recorded_at": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
        }
        write_json(pins_path, pins)
    log.warning(
        "no sha256 known for %s: recorded sha256=%s size=%d in %s; paste it into "
        "recdyn/data/registry.py to pin it for everyone",
        key, digest, size, pins_path,
    )
    return digest


def _verify_archive_file(path: Path, archive: Archive, pins_path: Path) -> None:
    """Registry checksums of a downloaded or staged archive, then record-and-pin."""
    hint = _source_hint(archive, path)
    verify_file(path, size=archive.size, md5=archive.md5, sha256=archive.sha256, hint=hint)
    if archive.sha256 is None:
        check_or_pin(pins_path, archive.filename, path, archive.url, hint)


# --------------------------------------------------------------------------- download


class _Progress:
    """A tqdm bar on a terminal, else a log line every 10 % (or 30 s if size unknown)."""

    def __init__(self, name: str, total: int | None, done: int, enabled: bool) -> None:
        self.name, self.total, self.done = name, total, done
        self.bar = None
        self.last_log, self.last_frac = time.monotonic(), -1.0
        if enabled and sys.stderr.isatty():
            from tqdm import tqdm

            self.bar = tqdm(total=total, initial=done, unit="B", unit_scale=True,
                            desc=name, file=sys.stderr)
        self.enabled = enabled

    def update(self, n: int) -> None:
        self.done += n
        if self.bar is not None:
            self.bar.update(n)
        elif self.enabled:
            self._maybe_log()

    def _maybe_log(self) -> None:
        now = time.monotonic()
        if self.total:
            frac = self.done / self.total
            if frac - self.last_frac >= 0.1 or self.done >= self.total:
                self.last_frac = frac
                log.info("%s: %d of %d bytes (%.0f%%)", self.name, self.done, self.total,
                         100 * frac)
        elif now - self.last_log >= 30:
            self.last_log = now
            log.info("%s: %d bytes", self.name, self.done)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()


def _staging_hint(archive: Archive, raw_dir: Path) -> str:
    where = f"{raw_dir}/{archive.filename}"
    if archive.kind == "file":
        alt = f"{raw_dir}/{archive.folder}/{archive.filename}"
    else:
        holding = ", ".join(archive.files)
        alt = f"the extracted folder {raw_dir}/{archive.folder}/ (holding {holding})"
    return f"Download it elsewhere and stage it: place or symlink it at {where}, or {alt}."


def _open_stream(url: str, offset: int, timeout: float) -> requests.Response:
    # identity: byte ranges and sizes must refer to the file, not a compressed body.
    headers = {"Accept-Encoding": "identity", "User-Agent": "recdyn-fetch"}
    if offset:
        headers["Range"] = f"bytes={offset}-"
    return requests.get(url, stream=True, timeout=(timeout, timeout), headers=headers)


def _resume_offset(resp: requests.Response, offset: int) -> int | None:
    """Offset at which the body starts: ``offset`` if the server honoured Range, 0 if it
    sent the whole file, None if the range was not satisfiable."""
    if resp.status_code == 416:
        return None
    resp.raise_for_status()
    if offset and resp.status_code == 206:
        start = resp.headers.get("Content-Range", "").removeprefix("bytes ").split("-")[0]
        if start.strip() == str(offset):
            return offset
        log.warning("server answered range %r for offset %d; restarting", start, offset)
        return None
    if offset:
        log.info("server ignored the Range request; restarting from byte 0")
    return 0


def _fetch_to_part(archive: Archive, part: Path, timeout: float, progress: bool) -> None:
    """Stream ``archive.url`` into ``part``, resuming it if possible."""
    for attempt in range(2):
        offset = part.stat().st_size if part.exists() else 0
        if archive.size is not None and offset == archive.size:
            return  # complete but not yet verified: nothing to fetch
        if archive.size is not None and offset > archive.size:
            part.unlink()
            offset = 0
        with _open_stream(archive.url, offset, timeout) as resp:
            start = _resume_offset(resp, offset)
            if start is None:
                part.unlink(missing_ok=True)
                if attempt == 0:
                    continue
                raise DownloadError(f"{archive.url}: server refused the byte range twice")
            length = resp.headers.get("Content-Length")
            total = start + int(length) if length and length.isdigit() else archive.size
            bar = _Progress(archive.filename, total, start, progress)
            try:
                with open(part, "ab" if start else "wb") as fh:
                    for chunk in resp.iter_content(_CHUNK):
                        fh.write(chunk)
                        bar.update(len(chunk))
            finally:
                bar.close()
        return


def download(
    archive: Archive,
    raw_dir: Path,
    *,
    timeout: float = 30,
    pins_path: Path | None = None,
    progress: bool = True,
) -> Path:
    """Download ``archive`` into ``raw_dir`` (resuming a ``.part``), verify, rename.

    Tries ``archive.url``, then each of ``archive.mirrors`` in order: a source that fails
    (network or HTTP error, or a file that does not verify) passes to the next, which resumes
    a kept ``.part`` (every source serves the same file: the checksums say so).

    Returns ``<raw_dir>/<filename>``.  Raises DownloadError (no source could be downloaded
    from; the message names each) or ChecksumError (the last source's file was wrong; the
    ``.part`` is then deleted).
    """
    from dataclasses import replace

    raw_dir = Path(raw_dir)
    raw_dir.mkdir(parents=True, exist_ok=True)
    pins_path = Path(pins_path) if pins_path else default_pins_path(raw_dir)
    final = raw_dir / archive.filename
    part = raw_dir / (archive.filename + ".part")
    urls = (archive.url, *archive.mirrors)
    failures: list[str] = []
    for attempt, url in enumerate(urls):
        source = archive if url == archive.url else replace(archive, url=url, mirrors=())
        last = attempt == len(urls) - 1
        log.info("downloading %s to %s", url, final)
        try:
            _fetch_to_part(source, part, timeout, progress)
        except requests.RequestException as exc:
            failures.append(f"from {url}: {exc}")
            if not last:
                log.warning("could not download %s from %s (%s); trying %s", archive.filename, url, exc, urls[attempt + 1])
                continue
            kept = part.exists() and part.stat().st_size > 0
            raise DownloadError(
                f"could not download {archive.filename} {'; '.join(failures)}. "
                + (f"The partial file {part} is kept; running again resumes it. " if kept else "")
                + _staging_hint(archive, raw_dir)
            ) from exc
        try:
            _verify_archive_file(part, source, pins_path)
        except ChecksumError as exc:
            part.unlink(missing_ok=True)
            if last:
                raise
            failures.append(f"from {url}: {exc}")
            log.warning("%s from %s does not verify; trying %s", archive.filename, url, urls[attempt + 1])
            continue
        os.replace(part, final)
        log.info("downloaded and verified %s (from %s)", final, url)
        return final
    raise AssertionError("unreachable: the last source returns or raises")  # pragma: no cover


# --------------------------------------------------------------------------- extract


def _unsafe(name: str) -> bool:
    """True for a member name that is absolute or climbs out with ``..``."""
    norm = name.replace("\\", "/")
    drive = len(norm) > 1 and norm[1] == ":"
    return norm.startswith("/") or drive or ".." in PurePosixPath(norm).parts


def _extract_zip(path: Path, into: Path) -> None:
    with zipfile.ZipFile(path) as zf:
        for info in zf.infolist():
            if _unsafe(info.filename):
                raise ArchiveError(f"{path}: refusing unsafe member path {info.filename!r}")
        bad = zf.testzip()
        if bad is not None:
            raise ArchiveError(f"{path}: member {bad!r} is corrupt (CRC mismatch)")
        zf.extractall(into)


def _extract_tar(path: Path, into: Path) -> None:
    with tarfile.open(path, "r:gz") as tf:
        for member in tf:
            if _unsafe(member.name):
                raise ArchiveError(f"{path}: refusing unsafe member path {member.name!r}")
            if (member.issym() or member.islnk()) and _unsafe(member.linkname):
                raise ArchiveError(f"{path}: refusing link {member.name!r} -> {member.linkname!r}")
            if not (member.isfile() or member.isdir() or member.issym() or member.islnk()):
                raise ArchiveError(f"{path}: refusing special member {member.name!r}")
            if hasattr(tarfile, "data_filter"):
                tf.extract(member, into, filter="data")
            else:  # pragma: no cover - Python without extraction filters
                tf.extract(member, into)


def _unpack(path: Path, into: Path, archive: Archive) -> None:
    """Unpack into ``into``; every form of corruption becomes ArchiveError."""
    try:
        if archive.kind == "zip":
            _extract_zip(path, into)
        else:
            _extract_tar(path, into)
    except ArchiveError:
        raise
    except (zipfile.BadZipFile, tarfile.TarError, EOFError, zlib.error, gzip.BadGzipFile) as exc:
        raise ArchiveError(
            f"{path}: corrupt or truncated {archive.kind} archive ({exc}). "
            + _source_hint(archive, path)
        ) from exc


def _tree_root(tmp: Path, archive: Archive) -> Path:
    """The archive's top folder if it has exactly that one entry, else the whole tree."""
    entries = [e for e in tmp.iterdir() if e.name != "__MACOSX"]
    if len(entries) == 1 and entries[0].name == archive.folder and entries[0].is_dir():
        return entries[0]
    return tmp


def locate_files(folder: Path, archive: Archive) -> dict[str, Path]:
    """Needed file name -> its path under ``folder`` (searched by base name if
    ``archive.locate``).  Missing files are left out."""
    found: dict[str, Path] = {}
    for rel in archive.files:
        direct = folder / rel
        if direct.is_file():
            found[rel] = direct
        elif archive.locate:
            hits = sorted(p for p in folder.rglob(PurePosixPath(rel).name) if p.is_file())
            if len(hits) > 1:
                raise StagingError(f"{folder}: several files named {rel}: {hits}; keep one")
            if hits:
                found[rel] = hits[0]
    return found


def _verify_tree(
    folder: Path, archive: Archive, pins_path: Path, missing_error: type[DataError]
) -> dict[str, Path]:
    """Check the needed files exist under ``folder`` and match known or pinned sha256s."""
    found = locate_files(folder, archive)
    missing = [rel for rel in archive.files if rel not in found]
    if missing:
        raise missing_error(
            f"{folder} lacks {', '.join(missing)} (needed from {archive.filename}). "
            f"Delete or complete {folder}, or stage {archive.filename} from {archive.url}."
        )
    for rel, path in found.items():
        hint = f"Replace {path} with the file from {archive.filename} ({archive.url})."
        verify_file(path, sha256=archive.files[rel], md5=archive.file_md5.get(rel), hint=hint)
        if archive.files[rel] is None and archive.kind != "file":  # plain files: pinned as archives
            key = f"{archive.folder}/{path.relative_to(folder).as_posix()}"
            check_or_pin(pins_path, key, path, archive.url, hint)
    return found


def _place_file(src: Path, dest: Path, archive: Archive) -> Path:
    """Plain-file "extraction": link (or copy) ``src`` to ``dest/<filename>`` atomically."""
    dest.mkdir(parents=True, exist_ok=True)
    target = dest / archive.filename
    tmp = dest / f".{archive.filename}{TMP_MARK}{os.getpid()}"
    tmp.unlink(missing_ok=True)
    if src.is_symlink():
        os.symlink(src.resolve(), tmp)
    else:
        try:
            os.link(src, tmp)
        except OSError:
            shutil.copy2(src, tmp)
    os.replace(tmp, target)
    return dest


def extract(
    archive_path: Path, dest: Path, archive: Archive, *, pins_path: Path | None = None
) -> Path:
    """Extract ``archive_path`` into ``dest`` (which must not exist) and verify the
    needed files; returns ``dest``.  Works in a temporary folder next to ``dest`` and
    renames it into place, so a failure leaves nothing behind."""
    archive_path, dest = Path(archive_path), Path(dest)
    pins_path = Path(pins_path) if pins_path else default_pins_path(dest.parent)
    if archive.kind == "file":
        _place_file(archive_path, dest, archive)
        _verify_tree(dest, archive, pins_path, ArchiveError)
        return dest
    if dest.exists() or dest.is_symlink():
        raise ArchiveError(f"cannot extract {archive_path}: {dest} already exists; delete it first")
    with atomic_dir(dest) as tmp:
        _unpack(archive_path, tmp, archive)
        root = _tree_root(tmp, archive)
        _verify_tree(root, archive, pins_path, ArchiveError)
        if root != tmp:  # the archive's single top folder becomes dest itself
            for entry in list(tmp.iterdir()):
                if entry != root:
                    shutil.rmtree(entry) if entry.is_dir() else entry.unlink()
            for entry in list(root.iterdir()):
                os.replace(entry, tmp / entry.name)
            root.rmdir()
    log.info("extracted %s to %s", archive_path, dest)
    return dest


# --------------------------------------------------------------------------- staging


def _verify_staged(entry: StagedEntry, raw_dir: Path, pins_path: Path) -> Path:
    """Verify one structurally sound staged entry; returns the folder holding its needed files
    (extracting a staged archive first if its folder is not there yet)."""
    archive = entry.archive
    folder = raw_dir / archive.folder
    if entry.kind in ("archive", "file") and entry.path.parent == raw_dir:
        _verify_archive_file(entry.path, archive, pins_path)
        if archive.kind == "file" or not (folder.exists() or folder.is_symlink()):
            return extract(entry.path, folder, archive, pins_path=pins_path)
    elif entry.kind == "file":
        _verify_archive_file(entry.path, archive, pins_path)
    _verify_tree(folder, archive, pins_path, StagingError)
    return folder


def find_staged(spec: DatasetSpec, raw_dir: Path, pins_path: Path | None = None) -> Path | None:
    """The verified folder of the staged real files of ``spec``, or None if nothing at all is
    staged.

    Accepts, per archive, the archive at ``raw_dir/<filename>`` (extracted on the fly) or the
    extracted folder ``raw_dir/<folder>`` (either may be a symlink). Staging is all or nothing:
    a dataset staged in part, an empty or incomplete folder, a plain file where the folder should
    be, a dangling symlink raise :class:`StagingError`, a wrong checksum :class:`ChecksumError`,
    a corrupt archive :class:`ArchiveError`; each message names the path. A staged archive is
    verified even when its extracted folder is already there, so replacing it with a bad copy is
    caught.
    """
    raw_dir = Path(raw_dir)
    pins_path = Path(pins_path) if pins_path else default_pins_path(raw_dir)
    entries = inspect_staged(spec, raw_dir)
    if not entries:
        return None
    wrong = problems(entries)
    if wrong:
        raise StagingError(f"{spec.key}: the data staged in {raw_dir} is not usable:\n  - "
                           + "\n  - ".join(wrong) + "\n" + staging_instructions(spec, raw_dir))
    folders = [_verify_staged(entry, raw_dir, pins_path) for entry in entries
               if not (entry.kind == "folder" and any(e.archive is entry.archive and e.kind != "folder"
                                                      for e in entries))]
    return folders[0]


def staging_instructions(
    spec: DatasetSpec, raw_dir: Path, archives: tuple[Archive, ...] | None = None
) -> str:
    """Human instructions: which file to place where, with URL and checksums."""
    lines = [f"{spec.title}: {spec.licence_note}."]
    for a in archives or spec.archives:
        sums = ", ".join(
            f"{k} {v}" for k, v in (("size", a.size), ("md5", a.md5), ("sha256", a.sha256)) if v
        ) or "checksum unknown, recorded on first use"
        lines.append(f"  - download {a.filename} from {a.url} ({sums})")
        lines.append(f"    and place or symlink it at {Path(raw_dir) / a.filename}")
        if a.kind != "file":
            lines.append(
                f"    or its extracted folder at {Path(raw_dir) / a.folder}/ "
                f"(holding {', '.join(a.files)})"
            )
        else:
            lines.append(f"    or at {Path(raw_dir) / a.folder / a.filename}")
    return "\n".join(lines)


def acquire(
    spec: DatasetSpec,
    raw_dir: Path,
    *,
    allow_download: bool,
    timeout: float = 30,
    pins_path: Path | None = None,
    progress: bool = True,
) -> Path:
    """Folder of verified real files: what is staged (all of it, verified), else downloaded if
    allowed (:class:`DownloadError` when that fails), else :class:`NotAvailableError` saying
    exactly what to place where."""
    raw_dir = Path(raw_dir)
    pins_path = Path(pins_path) if pins_path else default_pins_path(raw_dir)
    entries = inspect_staged(spec, raw_dir)
    present = {e.archive.filename for e in entries if e.kind != "missing"}
    if allow_download and present and len(problems(entries)) == 1 and entries[-1].kind == "missing":
        for archive in spec.archives:  # complete a dataset staged (or downloaded) in part
            if archive.filename not in present:
                try:
                    path = download(archive, raw_dir, timeout=timeout, pins_path=pins_path, progress=progress)
                    _record_download(raw_dir, archive, path)
                except DownloadError as error:
                    raise StagingError(f"{spec.key} is only partly staged in {raw_dir} and the missing "
                                       f"{archive.filename} could not be downloaded: {error}") from error
    staged = find_staged(spec, raw_dir, pins_path)
    if staged is not None:
        return staged
    if not allow_download:
        raise NotAvailableError(
            f"{spec.key}: real data not staged in {raw_dir} and downloads are disabled.\n"
            + staging_instructions(spec, raw_dir))
    folders = []
    for archive in spec.archives:
        path = download(archive, raw_dir, timeout=timeout, pins_path=pins_path, progress=progress)
        _record_download(raw_dir, archive, path)
        folders.append(extract(path, raw_dir / archive.folder, archive, pins_path=pins_path))
    return folders[0]


def load_downloads(raw_dir: Path) -> dict[str, dict]:
    """What the pipeline downloaded into ``raw_dir`` (archive name -> sha256, url), so that a
    downloaded archive can be told from one a user staged."""
    return load_pins(Path(raw_dir) / DOWNLOADS_FILENAME)


def _record_download(raw_dir: Path, archive: Archive, path: Path) -> None:
    record = Path(raw_dir) / DOWNLOADS_FILENAME
    with _locked(record):
        downloads = load_downloads(raw_dir)
        downloads[archive.filename] = {"sha256": file_digest(path), "url": archive.url}
        write_json(record, downloads)
