"""The one atomic write of the project: every output lands complete or not at all.

A file is written to a temporary name in its final folder and renamed onto the target only when
the writer succeeded; a folder is filled under a temporary name and renamed the same way. Both get
the permissions the user's umask gives an ordinary new file or folder (``0o666``/``0o777`` minus
the umask; ``tempfile`` would leave them private, ``0o600``/``0o700``), so results on a shared
cluster file system are readable by the group as usual.

Temporary names all contain :data:`TMP_MARK`; a killed job can leave one behind, and
:func:`remove_orphans` (run at the start of every pipeline run) deletes them.
"""

from __future__ import annotations

import io
import json
import os
import shutil
import tempfile
import zipfile
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np

#: Part of every temporary name made here (``.<name>.recdyn-tmp-<random>``).
TMP_MARK = ".recdyn-tmp-"
_ZIP_EPOCH = (1980, 1, 1, 0, 0, 0)


def current_umask() -> int:
    """The process umask, read without changing it where /proc allows (Linux), else set and restored."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except OSError:
        pass
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def _temp_prefix(target: Path) -> str:
    return f".{target.name}{TMP_MARK}"


@contextmanager
def atomic_path(path: str | os.PathLike[str]) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; rename it onto ``path`` only if the block succeeds.

    The block may write the temporary path any way it likes (open it, or hand it to a library).
    """
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    handle, tmp_name = tempfile.mkstemp(dir=target.parent, prefix=_temp_prefix(target))
    os.close(handle)
    tmp = Path(tmp_name)
    try:
        yield tmp
        if tmp.is_file() and not tmp.is_symlink():
            os.chmod(tmp, 0o666 & ~current_umask())
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)


@contextmanager
def atomic_dir(path: str | os.PathLike[str]) -> Iterator[Path]:
    """Yield an empty temporary folder beside ``path``; it replaces ``path`` (and whatever was there)
    only if the block succeeds."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(dir=target.parent, prefix=_temp_prefix(target)))
    try:
        yield tmp
        os.chmod(tmp, 0o777 & ~current_umask())
        if target.is_symlink() or target.is_file():
            target.unlink()
        elif target.exists():
            shutil.rmtree(target)
        os.replace(tmp, target)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)


def write_atomic(path: str | os.PathLike[str], writer: Callable[[Path], Any]) -> Path:
    """Call ``writer(tmp_path)`` and move the result onto ``path``."""
    with atomic_path(path) as tmp:
        writer(tmp)
    return Path(path)


def write_bytes(path: str | os.PathLike[str], data: bytes) -> Path:
    """Write ``data`` to ``path`` atomically."""
    return write_atomic(path, lambda tmp: tmp.write_bytes(data))


def write_text(path: str | os.PathLike[str], text: str) -> Path:
    """Write UTF-8 ``text`` to ``path`` atomically."""
    return write_bytes(path, text.encode("utf-8"))


def write_json(path: str | os.PathLike[str], data: Any) -> Path:
    """Write indented, key-sorted JSON atomically."""
    return write_text(path, json.dumps(data, indent=2, sort_keys=True, default=str) + "\n")


def read_json(path: str | os.PathLike[str]) -> Any:
    """Read a JSON file."""
    return json.loads(Path(path).read_text(encoding="utf-8"))


def npz_bytes(arrays: Mapping[str, np.ndarray], *, compress: bool = False) -> bytes:
    """The bytes of an ``.npz`` archive as ``np.savez``/``np.savez_compressed`` write it, but with a
    fixed member timestamp, so equal arrays give equal bytes (``np.savez`` stamps the current time)."""
    buffer = io.BytesIO()
    method = zipfile.ZIP_DEFLATED if compress else zipfile.ZIP_STORED
    with zipfile.ZipFile(buffer, mode="w", compression=method, allowZip64=True) as archive:
        for name, array in arrays.items():
            info = zipfile.ZipInfo(f"{name}.npy", date_time=_ZIP_EPOCH)
            info.compress_type = method
            info.external_attr = 0o600 << 16  # as numpy's own writer sets it
            with archive.open(info, mode="w", force_zip64=True) as member:
                np.lib.format.write_array(member, np.asanyarray(array), allow_pickle=False)
    return buffer.getvalue()


def write_npz(path: str | os.PathLike[str], arrays: Mapping[str, np.ndarray], *, compress: bool = False) -> Path:
    """Write arrays as a reproducible ``.npz`` (see :func:`npz_bytes`) atomically."""
    return write_bytes(path, npz_bytes(arrays, compress=compress))


def remove_orphans(roots: Iterable[str | os.PathLike[str]]) -> list[Path]:
    """Delete temporary files and folders that killed jobs left under ``roots``; return them.

    Only names made by this module (containing :data:`TMP_MARK`) are touched, so a download's
    resumable ``.part`` file or a user's own files are never removed. Call it when no job of this
    working directory runs (at the start of a run: Snakemake's lock guarantees that).
    """
    removed = []
    for root in roots:
        root = Path(root)
        if not root.is_dir():
            continue
        for current, dirs, files in os.walk(root):
            for name in [*dirs, *files]:
                if TMP_MARK in name:
                    found = Path(current) / name
                    if found.is_dir() and not found.is_symlink():
                        shutil.rmtree(found, ignore_errors=True)
                    else:
                        found.unlink(missing_ok=True)
                    removed.append(found)
            dirs[:] = [d for d in dirs if TMP_MARK not in d]
    return removed
