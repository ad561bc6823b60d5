"""data.<dataset>.source resolution: real (staged) vs synthetic vs auto, and corrupt data is never masked:
staging is all or nothing under every source."""

import json
import os

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
    with pytest.raises(fetch.NotAvailableError, match="ml-100k.zip"):
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


def _staged_ml100k(raw, tmp_path):
    """A complete ML-100K folder (stand-in bytes) staged at raw/ml-100k."""
    from recdyn.data.synthetic.ml100k import write_ml100k

    folder = raw / "ml-100k"
    write_ml100k(folder, seed=3, n_users=40, n_items=80, n_ratings=1200)
    return folder


def _folder_without_u_user(raw, tmp_path):
    folder = _staged_ml100k(raw, tmp_path)
    (folder / "u.user").unlink()


def _empty_folder(raw, tmp_path):
    (raw / "ml-100k").mkdir(parents=True)


def _file_where_the_folder_should_be(raw, tmp_path):
    raw.mkdir(parents=True)
    (raw / "ml-100k").write_text("oops")


def _dangling_symlink(raw, tmp_path):
    raw.mkdir(parents=True)
    os.symlink(tmp_path / "moved-away" / "ml-100k", raw / "ml-100k")


def _dangling_archive_symlink(raw, tmp_path):
    raw.mkdir(parents=True)
    os.symlink(tmp_path / "moved-away" / "ml-100k.zip", raw / "ml-100k.zip")


@pytest.mark.parametrize("source", ["auto", "real", "synthetic"])
@pytest.mark.parametrize("mistake, says", [
    (_folder_without_u_user, "lacks u.user"),
    (_empty_folder, "is empty"),
    (_file_where_the_folder_should_be, "is a file where the extracted folder"),
    (_dangling_symlink, "which does not exist"),
    (_dangling_archive_symlink, "which does not exist"),
])
def test_a_staging_mistake_is_an_error_naming_the_path_under_every_source(tmp_path, source, mistake, says):
    raw = tmp_path / "raw"
    mistake(raw, tmp_path)
    with pytest.raises(fetch.StagingError) as error:
        _acquire(tmp_path, "ml100k", "ml100k", source, SMALL_ML)
    assert says in str(error.value) and str(raw / "ml-100k") in str(error.value)
    assert not (tmp_path / "interim" / "ml100k").exists()


@pytest.mark.parametrize("source", ["auto", "synthetic"])
def test_a_dataset_staged_in_part_is_an_error(tmp_path, source):
    staged = tmp_path / "raw" / "lastfm-360k-gender"
    write_lastfm(staged, seed=5, n_users=40, n_artists=1000)
    (staged / "LastFM360k-MB-artists.txt").unlink()
    with pytest.raises(fetch.StagingError, match="only partly staged.*LastFM360k-MB-artists.txt missing"):
        _acquire(tmp_path, "lastfm", "lastfm", source, SMALL_LASTFM)


def test_synthetic_source_still_verifies_what_is_staged(tmp_path):
    _staged_ml100k(tmp_path / "raw", tmp_path)
    with pytest.raises(fetch.ChecksumError):  # stand-in bytes are not the real u.data
        _acquire(tmp_path, "ml100k", "ml100k", "synthetic", SMALL_ML)
