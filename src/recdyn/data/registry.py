"""Facts about the real datasets: where to get them, their checksums and layouts.

Every checksum here comes from a public source named in a comment.  ``None`` means
"unknown": :mod:`recdyn.data.fetch` then records the checksum it sees in the pins
file (``data/raw/PINNED_CHECKSUMS.json``) and checks later copies against it, and
logs the value so that a maintainer can paste it here.

None of these datasets may be redistributed: never commit them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Literal

ArchiveKind = Literal["zip", "tar.gz", "file"]

_SUFFIXES: dict[str, tuple[str, ...]] = {"zip": (".zip",), "tar.gz": (".tar.gz", ".tgz")}
_HEX = {"md5": re.compile(r"[0-9a-f]{32}"), "sha256": re.compile(r"[0-9a-f]{64}")}


def _check_hex(what: str, algo: str, value: str | None) -> None:
    if value is not None and not _HEX[algo].fullmatch(value):
        raise ValueError(f"{what}: {algo} must be lower-case hex, got {value!r}")


@dataclass(frozen=True)
class Archive:
    """One downloadable file: a zip or tar.gz archive, or (``kind="file"``) a plain file.

    ``folder`` is where the needed ``files`` end up under the raw data directory:
    the extracted top folder of an archive, or for plain files the folder the file
    is placed in (several plain files of one dataset share it).  ``files`` maps a
    path relative to ``folder`` to the SHA-256 of that file (``None`` if unknown).
    With ``locate=True`` each needed file is found by its base name anywhere inside
    the extracted tree (for archives whose layout is unknown or may differ by source).
    ``mirrors``: further URLs of the same file, tried in order after ``url``.
    """

    filename: str
    url: str
    size: int | None
    md5: str | None
    sha256: str | None
    folder: str
    files: dict[str, str | None] = field(hash=False)
    kind: ArchiveKind = "zip"
    file_md5: dict[str, str] = field(default_factory=dict, hash=False)
    locate: bool = False
    note: str = ""
    mirrors: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if self.kind != "file" and not self.filename.endswith(_SUFFIXES[self.kind]):
            raise ValueError(f"{self.filename}: name does not match kind {self.kind!r}")
        if "/" in self.filename or "/" in self.folder or not self.folder:
            raise ValueError(f"{self.filename}: filename and folder must be plain names")
        if not self.files:
            raise ValueError(f"{self.filename}: no needed files listed")
        _check_hex(self.filename, "md5", self.md5)
        _check_hex(self.filename, "sha256", self.sha256)
        for rel, digest in self.files.items():
            _check_hex(f"{self.filename}:{rel}", "sha256", digest)
        for rel, digest in self.file_md5.items():
            _check_hex(f"{self.filename}:{rel}", "md5", digest)
            if rel not in self.files:
                raise ValueError(f"{self.filename}: md5 given for unlisted file {rel}")
        if not isinstance(self.mirrors, tuple) or len(set((self.url, *self.mirrors))) != 1 + len(self.mirrors):
            raise ValueError(f"{self.filename}: mirrors must be a tuple of URLs other than url and each other")


@dataclass(frozen=True)
class DatasetSpec:
    """A dataset: one or more archives whose needed files end up in one folder."""

    key: str
    title: str
    licence_note: str
    archives: tuple[Archive, ...]

    def __post_init__(self) -> None:
        folders = {a.folder for a in self.archives}
        if len(folders) != 1:
            raise ValueError(f"{self.key}: all archives must share one folder, got {folders}")

    @property
    def folder(self) -> str:
        """Name of the folder (under the raw data directory) holding the needed files."""
        return self.archives[0].folder


ML100K = DatasetSpec(
    key="ml100k",
    title="MovieLens 100K (GroupLens, 1998)",
    licence_note=(
        "GroupLens licence forbids redistribution; download it from "
        "https://grouplens.org/datasets/movielens/100k/"
    ),
    archives=(
        Archive(
            filename="ml-100k.zip",
            url="https://files.grouplens.org/datasets/movielens/ml-100k.zip",
            size=4_924_029,
            # md5 published by GroupLens next to the download; sha256 pinned by
            # several third-party loaders.
            md5="0e33842e24a9c977be4e0107933c0723",
            sha256="50d2a982c66986937beb9ffb3aa76efe955bf3d5c6b761f4e3a7cd717c6a3229",
            folder="ml-100k",
            files={
                "u.data": "06416e597f82b7342361e41163890c81036900f418ad91315590814211dca490",
                "u.user": "f120e114da2e8cf314fd28f99417c94ae9ddf1cb6db8ce0e4b5995d40e90e62c",
                "u.item": "553841ebc7de3a0fd0d6b62a204ea30c1e651aacfb2814c7a6584ac52f2c5701",
            },
        ),
    ),
)

# Shakespeare, Porcaro, Gomez & Castillo (2020), "Exploring Artist Gender Bias in Music
# Recommendation": LFM-360K with MusicBrainz artist gender, Zenodo record 3964506.  The
# record serves plain files; RecLab (the thesis' code) downloads them one by one from
# https://zenodo.org/record/3964506/files/<name>?download=1 (the old /record/ form now
# redirects to /records/).  Sizes and md5s are shown on the record page but were not
# found in any stored public source: they are pinned on first use.
_ZENODO = "https://zenodo.org/records/3964506/files/{}?download=1"
_LASTFM_FOLDER = "lastfm-360k-gender"

LASTFM = DatasetSpec(
    key="lastfm",
    title="LastFM 360K with artist gender (Shakespeare et al. 2020, Zenodo 3964506)",
    licence_note=(
        "Last.fm data, non-commercial use, no redistribution; download it from "
        "https://zenodo.org/records/3964506"
    ),
    archives=(
        Archive(
            filename="LastFM360k-Le75.txt",
            url=_ZENODO.format("LastFM360k-Le75.txt"),
            size=None,
            md5=None,
            sha256=None,
            folder=_LASTFM_FOLDER,
            files={"LastFM360k-Le75.txt": None},
            kind="file",
            note="comma-separated with header userid,artistid,playcount",
        ),
        Archive(
            filename="LastFM360k-MB-artists.txt",
            url=_ZENODO.format("LastFM360k-MB-artists.txt"),
            size=None,
            md5=None,
            sha256=None,
            folder=_LASTFM_FOLDER,
            files={"LastFM360k-MB-artists.txt": None},
            kind="file",
            note="tab-separated, no header: id, artist, gender, MusicBrainz id",
        ),
    ),
)

# Celma's LFM-360K (version 1.2, March 2010).  The md5s of the two extracted files are
# published in the dataset's README (also on Zenodo record 6090214, a later mirror).  The
# archive's size (569,202,935 bytes) and md5 are reported, after downloading and checking the
# full archive, by two public projects: a DuckDB ingest of LFM-360K (hrishike-sh/
# tag-recommendation, docs/verified-state.json) and h0rv/opennoise (its lastfm_360k module and
# docs); other public code pins the same md5 for Zenodo's copy.  Those two also report sha256
# 375b53f5a72790e51166cfba052ae5e093f587ece817577185188855ac10f9f0: not pinned here (one kind
# of source only; record-and-pin records it on first download, paste it here once checked).
LASTFM_RAW = DatasetSpec(
    key="lastfm_raw",
    title="LastFM 360K, raw (Celma 2010)",
    licence_note=(
        "Last.fm data, non-commercial use, no redistribution; download it from "
        "https://www.upf.edu/web/mtg/lastfm360k"
    ),
    archives=(
        Archive(
            filename="lastfm-dataset-360K.tar.gz",
            url="http://mtg.upf.edu/static/datasets/last.fm/lastfm-dataset-360K.tar.gz",
            mirrors=("https://zenodo.org/records/6090214/files/lastfm-dataset-360K.tar.gz?download=1",),
            size=569_202_935,
            md5="635e6ed3fc873aa4ba33aba0ebce02b1",
            sha256=None,
            folder="lastfm-dataset-360K",
            kind="tar.gz",
            files={
                "usersha1-artmbid-artname-plays.tsv": None,
                "usersha1-profile.tsv": None,
            },
            file_md5={
                "usersha1-artmbid-artname-plays.tsv": "be672526eb7c69495c27ad27803148f1",
                "usersha1-profile.tsv": "51159d4edf6a92cb96f87768aa2be678",
            },
        ),
    ),
)

# The thesis' two-stage experiments: AmazonCat-13K with 768-d bert-base-uncased item
# features.  The thesis gives the twostage.s3 URL; the authors' own reader (RecLab branch
# karl/contextual-addon, reclab/data_utils.py) downloads the same name from kkrauth.s3, and
# extracts it to amazoncat-13k-bert/{features,ratings}.npz.  Checksums unknown (pinned on
# first use); the files are still located by name, in case a copy is laid out otherwise.
AMAZONCAT = DatasetSpec(
    key="amazoncat",
    title="AmazonCat-13K with BERT features (two-stage recommender experiments)",
    licence_note=(
        "derived from AmazonCat-13K (Extreme Classification Repository), no "
        "redistribution; the thesis' copy is "
        "https://twostage.s3-us-west-2.amazonaws.com/amazoncat-13k-bert.zip"
    ),
    archives=(
        Archive(
            filename="amazoncat-13k-bert.zip",
            url="https://twostage.s3-us-west-2.amazonaws.com/amazoncat-13k-bert.zip",
            mirrors=("https://kkrauth.s3-us-west-2.amazonaws.com/amazoncat-13k-bert.zip",),
            size=None,
            md5=None,
            sha256=None,
            folder="amazoncat-13k-bert",
            files={"features.npz": None, "ratings.npz": None},
            locate=True,
            note="amazoncat-13k-bert/features.npz: one dense 768-d BERT item feature array (key arr_0); "
                 "ratings.npz: scipy.sparse item x label 0/1 matrix",
        ),
    ),
)

DATASETS: dict[str, DatasetSpec] = {s.key: s for s in (ML100K, LASTFM, LASTFM_RAW, AMAZONCAT)}


def get_spec(key: str) -> DatasetSpec:
    """The dataset registered under ``key``; KeyError naming the valid keys otherwise."""
    try:
        return DATASETS[key]
    except KeyError:
        raise KeyError(f"unknown dataset {key!r}; valid keys: {', '.join(DATASETS)}") from None
