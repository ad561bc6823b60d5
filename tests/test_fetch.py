"""Offline tests of recdyn.data.registry and recdyn.data.fetch.

Fake archives are built in tmp_path and served from a local HTTP server (with
Range support) on 127.0.0.1; no real dataset is touched.
"""

from __future__ import annotations

import hashlib
import io
import json
import logging
import random
import socket
import tarfile
import threading
import time
import zipfile
from dataclasses import replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from recdyn.data import fetch
from recdyn.data.fetch import (
    ArchiveError,
    ChecksumError,
    DataError,
    DownloadError,
    NotAvailableError,
    StagingError,
    acquire,
    download,
    extract,
    file_digest,
    find_staged,
    verify_file,
)
from recdyn.data.registry import DATASETS, Archive, DatasetSpec, get_spec
from recdyn.data.staging import staged_state

FOLDER = "fake-ds"
MEMBERS = {
    "a.txt": random.Random(0).randbytes(150_000),
    "sub/b.csv": b"user,item,rating\n1,2,3\n4,5,1\n",
}


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


# --------------------------------------------------------------------------- server


class _Handler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:  # noqa: N802 - http.server API
        srv = self.server
        rng = self.headers.get("Range")
        srv.seen.append((self.path, rng))
        data = srv.files.get(self.path.lstrip("/").split("?")[0])
        if data is None:
            self.send_error(404)
            return
        start = 0
        if rng and not srv.ignore_range:
            start = int(rng.removeprefix("bytes=").split("-")[0])
            if start >= len(data):
                self.send_response(416)
                self.send_header("Content-Range", f"bytes */{len(data)}")
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            self.send_response(206)
            self.send_header("Content-Range", f"bytes {start}-{len(data) - 1}/{len(data)}")
        else:
            self.send_response(200)
        body = data[start:]
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if srv.cut_after is not None:  # promise everything, send a part, hang up
            self.wfile.write(body[: srv.cut_after])
            self.wfile.flush()
            self.close_connection = True
            return
        self.wfile.write(body)

    def log_message(self, *args) -> None:
        pass


class FakeServer:
    def __init__(self) -> None:
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self.httpd.files, self.httpd.seen, self.httpd.ignore_range = {}, [], False
        self.httpd.cut_after = None
        self.thread = threading.Thread(
            target=self.httpd.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )
        self.thread.start()

    files = property(lambda self: self.httpd.files)
    seen = property(lambda self: self.httpd.seen)

    def set_ignore_range(self, value: bool) -> None:
        self.httpd.ignore_range = value

    def set_cut_after(self, nbytes: int | None) -> None:
        self.httpd.cut_after = nbytes

    def url(self, name: str) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}/{name}?download=1"

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture()
def server():
    srv = FakeServer()
    yield srv
    srv.close()


# --------------------------------------------------------------------------- fake archives


def zip_bytes(members: dict[str, bytes], compression: int = zipfile.ZIP_DEFLATED) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression) as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return buf.getvalue()


def tar_bytes(members: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tf:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            info.mtime = 0
            tf.addfile(info, io.BytesIO(data))
    return buf.getvalue()


def packed(kind: str = "zip") -> bytes:
    members = {f"{FOLDER}/{k}": v for k, v in MEMBERS.items()}
    return zip_bytes(members) if kind == "zip" else tar_bytes(members)


def make_archive(data: bytes, url: str, kind: str = "zip", **over) -> Archive:
    fields = dict(
        filename=f"{FOLDER}.{kind}",
        url=url,
        size=len(data),
        md5=hashlib.md5(data).hexdigest(),
        sha256=sha(data),
        folder=FOLDER,
        files={k: sha(v) for k, v in MEMBERS.items()},
        kind=kind,
    )
    fields.update(over)
    return Archive(**fields)


def spec_of(*archives: Archive) -> DatasetSpec:
    return DatasetSpec(key="fake", title="Fake data", licence_note="made up", archives=archives)


def closed_port_url(name: str = "x.zip") -> str:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    return f"http://127.0.0.1:{port}/{name}"


@pytest.fixture()
def raw(tmp_path: Path) -> Path:
    path = tmp_path / "raw"
    path.mkdir()
    return path


def leftovers(directory: Path) -> list[str]:
    return sorted(p.name for p in directory.iterdir() if p.name != fetch.PINS_FILENAME + ".lock")


# --------------------------------------------------------------------------- registry


def test_registry_facts():
    ml = get_spec("ml100k").archives[0]
    assert ml.size == 4_924_029 and ml.md5 == "0e33842e24a9c977be4e0107933c0723"
    assert ml.sha256.startswith("50d2a982") and ml.folder == "ml-100k"
    assert set(ml.files) == {"u.data", "u.user", "u.item"} and all(ml.files.values())
    lastfm = get_spec("lastfm")
    assert {a.filename for a in lastfm.archives} == {
        "LastFM360k-Le75.txt",
        "LastFM360k-MB-artists.txt",
    }
    assert all(a.kind == "file" and "3964506" in a.url for a in lastfm.archives)
    raw_360k = get_spec("lastfm_raw").archives[0]
    assert raw_360k.kind == "tar.gz"
    assert raw_360k.size == 569_202_935 and raw_360k.md5 == "635e6ed3fc873aa4ba33aba0ebce02b1"
    assert any("zenodo.org/records/6090214" in url for url in raw_360k.mirrors)
    amazoncat = get_spec("amazoncat").archives[0]
    assert amazoncat.locate and amazoncat.folder == "amazoncat-13k-bert"
    assert "twostage.s3" in amazoncat.url and any("kkrauth.s3" in url for url in amazoncat.mirrors)
    assert set(DATASETS) == {"ml100k", "lastfm", "lastfm_raw", "amazoncat"}
    hash(ml)  # frozen and hashable despite its dict fields


def test_get_spec_unknown_lists_keys():
    with pytest.raises(KeyError, match="ml100k.*amazoncat"):
        get_spec("nope")


def test_registry_validates():
    with pytest.raises(ValueError, match="kind"):
        Archive("x.zip", "u", None, None, None, "x", {"a": None}, kind="tar.gz")
    with pytest.raises(ValueError, match="hex"):
        Archive("x.zip", "u", None, "XYZ", None, "x", {"a": None})
    a = Archive("x.zip", "u", None, None, None, "x", {"a": None})
    with pytest.raises(ValueError, match="one folder"):
        spec_of(a, replace(a, folder="y"))
    with pytest.raises(ValueError, match="mirrors"):
        replace(a, mirrors=("u",))


# --------------------------------------------------------------------------- digests


def test_file_digest_and_verify(tmp_path: Path):
    path = tmp_path / "f.bin"
    path.write_bytes(b"hello")
    assert file_digest(path) == sha(b"hello")
    assert file_digest(path, "md5") == hashlib.md5(b"hello").hexdigest()
    verify_file(path, size=5, md5=hashlib.md5(b"hello").hexdigest(), sha256=sha(b"hello"))
    with pytest.raises(ChecksumError, match=r"truncated: 5 of 10 bytes"):
        verify_file(path, size=10, sha256="0" * 64)
    with pytest.raises(ChecksumError) as err:
        verify_file(path, sha256="0" * 64)
    assert "0" * 64 in str(err.value) and sha(b"hello") in str(err.value)
    assert issubclass(ChecksumError, DataError) and issubclass(DataError, RuntimeError)


# --------------------------------------------------------------------------- download


def test_download_verifies_and_renames(server: FakeServer, raw: Path):
    data = packed()
    server.files["fake-ds.zip"] = data
    archive = make_archive(data, server.url("fake-ds.zip"))
    path = download(archive, raw, progress=True)
    assert path == raw / "fake-ds.zip" and path.read_bytes() == data
    assert leftovers(raw) == ["fake-ds.zip"]  # no .part, no pins (sha256 known)
    assert server.seen == [("/fake-ds.zip?download=1", None)]


def test_download_resumes_partial(server: FakeServer, raw: Path):
    data = packed()
    server.files["fake-ds.zip"] = data
    half = len(data) // 2
    (raw / "fake-ds.zip.part").write_bytes(data[:half])
    path = download(make_archive(data, server.url("fake-ds.zip")), raw)
    assert [rng for _, rng in server.seen] == [f"bytes={half}-"]
    assert file_digest(path) == sha(data)
    assert not (raw / "fake-ds.zip.part").exists()


def test_interrupted_download_keeps_part_then_resumes(server: FakeServer, raw: Path, monkeypatch):
    data = packed()
    server.files["fake-ds.zip"] = data
    archive = make_archive(data, server.url("fake-ds.zip"))
    monkeypatch.setattr(fetch, "_CHUNK", 8192)
    server.set_cut_after(40_000)
    with pytest.raises(DownloadError, match="resumes"):
        download(archive, raw, timeout=5)
    part = raw / "fake-ds.zip.part"
    kept = part.stat().st_size
    assert 0 < kept < len(data) and not (raw / "fake-ds.zip").exists()
    server.set_cut_after(None)
    assert download(archive, raw).read_bytes() == data
    assert server.seen[-1][1] == f"bytes={kept}-"


def test_progress_reporting(server: FakeServer, raw: Path, caplog, monkeypatch):
    data = packed()
    server.files["fake-ds.zip"] = data
    archive = make_archive(data, server.url("fake-ds.zip"))
    monkeypatch.setattr(fetch, "_CHUNK", 8192)
    with caplog.at_level(logging.INFO, logger="recdyn.data.fetch"):
        download(archive, raw)  # stderr is not a TTY under pytest: log lines
    assert "(100%)" in caplog.text and caplog.text.count("bytes (") >= 5
    (raw / "fake-ds.zip").unlink()
    monkeypatch.setattr(fetch.sys.stderr, "isatty", lambda: True, raising=False)
    assert download(archive, raw, progress=True).read_bytes() == data  # tqdm bar


def test_download_restarts_when_range_ignored(server: FakeServer, raw: Path):
    data = packed()
    server.files["fake-ds.zip"] = data
    server.set_ignore_range(True)
    (raw / "fake-ds.zip.part").write_bytes(b"garbage that must be discarded")
    path = download(make_archive(data, server.url("fake-ds.zip")), raw)
    assert server.seen[0][1] is not None  # a Range was asked, and ignored
    assert path.read_bytes() == data


def test_complete_part_of_unknown_size_restarts_after_416(server: FakeServer, raw: Path):
    data = packed()
    server.files["fake-ds.zip"] = data
    (raw / "fake-ds.zip.part").write_bytes(data)
    archive = make_archive(data, server.url("fake-ds.zip"), size=None)
    assert download(archive, raw).read_bytes() == data
    assert [rng for _, rng in server.seen] == [f"bytes={len(data)}-", None]


def test_download_checksum_mismatch_cleans_up(server: FakeServer, raw: Path):
    data = packed()
    server.files["fake-ds.zip"] = data
    wrong = "f" * 64
    archive = make_archive(data, server.url("fake-ds.zip"), sha256=wrong, md5=None)
    with pytest.raises(ChecksumError) as err:
        download(archive, raw)
    msg = str(err.value)
    assert wrong in msg and sha(data) in msg and "fake-ds.zip" in msg
    assert archive.url in msg  # tells where to get a good copy
    assert leftovers(raw) == []


def test_download_truncated_is_reported(server: FakeServer, raw: Path):
    data = packed()
    server.files["fake-ds.zip"] = data[:-100]
    archive = make_archive(data, server.url("fake-ds.zip"))
    with pytest.raises(ChecksumError, match=rf"truncated: {len(data) - 100} of {len(data)} bytes"):
        download(archive, raw)
    assert leftovers(raw) == []


def test_download_connection_refused_is_quick(raw: Path):
    archive = make_archive(b"x", closed_port_url("fake-ds.zip"))
    start = time.monotonic()
    with pytest.raises(DownloadError) as err:
        download(archive, raw, timeout=2)
    assert time.monotonic() - start < 5
    msg = str(err.value)
    assert archive.url in msg and "stage" in msg and str(raw / "fake-ds.zip") in msg


def test_download_http_error(server: FakeServer, raw: Path):
    archive = make_archive(b"x", server.url("missing.zip"))
    with pytest.raises(DownloadError, match="404"):
        download(archive, raw)


def test_record_and_pin(server: FakeServer, raw: Path, caplog):
    data = packed()
    server.files["fake-ds.zip"] = data
    archive = make_archive(data, server.url("fake-ds.zip"), size=None, md5=None, sha256=None)
    with caplog.at_level(logging.WARNING, logger="recdyn.data.fetch"):
        download(archive, raw)
    assert sha(data) in caplog.text and "registry.py" in caplog.text
    pins = json.loads((raw / fetch.PINS_FILENAME).read_text())
    entry = pins["fake-ds.zip"]
    assert entry["sha256"] == sha(data) and entry["size"] == len(data)
    assert entry["url"] == archive.url and entry["recorded_at"]

    # A later, different download is detected against the pin.
    other = zip_bytes({f"{FOLDER}/{k}": v for k, v in MEMBERS.items()}, zipfile.ZIP_STORED)
    server.files["fake-ds.zip"] = other
    (raw / "fake-ds.zip").unlink()
    with pytest.raises(ChecksumError) as err:
        download(archive, raw)
    assert sha(data) in str(err.value) and sha(other) in str(err.value)
    assert leftovers(raw) == [fetch.PINS_FILENAME]

    # So is a staged copy that differs; a custom pins path is honoured too.
    (raw / "fake-ds.zip").write_bytes(other)
    with pytest.raises(ChecksumError, match="recorded"):
        find_staged(spec_of(archive), raw)
    custom = raw.parent / "pins.json"
    assert find_staged(spec_of(archive), raw, pins_path=custom) == raw / FOLDER
    assert json.loads(custom.read_text())["fake-ds.zip"]["sha256"] == sha(other)


# --------------------------------------------------------------------------- extract


@pytest.mark.parametrize("kind", ["zip", "tar.gz"])
def test_extract_good(tmp_path: Path, kind: str):
    data = packed(kind)
    src = tmp_path / f"fake-ds.{kind}"
    src.write_bytes(data)
    dest = extract(src, tmp_path / FOLDER, make_archive(data, "http://unused", kind))
    assert (dest / "a.txt").read_bytes() == MEMBERS["a.txt"]
    assert (dest / "sub" / "b.csv").read_bytes() == MEMBERS["sub/b.csv"]
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([src.name, FOLDER])


def _corrupt_zip() -> bytes:
    members = {f"{FOLDER}/{k}": v for k, v in MEMBERS.items()}
    data = bytearray(zip_bytes(members, zipfile.ZIP_STORED))
    pos = data.index(MEMBERS["a.txt"][:64]) + 1000
    data[pos] ^= 0xFF  # flip a byte of stored member data: CRC mismatch
    return bytes(data)


@pytest.mark.parametrize(
    "kind, make",
    [
        ("zip", _corrupt_zip),
        ("zip", lambda: packed("zip")[: len(packed("zip")) // 2]),
        ("zip", lambda: b"this is not a zip file at all"),
        ("tar.gz", lambda: packed("tar.gz")[: len(packed("tar.gz")) // 2]),
        ("tar.gz", lambda: b"\x1f\x8b\x08\x00garbage-gzip"),
    ],
    ids=["zip-crc", "zip-truncated", "zip-garbage", "tar-truncated", "tar-garbage"],
)
def test_extract_corrupt_raises_and_leaves_nothing(tmp_path: Path, kind: str, make):
    data = make()
    src = tmp_path / f"fake-ds.{kind}"
    src.write_bytes(data)
    archive = make_archive(data, "http://unused", kind)
    with pytest.raises(ArchiveError) as err:
        extract(src, tmp_path / FOLDER, archive)
    assert str(src) in str(err.value)
    assert leftovers(tmp_path) == [src.name]


@pytest.mark.parametrize("kind", ["zip", "tar.gz"])
@pytest.mark.parametrize(
    "evil", ["../evil.txt", "/tmp/recdyn-evil.txt", f"{FOLDER}/../../evil.txt"]
)
def test_extract_refuses_path_traversal(tmp_path: Path, kind: str, evil: str):
    members = {f"{FOLDER}/a.txt": b"ok", evil: b"pwned"}
    data = zip_bytes(members) if kind == "zip" else tar_bytes(members)
    work = tmp_path / "work"
    work.mkdir()
    src = work / f"fake-ds.{kind}"
    src.write_bytes(data)
    archive = make_archive(data, "http://unused", kind, files={"a.txt": None})
    with pytest.raises(ArchiveError, match="unsafe"):
        extract(src, work / FOLDER, archive)
    assert leftovers(work) == [src.name]
    assert not (tmp_path / "evil.txt").exists() and not Path("/tmp/recdyn-evil.txt").exists()


def test_extract_missing_needed_file(tmp_path: Path):
    data = zip_bytes({f"{FOLDER}/a.txt": MEMBERS["a.txt"]})
    src = tmp_path / "fake-ds.zip"
    src.write_bytes(data)
    with pytest.raises(ArchiveError, match="sub/b.csv"):
        extract(src, tmp_path / FOLDER, make_archive(data, "http://unused"))
    assert leftovers(tmp_path) == [src.name]


def test_extract_locates_files_and_pins_their_paths(tmp_path: Path):
    members = {"deep/x/features.npz": b"F" * 10, "other/ratings.npz": b"R" * 7, "README": b"hi"}
    data = zip_bytes(members)
    src = tmp_path / "cat.zip"
    src.write_bytes(data)
    archive = Archive("cat.zip", "http://unused", None, None, None, "cat",
                      {"features.npz": None, "ratings.npz": None}, locate=True)
    dest = extract(src, tmp_path / "cat", archive)
    found = fetch.locate_files(dest, archive)
    assert found["features.npz"] == dest / "deep/x/features.npz"
    pins = json.loads((tmp_path / fetch.PINS_FILENAME).read_text())
    assert pins["cat/deep/x/features.npz"]["sha256"] == sha(b"F" * 10)
    assert "cat/other/ratings.npz" in pins


# --------------------------------------------------------------------------- staging


def _extracted_tree(root: Path) -> Path:
    for rel, data in MEMBERS.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_bytes(data)
    return root


def test_nothing_staged(raw: Path):
    spec = spec_of(make_archive(packed(), closed_port_url()))
    assert find_staged(spec, raw) is None
    assert staged_state(spec, raw)["staged"] == []


@pytest.mark.parametrize("kind", ["zip", "tar.gz"])
def test_staged_archive_is_verified_and_extracted(raw: Path, kind: str):
    data = packed(kind)
    archive = make_archive(data, closed_port_url(), kind)
    (raw / archive.filename).write_bytes(data)
    spec = spec_of(archive)
    before = staged_state(spec, raw)
    assert before["staged"][0]["sha256"] == {archive.filename: sha(data)}
    folder = find_staged(spec, raw)
    assert folder == raw / FOLDER and (folder / "a.txt").read_bytes() == MEMBERS["a.txt"]
    assert staged_state(spec, raw) == before  # extraction does not change it
    assert find_staged(spec, raw) == folder  # second call reuses the folder


def test_staged_symlinked_archive(raw: Path, tmp_path: Path):
    data = packed()
    elsewhere = tmp_path / "store" / "fake-ds.zip"
    elsewhere.parent.mkdir()
    elsewhere.write_bytes(data)
    archive = make_archive(data, closed_port_url())
    (raw / archive.filename).symlink_to(elsewhere)
    assert find_staged(spec_of(archive), raw) == raw / FOLDER


def test_staged_bad_archive_raises(raw: Path):
    data = packed()
    archive = make_archive(data, closed_port_url())
    (raw / archive.filename).write_bytes(data[:-1] + bytes([data[-1] ^ 1]))
    with pytest.raises(ChecksumError, match="fake-ds.zip"):
        find_staged(spec_of(archive), raw)
    assert not (raw / FOLDER).exists()


def test_staged_folder(raw: Path):
    spec = spec_of(make_archive(packed(), closed_port_url()))
    _extracted_tree(raw / FOLDER)
    assert find_staged(spec, raw) == raw / FOLDER
    assert staged_state(spec, raw)["staged"][0]["sha256"]["a.txt"] == sha(MEMBERS["a.txt"])


def test_staged_symlinked_folder(raw: Path, tmp_path: Path):
    spec = spec_of(make_archive(packed(), closed_port_url()))
    target = _extracted_tree(tmp_path / "cluster" / "datasets" / "fake")
    (raw / FOLDER).symlink_to(target, target_is_directory=True)
    folder = find_staged(spec, raw)
    assert folder == raw / FOLDER and (folder / "sub/b.csv").read_bytes() == MEMBERS["sub/b.csv"]
    assert acquire(spec, raw, allow_download=False, timeout=1) == folder


def test_dangling_symlink_folder_raises(raw: Path, tmp_path: Path):
    spec = spec_of(make_archive(packed(), closed_port_url()))
    (raw / FOLDER).symlink_to(tmp_path / "gone", target_is_directory=True)
    with pytest.raises(StagingError, match="does not exist"):
        find_staged(spec, raw)


def test_staged_folder_wrong_checksum_raises(raw: Path):
    spec = spec_of(make_archive(packed(), closed_port_url()))
    _extracted_tree(raw / FOLDER)
    (raw / FOLDER / "sub" / "b.csv").write_bytes(b"user,item,rating\n9,9,9\n")
    with pytest.raises(ChecksumError) as err:
        find_staged(spec, raw)
    assert "b.csv" in str(err.value) and sha(MEMBERS["sub/b.csv"]) in str(err.value)


def test_staged_folder_missing_file_raises(raw: Path):
    spec = spec_of(make_archive(packed(), closed_port_url()))
    _extracted_tree(raw / FOLDER)
    (raw / FOLDER / "a.txt").unlink()
    with pytest.raises(StagingError, match="a.txt"):
        find_staged(spec, raw)


# --------------------------------------------------------------------------- acquire


def test_acquire_without_download_names_file_and_url(raw: Path):
    archive = make_archive(packed(), "https://example.invalid/data/fake-ds.zip")
    with pytest.raises(NotAvailableError) as err:
        acquire(spec_of(archive), raw, allow_download=False, timeout=1)
    msg = str(err.value)
    assert "fake-ds.zip" in msg and archive.url in msg and archive.sha256 in msg
    assert str(raw / "fake-ds.zip") in msg and str(raw / FOLDER) in msg


def test_acquire_downloads_and_extracts(server: FakeServer, raw: Path):
    data = packed("tar.gz")
    server.files["fake-ds.tar.gz"] = data
    spec = spec_of(make_archive(data, server.url("fake-ds.tar.gz"), "tar.gz"))
    folder = acquire(spec, raw, allow_download=True, timeout=5, progress=False)
    assert folder == raw / FOLDER and (folder / "a.txt").read_bytes() == MEMBERS["a.txt"]
    assert find_staged(spec, raw) == folder


def test_acquire_download_failure_is_download_error(raw: Path):
    spec = spec_of(make_archive(packed(), closed_port_url("fake-ds.zip")))
    with pytest.raises(DownloadError):
        acquire(spec, raw, allow_download=True, timeout=1)


def test_plain_file_dataset(server: FakeServer, raw: Path):
    plays, artists = b"userid,artistid,playcount\n1,2,3\n", b"0\tabba\t0/1/2/0/0\tmbid\n"
    server.files.update({"plays.txt": plays, "artists.txt": artists})

    def plain(name: str, data: bytes, **over) -> Archive:
        fields = dict(filename=name, url=server.url(name), size=None, md5=None,
                      sha256=None, folder="lfm", files={name: None}, kind="file")
        fields.update(over)
        return Archive(**fields)

    spec = spec_of(plain("plays.txt", plays), plain("artists.txt", artists, sha256=sha(artists)))
    # Partly staged: one file placed by the user, the other missing: an error naming the missing
    # one, unless it can be downloaded.
    (raw / "plays.txt").write_bytes(plays)
    with pytest.raises(StagingError, match="only partly staged.*artists.txt missing"):
        find_staged(spec, raw)
    with pytest.raises(StagingError, match="artists.txt missing"):
        acquire(spec, raw, allow_download=False, timeout=1)
    folder = acquire(spec, raw, allow_download=True, timeout=5, progress=False)
    assert folder == raw / "lfm"
    assert (folder / "plays.txt").read_bytes() == plays
    assert (folder / "artists.txt").read_bytes() == artists
    assert set(json.loads((raw / fetch.PINS_FILENAME).read_text())) == {"plays.txt"}
    assert find_staged(spec, raw) == folder


def test_download_tries_mirrors_in_order(server: FakeServer, raw: Path, caplog):
    data = packed()
    server.files["good.zip"] = data
    server.files["wrong.zip"] = data[::-1]  # answers, but not the file: fails verification
    archive = make_archive(data, closed_port_url("fake-ds.zip"),
                           mirrors=(server.url("missing.zip"), server.url("wrong.zip"), server.url("good.zip")))
    with caplog.at_level(logging.WARNING, logger="recdyn.data.fetch"):
        path = download(archive, raw, timeout=2)
    assert path.read_bytes() == data and leftovers(raw) == ["fake-ds.zip"]
    assert [p for p, _ in server.seen] == ["/missing.zip?download=1", "/wrong.zip?download=1", "/good.zip?download=1"]
    assert "trying" in caplog.text and "does not verify" in caplog.text


def test_download_names_every_source_when_all_fail(server: FakeServer, raw: Path):
    data = packed()
    archive = make_archive(data, closed_port_url("fake-ds.zip"), mirrors=(server.url("missing.zip"),))
    with pytest.raises(DownloadError) as err:
        download(archive, raw, timeout=2)
    message = str(err.value)
    assert archive.url in message and archive.mirrors[0] in message and "404" in message and "stage" in message
