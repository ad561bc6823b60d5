"""Staging is all or nothing, its state file changes exactly when the staged data does, and the
status table tells where each dataset's data will come from."""

from __future__ import annotations

import hashlib
import os
import zipfile
from pathlib import Path
from types import SimpleNamespace

import pytest

from recdyn import run_summary
from recdyn.data import fetch
from recdyn.data.registry import Archive, DatasetSpec, get_spec
from recdyn.data.staging import DigestCache, inspect_staged, problems, staged_state, update_state_file
from recdyn.data.status import dataset_status

CONTENT = {"a.txt": b"alpha\n" * 100, "b.txt": b"beta\n" * 50}


def _spec() -> DatasetSpec:
    archive = Archive(filename="toy.zip", url="https://example.invalid/toy.zip", size=None, md5=None,
                      sha256=None, folder="toy", files={name: hashlib.sha256(data).hexdigest()
                                                        for name, data in CONTENT.items()})
    return DatasetSpec(key="toy", title="Toy", licence_note="none", archives=(archive,))


def _folder(raw: Path, files=CONTENT) -> Path:
    folder = raw / "toy"
    folder.mkdir(parents=True, exist_ok=True)
    for name, data in files.items():
        (folder / name).write_bytes(data)
    return folder


def _zip(path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in CONTENT.items():
            archive.writestr(f"toy/{name}", data)
    return path


def test_nothing_staged_is_no_entry_and_an_empty_state(tmp_path):
    assert inspect_staged(_spec(), tmp_path / "raw") == []
    assert staged_state(_spec(), tmp_path / "raw")["staged"] == []


@pytest.mark.parametrize("make, says", [
    (lambda raw: _folder(raw, {"a.txt": CONTENT["a.txt"]}), "lacks b.txt"),
    (lambda raw: (raw / "toy").mkdir(parents=True), "is empty"),
    (lambda raw: (raw.mkdir(parents=True), (raw / "toy").write_text("x")), "is a file where the extracted folder"),
    (lambda raw: (raw.mkdir(parents=True), os.symlink(raw / "gone", raw / "toy")), "which does not exist"),
    (lambda raw: (raw.mkdir(parents=True), (raw / "toy.zip").mkdir()), "should be the file toy.zip"),
])
def test_structural_mistakes_are_named_with_their_path(tmp_path, make, says):
    raw = tmp_path / "raw"
    make(raw)
    found = problems(inspect_staged(_spec(), raw))
    assert len(found) == 1 and says in found[0] and str(raw / "toy") in found[0]
    with pytest.raises(fetch.StagingError, match=says):
        fetch.find_staged(_spec(), raw)


def test_state_file_is_rewritten_only_when_the_staged_data_changes(tmp_path):
    raw, state_dir = tmp_path / "raw", tmp_path / "staged"
    path = update_state_file("toy", _spec(), raw, state_dir)
    empty = path.read_text()
    os.utime(path, (1_000_000_000, 1_000_000_000))
    update_state_file("toy", _spec(), raw, state_dir)
    assert path.stat().st_mtime == 1_000_000_000  # unchanged staging: the file is left alone
    _folder(raw)
    update_state_file("toy", _spec(), raw, state_dir)
    assert path.stat().st_mtime > 1_000_000_000 and path.read_text() != empty
    staged = path.read_text()
    (raw / "toy" / "b.txt").write_bytes(b"corrupted")  # same path, other content
    update_state_file("toy", _spec(), raw, state_dir)
    assert path.read_text() != staged and hashlib.sha256(b"corrupted").hexdigest() in path.read_text()


def test_extracting_a_staged_archive_does_not_change_the_state(tmp_path):
    raw = tmp_path / "raw"
    _zip(raw / "toy.zip")
    before = staged_state(_spec(), raw)
    assert fetch.find_staged(_spec(), raw) == raw / "toy"  # extracted now
    assert staged_state(_spec(), raw) == before


def test_a_replaced_archive_is_verified_although_its_folder_is_there(tmp_path):
    raw = tmp_path / "raw"
    _zip(raw / "toy.zip")
    fetch.find_staged(_spec(), raw)  # first use pins the archive's checksum and extracts it
    (raw / "toy.zip").write_bytes(b"not the archive any more")
    with pytest.raises(fetch.ChecksumError, match="toy.zip"):
        fetch.find_staged(_spec(), raw)


def test_digest_cache_hashes_a_file_once_and_notices_changes(tmp_path, monkeypatch):
    target = tmp_path / "big.bin"
    target.write_bytes(b"x" * 1000)
    calls = []
    real_digest = fetch.file_digest
    monkeypatch.setattr(fetch, "file_digest", lambda path, algo="sha256": calls.append(path) or real_digest(path, algo))
    cache_path = tmp_path / "cache.json"
    first = DigestCache(cache_path)
    digest = first.sha256(target)
    first.save()
    assert DigestCache(cache_path).sha256(target) == digest and len(calls) == 1
    target.write_bytes(b"y" * 1000)
    assert DigestCache(cache_path).sha256(target) == hashlib.sha256(b"y" * 1000).hexdigest() and len(calls) == 2


def _config(source="auto", allow_download=True):
    return {"data": {"allow_download": allow_download, "toy": {"source": source}}}


@pytest.fixture
def toy_registered(monkeypatch):
    from recdyn.data import registry

    monkeypatch.setitem(registry.DATASETS, "toy", _spec())


def test_status_rows(tmp_path, toy_registered):
    raw = tmp_path / "raw"
    row = dataset_status(_config(), raw, "toy", "toy")
    assert row["verification"] == "nothing staged" and "synthetic stand-in if that fails" in row["next_run_uses"]
    assert "synthetic stand-in (nothing staged" in dataset_status(_config(allow_download=False), raw, "toy", "toy")["next_run_uses"]
    assert "the run stops" in dataset_status(_config("real", False), raw, "toy", "toy")["next_run_uses"]
    _folder(raw)
    row = dataset_status(_config(), raw, "toy", "toy")
    assert row == {"dataset": "toy", "variant": "toy", "source_setting": "auto", "next_run_uses": "staged folder",
                   "path": str(raw / "toy"), "verification": "verified"}
    (raw / "toy" / "a.txt").write_bytes(b"changed")
    row = dataset_status(_config(), raw, "toy", "toy")
    assert row["verification"].startswith("FAILED") and "a.txt" in row["verification"]
    assert row["next_run_uses"].startswith("nothing: the run stops")


def test_status_tells_a_downloaded_archive_from_a_staged_one(tmp_path, toy_registered):
    raw = tmp_path / "raw"
    archive = _zip(raw / "toy.zip")
    assert dataset_status(_config(), raw, "toy", "toy")["next_run_uses"] == "staged archive"
    fetch._record_download(raw, _spec().archives[0], archive)
    row = dataset_status(_config(), raw, "toy", "toy")
    assert row["next_run_uses"] == "downloaded archive" and row["verification"].startswith("verified")


def test_the_start_of_a_run_names_only_the_datasets_it_acquires(tmp_path, capsys, toy_registered):
    jobs = [SimpleNamespace(rule=SimpleNamespace(name="acquire_dataset"), wildcards={"dataset": "toy"}),
            SimpleNamespace(rule=SimpleNamespace(name="fit_cv"), wildcards={"method": "sgd"})]
    datasets = run_summary.datasets_acquired(jobs)
    assert datasets == ["toy"]
    run_summary.announce_sources(_config(), tmp_path / "raw", datasets, lambda name: name)
    said = capsys.readouterr().err
    assert "WARNING toy: nothing staged" in said and "SYNTHETIC STAND-IN" in said
    assert "ml100k" not in said and "lastfm" not in said


def test_a_failed_run_names_its_failed_jobs_and_logs(tmp_path, capsys):
    job = SimpleNamespace(rule=SimpleNamespace(name="process_ml100k"), wildcards={}, log=["logs/data/process_ml100k.log"])
    run_summary.print_summary(tmp_path / "figures", tmp_path / "claims.csv", 0.0,
                              failed=run_summary.failed_jobs([job]), run_failed=True)
    said = capsys.readouterr().err
    assert "run FAILED: 1 job(s) failed" in said and "process_ml100k: see logs/data/process_ml100k.log" in said
    assert "all up to date" not in said


def test_registry_datasets_have_no_structural_problem_when_nothing_is_staged(tmp_path):
    for key in ("ml100k", "lastfm", "lastfm_raw", "amazoncat"):
        assert inspect_staged(get_spec(key), tmp_path) == []
