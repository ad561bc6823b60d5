"""data.<dataset>.source resolution: real (staged) vs synthetic vs auto, and corrupt data is never masked."""

import json

import pytest

from recdyn.data import fetch
from recdyn.data.acquire import acquire_dataset
from recdyn.data.process import process_dataset
from recdyn.data.synthetic.lastfm import write_lastfm

SMALL_ML = {"seed": 1, "n_users": 60, "n_items": 150, "n_ratings": 2000}
SMALL_LASTFM = {"seed": 2, "n_users": 50, "n_artists": 80}


def _acquire(tmp_path, dataset, spec, source, synthetic, allow_download=False):
    return acquire_dataset(dataset, spec, {"source": source, "synthetic": synthetic}, tmp_path / "raw",
                           tmp_path / "interim" / dataset, allow_download=allow_download, timeout=1)


def test_synthetic_source_writes_stand_in(tmp_path):
    record = _acquire(tmp_path, "ml100k", "ml100k", "synthetic", SMALL_ML)
    assert record["source"] == "synthetic" and set(record["files"]) >= {"u.data", "u.user", "u.item"}
    saved = json.loads((tmp_path / "interim" / "ml100k" / "source.json").read_text())
    assert saved["files"]["u.data"] == fetch.file_digest(tmp_path / "interim" / "ml100k" / "u.data")


def test_auto_without_real_data_falls_back_with_reason(tmp_path):
    record = _acquire(tmp_path, "ml100k", "ml100k", "auto", SMALL_ML)
    assert record["source"] == "synthetic"
    assert "ml-100k.zip" in record["reason"]  # tells the user what to stage


def test_real_without_real_data_fails_and_leaves_nothing(tmp_path):
    with pytest.raises(fetch.StagingError, match="ml-100k.zip"):
        _acquire(tmp_path, "ml100k", "ml100k", "real", SMALL_ML)
    assert not (tmp_path / "interim" / "ml100k").exists()
    assert not list((tmp_path / "interim").glob(".*"))


def test_corrupt_staged_archive_is_an_error_even_in_auto(tmp_path):
    (tmp_path / "raw").mkdir()
    (tmp_path / "raw" / "ml-100k.zip").write_bytes(b"not a zip at all")
    with pytest.raises(fetch.ChecksumError):
        _acquire(tmp_path, "ml100k", "ml100k", "auto", SMALL_ML)
    assert not (tmp_path / "interim" / "ml100k").exists()


def test_staged_lastfm_folder_is_used_as_real_data(tmp_path):
    staged = tmp_path / "raw" / "lastfm-360k-gender"
    write_lastfm(staged, seed=5, n_users=40, n_artists=1000)
    record = _acquire(tmp_path, "lastfm", "lastfm", "real", SMALL_LASTFM)
    assert record["source"] == "real"
    interim = tmp_path / "interim" / "lastfm"
    assert (interim / "LastFM360k-Le75.txt").resolve() == (staged / "LastFM360k-Le75.txt").resolve()
    assert (tmp_path / "raw" / fetch.PINS_FILENAME).exists()  # unknown checksums recorded on first use
    manifest = process_dataset(interim, tmp_path / "processed", {"n_users": 30, "seed": 0})
    assert manifest["source"] == "real" and manifest["tables"]["users"][0] == 30
