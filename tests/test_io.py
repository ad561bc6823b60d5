"""The one atomic write: complete-or-nothing, umask permissions, reproducible npz, orphan cleanup."""

from __future__ import annotations

import os
import stat

import numpy as np
import pytest

from recdyn.io import (TMP_MARK, atomic_dir, atomic_path, current_umask, npz_bytes, remove_orphans, write_json,
                       write_npz)


@pytest.fixture
def umask():
    """Set a umask for the test and restore the previous one."""
    saved = os.umask(0o022)
    os.umask(saved)

    def set_mask(mask: int) -> None:
        os.umask(mask)

    yield set_mask
    os.umask(saved)


def mode(path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


@pytest.mark.parametrize("mask, file_mode, dir_mode", [(0o022, 0o644, 0o755), (0o027, 0o640, 0o750),
                                                        (0o002, 0o664, 0o775)])
def test_outputs_get_the_umask_permissions_of_ordinary_files(tmp_path, umask, mask, file_mode, dir_mode):
    umask(mask)
    assert current_umask() == mask
    write_json(tmp_path / "a" / "x.json", {"k": 1})
    with atomic_path(tmp_path / "y.bin") as tmp:
        tmp.write_bytes(b"1")
    with atomic_dir(tmp_path / "folder") as tmp:
        (tmp / "inside.txt").write_text("x")
    assert mode(tmp_path / "a" / "x.json") == file_mode
    assert mode(tmp_path / "y.bin") == file_mode
    assert mode(tmp_path / "folder") == dir_mode


def test_a_failing_writer_leaves_the_old_file_and_no_temporary(tmp_path):
    target = tmp_path / "result.csv"
    target.write_text("old")
    with pytest.raises(RuntimeError):
        with atomic_path(target) as tmp:
            tmp.write_text("half")
            raise RuntimeError("killed")
    assert target.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["result.csv"]


def test_atomic_dir_replaces_the_old_folder_only_on_success(tmp_path):
    target = tmp_path / "interim"
    target.mkdir()
    (target / "old.txt").write_text("old")
    with pytest.raises(ValueError):
        with atomic_dir(target) as tmp:
            (tmp / "new.txt").write_text("new")
            raise ValueError("bad data")
    assert sorted(p.name for p in target.iterdir()) == ["old.txt"]
    with atomic_dir(target) as tmp:
        (tmp / "new.txt").write_text("new")
    assert sorted(p.name for p in target.iterdir()) == ["new.txt"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["interim"]


def test_npz_is_reproducible_and_loads_like_numpys(tmp_path):
    arrays = {"a": np.arange(5.0), "b": np.eye(3, dtype=np.float32)}
    assert npz_bytes(arrays) == npz_bytes(arrays)
    assert npz_bytes(arrays, compress=True) != npz_bytes(arrays)
    path = write_npz(tmp_path / "x.npz", arrays, compress=True)
    with np.load(path) as loaded:
        assert sorted(loaded.files) == ["a", "b"]
        np.testing.assert_array_equal(loaded["b"], arrays["b"])
        assert loaded["b"].dtype == np.float32


def test_remove_orphans_removes_only_our_temporaries(tmp_path):
    (tmp_path / "results" / "ch2").mkdir(parents=True)
    orphan_file = tmp_path / "results" / "ch2" / f".table.parquet{TMP_MARK}abc123"
    orphan_file.write_bytes(b"partial")
    orphan_dir = tmp_path / "results" / f".interim{TMP_MARK}xyz"
    (orphan_dir / "nested").mkdir(parents=True)
    keep = [tmp_path / "results" / "ch2" / "table.parquet", tmp_path / "results" / "ml-100k.zip.part",
            tmp_path / "results" / ".hidden"]
    for path in keep:
        path.write_bytes(b"keep")
    removed = remove_orphans([tmp_path / "results", tmp_path / "missing"])
    assert sorted(removed) == sorted([orphan_file, orphan_dir])
    assert not orphan_file.exists() and not orphan_dir.exists()
    assert all(path.exists() for path in keep)
