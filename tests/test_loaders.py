"""Loaders: tidy output on well-formed files, DataFormatError with file and line otherwise."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp

from recdyn.data.loaders import (
    KNOWN_DEFECTS, DataFormatError, load_amazoncat, load_lastfm, load_lastfm_raw, load_ml100k,
)
from recdyn.data.synthetic.amazoncat import write_amazoncat
from recdyn.data.synthetic.lastfm import write_lastfm, write_lastfm_raw
from recdyn.data.synthetic.ml100k import GENRES, write_ml100k

LE75, ARTISTS = "LastFM360k-Le75.txt", "LastFM360k-MB-artists.txt"
RAW_PLAYS, RAW_PROFILE = "usersha1-artmbid-artname-plays.tsv", "usersha1-profile.tsv"


@pytest.fixture(scope="module")
def sources(tmp_path_factory):
    root = tmp_path_factory.mktemp("sources")
    write_ml100k(root / "ml", seed=2, n_users=40, n_items=80, n_ratings=1200)
    write_lastfm(root / "lf", seed=2, n_users=60, n_artists=300)
    write_lastfm_raw(root / "raw", seed=2, n_users=40, n_artists=300)
    write_amazoncat(root / "ac", seed=2, n_items=200, n_categories=400)
    return root


@pytest.fixture
def copy(sources, tmp_path):
    def make(name: str) -> Path:
        return Path(shutil.copytree(sources / name, tmp_path / name))
    return make


def edit_line(path: Path, number: int, new: str | None = None, *, encoding: str = "utf-8",
              insert: bool = False) -> str:
    """Replace (or insert before) 1-based line ``number``; returns the old line."""
    rows = path.read_bytes().decode(encoding).split("\n")
    old = rows[number - 1]
    if insert:
        rows.insert(number - 1, new)
    else:
        rows[number - 1] = new
    path.write_bytes("\n".join(rows).encode(encoding))
    return old


def assert_error(call, file: str, line: int | None, *fragments: str) -> DataFormatError:
    with pytest.raises(DataFormatError) as info:
        call()
    error = info.value
    message = str(error)
    assert file in message and error.path.name == file
    if line is not None:
        assert error.line == line and f"line {line}:" in message
    for fragment in fragments:
        assert fragment in message
    return error


# ------------------------------------------------------------------------------------ ML-100K


def test_ml100k_tidy_tables(sources):
    data = load_ml100k(sources / "ml")
    assert list(data.ratings.columns) == ["user_id", "item_id", "rating", "timestamp"]
    assert len(data.ratings) == 1200 and data.ratings.rating.between(1, 5).all()
    assert all(data.ratings[c].dtype == np.int64 for c in data.ratings.columns)
    assert list(data.users.columns) == ["user_id", "age", "gender", "occupation", "zip"]
    assert data.users.zip.map(len).eq(5).all()  # zip codes stay strings (leading zeros kept)
    assert list(data.items.columns[:5]) == ["item_id", "title", "release_date", "video_release_date", "imdb_url"]
    assert list(data.items.columns[5:]) == list(GENRES)
    assert pd.api.types.is_datetime64_any_dtype(data.items.release_date)
    assert data.items.release_date.isna().sum() == 1  # the 'unknown' placeholder item
    first = (sources / "ml" / "u.data").read_text().split("\n")[0].split("\t")
    assert data.ratings.iloc[0].tolist() == [int(x) for x in first]


def test_ml100k_without_genre_and_occupation_files(copy):
    folder = copy("ml")  # only u.data, u.user and u.item are staged from the real archive
    (folder / "u.genre").unlink()
    (folder / "u.occupation").unlink()
    assert list(load_ml100k(folder).items.columns[5:]) == list(GENRES)


def test_ml100k_latin1_titles_round_trip(copy):
    folder = copy("ml")
    edit_line(folder / "u.item", 5, "5|Café Crème (1996)|01-Jan-1996||http://x|" + "|".join("0" * 18) + "|1",
              encoding="latin-1")
    raw = (folder / "u.item").read_bytes()
    assert "Café Crème (1996)".encode("latin-1") in raw
    with pytest.raises(UnicodeDecodeError):
        raw.decode("utf-8")
    items = load_ml100k(folder).items
    assert items.loc[items.item_id == 5, "title"].item() == "Café Crème (1996)"


@pytest.mark.parametrize(
    ("file", "line", "new", "fragments"),
    [
        ("u.data", 7, "1\t2\t3", ["expected 4 fields", "saw 3 fields"]),
        ("u.data", 9, "1\t2\t3\t4\t5", ["expected 4 fields", "saw 5 fields"]),
        ("u.data", 11, "1\tx2\t3\t881250949", ["integer item id", "'x2'"]),
        ("u.data", 13, "1\t2\t3.5\t881250949", ["integer rating", "'3.5'"]),
        ("u.data", 15, "1\t2\t6\t881250949", ["rating in 1..5", "saw 6"]),
        ("u.data", 17, "1\t2\t0\t881250949", ["rating in 1..5", "saw 0"]),
        ("u.data", 19, "999\t2\t3\t881250949", ["only user ids listed in u.user", "user id 999"]),
        ("u.data", 21, "1\t999\t3\t881250949", ["only item ids listed in u.item", "item id 999"]),
        ("u.data", 23, "", ["an empty line"]),
        ("u.user", 4, "4|24|M|technician", ["expected 5 fields"]),
        ("u.user", 6, "6|twenty|M|technician|85711", ["integer age"]),
        ("u.user", 8, "8|24|X|technician|85711", ["gender"]),
        ("u.user", 10, "10|24|M|astronaut|85711", ["occupation listed in u.occupation"]),
        ("u.user", 12, "1|24|M|technician|85711", ["unique user ids", "user id 1 again (first on line 1)"]),
        ("u.item", 3, "3|A (1995)|01-Jan-1995||url|" + "|".join("0" * 18), ["expected 24 fields", "saw 23"]),
        ("u.item", 4, "4|A (1995)|01-Jan-1995||url|" + "|".join("0" * 18) + "|2", ["Western genre flag in 0..1"]),
        ("u.item", 5, "5|A (1995)|1995-01-01||url|" + "|".join("0" * 18) + "|1", ["release date like 01-Jan-1995"]),
        ("u.item", 6, "6|A (1995)|31-Feb-1995||url|" + "|".join("0" * 18) + "|1", ["release date"]),
    ],
)
def test_ml100k_malformed_rows(copy, file, line, new, fragments):
    folder = copy("ml")
    edit_line(folder / file, line, new, encoding="latin-1")
    assert_error(lambda: load_ml100k(folder), file, line, *fragments)


def test_ml100k_duplicate_pair_names_both_lines(copy):
    folder = copy("ml")
    first = (folder / "u.data").read_text().split("\n")[2].split("\t")
    edit_line(folder / "u.data", 30, "\t".join([first[0], first[1], "4", "881250949"]))
    assert_error(lambda: load_ml100k(folder), "u.data", 30, "one rating per (user, item) pair",
                 "(first on line 3)")


def test_ml100k_missing_file(copy):
    folder = copy("ml")
    (folder / "u.item").unlink()
    with pytest.raises(FileNotFoundError, match="u.item"):
        load_ml100k(folder)


# ------------------------------------------------------------------------------------- LastFM


def test_lastfm_first_artist_row_survives(sources):
    data = load_lastfm(sources / "lf")
    first = (sources / "lf" / ARTISTS).read_text(encoding="utf-8").split("\n")[0].split("\t")
    n_lines = len((sources / "lf" / ARTISTS).read_text(encoding="utf-8").rstrip("\n").split("\n"))
    assert len(data.artists) == n_lines
    row = data.artists.iloc[0]
    assert [str(row.artist_id), row["name"], row.gender_dist, row.mbid] == first
    # the trap: a header=0 read of the header-less file loses that row
    assert len(pd.read_csv(sources / "lf" / ARTISTS, sep="\t", header=0, quoting=3)) == n_lines - 1
    assert set(data.artists.gender) <= {"male", "female", "other", "na", "undefined", "ambiguous"}
    assert list(data.plays.columns) == ["user_id", "artist_id", "playcount"]
    assert data.plays.playcount.dtype == np.int64
    assert data.artists.name.str.contains('"').any()  # quotes read literally


@pytest.mark.parametrize(
    ("file", "line", "new", "fragments"),
    [
        (LE75, 1, "0,0,2137", ["the header 'userid,artistid,playcount'"]),
        (LE75, 5, "3,4", ["expected 3 fields"]),
        (LE75, 6, "3,x,17", ["integer artist id", "'x'"]),
        (LE75, 7, "3,4,-2", ["play count in 0..inf"]),
        (LE75, 8, "3,999999,17", ["only artist ids listed in LastFM360k-MB-artists.txt", "artist id 999999"]),
        (LE75, 9, "3,4,many", ["number of plays"]),
        (ARTISTS, 3, "100003\tsome band\t0/1/0/0/0", ["expected 4 fields"]),
        (ARTISTS, 4, "100004\tsome band\tmale\t", ["gender distribution u/m/f/o/n"]),
        (ARTISTS, 5, "x100005\tsome band\t0/1/0/0/0\t", ["integer artist id (the file has no header)"]),
    ],
)
def test_lastfm_malformed_rows(copy, file, line, new, fragments):
    folder = copy("lf")
    edit_line(folder / file, line, new)
    assert_error(lambda: load_lastfm(folder), file, line, *fragments)


def test_lastfm_artist_file_with_a_header_is_rejected(copy):
    folder = copy("lf")
    edit_line(folder / ARTISTS, 1, "id\tartist\tgender\tmbid", insert=True)
    assert_error(lambda: load_lastfm(folder), ARTISTS, 1, "no header")


def test_lastfm_duplicate_rows(copy):
    folder = copy("lf")
    second = (folder / LE75).read_text().split("\n")[1].split(",")
    edit_line(folder / LE75, 4, f"{second[0]},{second[1]},5", insert=True)
    summed = load_lastfm(folder)
    assert summed.n_duplicate_rows == 1
    pair = summed.plays[(summed.plays.user_id == int(second[0])) & (summed.plays.artist_id == int(second[1]))]
    assert pair.playcount.tolist() == [int(second[2]) + 5]
    assert len(load_lastfm(folder, duplicates="keep").plays) == len(summed.plays) + 1
    assert_error(lambda: load_lastfm(folder, duplicates="error"), LE75, 4, "(first on line 2)")


def test_lastfm_float_playcounts_are_accepted(copy):
    folder = copy("lf")
    edit_line(folder / LE75, 2, "0,0,7.6")
    assert load_lastfm(folder).plays.playcount.dtype == np.float64


def test_lastfm_raw_tables(sources):
    data = load_lastfm_raw(sources / "raw")
    assert list(data.plays.columns) == ["user_sha1", "artist_mbid", "artist_name", "plays"]
    assert data.plays.plays.dtype == np.int64
    assert str(data.profiles.age.dtype) == "Int64" and data.profiles.age.isna().any()
    assert pd.api.types.is_datetime64_any_dtype(data.profiles.signup) and data.profiles.signup.notna().all()
    # only the real file's known defects (the 'sep 20, 2008' rows, the row without artist identity)
    assert set(data.malformed[RAW_PLAYS].reasons) == set(KNOWN_DEFECTS)
    assert data.malformed[RAW_PROFILE].count == 0


def test_lastfm_raw_skips_and_counts_malformed_lines(copy, sources):
    folder = copy("raw")
    path = folder / RAW_PLAYS
    good = path.read_text(encoding="utf-8").split("\n")[0].split("\t")
    edit_line(path, 3, "\t".join(good + ["extra"]))
    edit_line(path, 5, "\t".join(good[:3] + ["12x"]))
    edit_line(path, 8, "\t".join(["nothex"] + good[1:]))
    edit_line(path, 10, "")
    n_lines = len(path.read_text(encoding="utf-8").rstrip("\n").split("\n"))
    known = load_lastfm_raw(sources / "raw").malformed[RAW_PLAYS].count  # the stand-in's known defects
    data = load_lastfm_raw(folder)
    report = data.malformed[RAW_PLAYS]
    assert report.count == 4 + known and report.first_lines[:4] == (3, 5, 8, 10)
    assert report.reasons["too many fields"] == 1 and report.reasons["plays not a non-negative integer"] == 1
    assert report.reasons["empty line"] == 1 and report.reasons["user sha1 not 40 hex digits"] == 1
    assert len(data.plays) == n_lines - 4 - known and report.lines == n_lines
    assert_error(lambda: load_lastfm_raw(folder, strict=True), RAW_PLAYS, 3, "too many fields")
    edit_line(path, 3, "\t".join(good))
    assert_error(lambda: load_lastfm_raw(folder, strict=True), RAW_PLAYS, 5, "plays not a non-negative integer")


def test_lastfm_raw_profile_checks(copy):
    folder = copy("raw")
    path = folder / RAW_PROFILE
    row = path.read_text(encoding="utf-8").split("\n")[1].split("\t")
    edit_line(path, 2, "\t".join([row[0], "x", *row[2:]]))
    data = load_lastfm_raw(folder)
    assert data.malformed[RAW_PROFILE].first_lines == (2,)
    assert_error(lambda: load_lastfm_raw(folder, strict=True), RAW_PROFILE, 2, "gender not m, f or empty")


# ---------------------------------------------------------------------------------- AmazonCat


def test_amazoncat_located_below_folder(sources, tmp_path):
    nested = tmp_path / "zip" / "amazoncat-13k-bert" / "data"
    shutil.copytree(sources / "ac", nested)
    data = load_amazoncat(tmp_path / "zip")
    assert data.features.shape == (200, 768) and data.features.dtype == np.float32
    assert sp.isspmatrix_csr(data.labels) and data.labels.shape == (200, 400)
    assert set(np.unique(data.labels.data)) == {1.0}


def test_amazoncat_accepts_other_encodings(copy):
    folder = copy("ac")
    features = load_amazoncat(folder).features
    np.savez(folder / "features.npz", features=features.astype(np.float64), extra=np.zeros(3))
    assert np.array_equal(load_amazoncat(folder).features, features)
    sp.save_npz(folder / "features.npz", sp.csr_matrix(features))  # RecLab stores features sparse
    assert np.array_equal(load_amazoncat(folder).features, features)


@pytest.mark.parametrize(
    ("file", "make", "fragment"),
    [
        ("features.npz", lambda f, y: np.savez(f, np.zeros((200, 700), np.float32)), "768 feature columns"),
        ("features.npz", lambda f, y: np.savez(f, np.zeros((200, 768), np.int64)), "float matrix"),
        ("features.npz", lambda f, y: np.savez(f, np.zeros(768, np.float32)), "2-D feature matrix"),
        ("features.npz", lambda f, y: f.write_bytes(b"not a zip"), "an .npz archive"),
        ("ratings.npz", lambda f, y: sp.save_npz(f, y * 2), "0/1 labels"),
        ("ratings.npz", lambda f, y: sp.save_npz(f, y[:150]), "200 rows"),
    ],
)
def test_amazoncat_bad_files(copy, file, make, fragment):
    folder = copy("ac")
    labels = sp.load_npz(folder / "ratings.npz")
    make(folder / file, labels)
    assert_error(lambda: load_amazoncat(folder), file, None, fragment)


def test_amazoncat_ambiguous_location(copy):
    folder = copy("ac")
    for sub in ("a", "b"):
        (folder / sub).mkdir()
        shutil.copy(folder / "features.npz", folder / sub / "features.npz")
    (folder / "features.npz").unlink()
    assert_error(lambda: load_amazoncat(folder), "features.npz", None, "one features.npz")
