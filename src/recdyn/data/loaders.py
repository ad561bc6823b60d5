"""Loaders for the thesis' datasets: real files or the synthetic stand-ins (identical formats).

Each loader reads the files as their publishers wrote them, validates them (vectorised: field
counts from a byte scan, then column checks with pandas), and returns tidy tables.  A malformed
file raises :class:`DataFormatError` naming the file, the 1-based line number as in the file,
what was expected and what was seen.

* :func:`load_ml100k` -- MovieLens-100K (thesis chapter 2; chapter 5, section 5.3).
* :func:`load_lastfm` -- LastFM-360K with artist gender, Shakespeare et al. 2020 (section 5.3).
* :func:`load_lastfm_raw` -- Celma's raw LastFM-360K (17.5M lines; the real file's known defects
  and a few malformed lines are skipped and counted; a file with many more raises).
* :func:`load_amazoncat` -- AmazonCat-13K BERT features and labels (chapter 4, sections 4.3-4.4).
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import scipy.sparse as sp

ML100K_GENRES = (
    "unknown", "Action", "Adventure", "Animation", "Children's", "Comedy", "Crime", "Documentary",
    "Drama", "Fantasy", "Film-Noir", "Horror", "Musical", "Mystery", "Romance", "Sci-Fi",
    "Thriller", "War", "Western",
)
LE75_HEADER = "userid,artistid,playcount"
ARTIST_GENDERS = ("undefined", "male", "female", "other", "na")  # order of the u/m/f/o/n counts
_MONTHS = {m: i for i, m in enumerate(
    ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"], start=1)}
_INT = r"-?\d{1,18}"
_NUMBER = r"-?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?"


class DataFormatError(ValueError):
    """A data file does not have the expected format.

    ``path``: the file; ``line``: 1-based line number in the file (``None`` for whole-file
    problems); ``expected`` / ``seen``: what the loader wanted and what it found.
    """

    def __init__(self, path: Path | str, line: int | None, expected: str, seen: str):
        self.path, self.line, self.expected, self.seen = Path(path), line, expected, seen
        where = f"{self.path.name}, line {line}" if line is not None else self.path.name
        super().__init__(f"{where}: expected {expected}, saw {seen} (file {self.path})")


# ---------------------------------------------------------------------------------------------
# generic table reading


@dataclass(frozen=True)
class _Table:
    path: Path
    frame: pd.DataFrame  # every column as str
    lines: np.ndarray  # 1-based file line of each row

    def fail(self, row: int, expected: str, seen: str) -> DataFormatError:
        return DataFormatError(self.path, int(self.lines[row]), expected, seen)


def _clip(text: str, limit: int = 120) -> str:
    return repr(text if len(text) <= limit else text[:limit] + "...")


def _line_text(raw: bytes, starts: np.ndarray, ends: np.ndarray, i: int, encoding: str) -> str:
    return raw[starts[i]:ends[i]].decode(encoding, errors="replace").rstrip("\r")


def _read_table(path: Path, sep: str, names: list[str], *, encoding: str,
                header: str | None = None, ints: tuple[str, ...] = ()) -> _Table:
    """Read a delimited text file with an exact field count, no quoting, as strings.

    Field counts are checked for every line with a vectorised byte scan; blank lines are only
    allowed at the end.  ``header``: the exact first line, if the file has one.  Columns in
    ``ints`` are parsed as int64 by the C parser when they all parse (fast path); otherwise
    everything stays str and :func:`_ints` finds and reports the first bad value.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no such file")
    raw = path.read_bytes()
    if encoding in ("utf-8", "ascii"):
        try:
            raw.decode(encoding)
        except UnicodeDecodeError as error:
            line = raw.count(b"\n", 0, error.start) + 1
            raise DataFormatError(path, line, f"{encoding} text",
                                  f"undecodable bytes {raw[error.start:error.start + 4]!r}") from None
    buf = np.frombuffer(raw, dtype=np.uint8)
    ends = np.flatnonzero(buf == 10)
    if buf.size and buf[-1] != 10:
        ends = np.append(ends, buf.size)
    starts = np.concatenate([[0], ends[:-1] + 1]).astype(np.int64)
    lengths = ends - starts
    cr = (lengths > 0) & (buf[np.maximum(ends - 1, 0)] == 13) if buf.size else np.zeros(0, bool)
    blank = (lengths - cr) == 0
    seps = np.flatnonzero(buf == ord(sep))
    per_line = np.bincount(np.searchsorted(ends, seps), minlength=ends.size)[: ends.size] + 1
    if header is not None:
        first = _line_text(raw, starts, ends, 0, encoding) if ends.size else ""
        if first != header:
            raise DataFormatError(path, 1, f"the header {header!r}", _clip(first))
    body = np.arange(ends.size) >= (1 if header is not None else 0)
    content = np.flatnonzero(~blank & body)
    last = content[-1] if content.size else -1
    interior_blank = np.flatnonzero(blank & body & (np.arange(ends.size) < last))
    bad = np.flatnonzero(~blank & body & (per_line != len(names)))
    problems = []
    if interior_blank.size:
        problems.append((interior_blank[0], f"{len(names)} fields separated by {sep!r}", "an empty line"))
    if bad.size:
        i = bad[0]
        problems.append((i, f"{len(names)} fields separated by {sep!r}",
                         f"{per_line[i]} fields: {_clip(_line_text(raw, starts, ends, i, encoding))}"))
    if problems:
        i, expected, seen = min(problems, key=lambda p: p[0])
        raise DataFormatError(path, int(i) + 1, expected, seen)
    if content.size == 0:
        raise DataFormatError(path, None, "data rows", "no data")
    options = dict(sep=sep, header=None, names=names, skiprows=1 if header is not None else 0,
                   na_filter=False, quoting=csv.QUOTE_NONE, engine="c", encoding=encoding,
                   skip_blank_lines=True)
    frame = None
    if ints:
        try:
            frame = pd.read_csv(io.BytesIO(raw), dtype={c: (np.int64 if c in ints else str) for c in names},
                                **options)
        except (ValueError, OverflowError, TypeError):
            frame = None
    if frame is None:
        frame = pd.read_csv(io.BytesIO(raw), dtype=str, **options)
    if len(frame) != content.size:  # cannot happen after the scan; guard against parser surprises
        raise DataFormatError(path, None, f"{content.size} data rows", f"{len(frame)} parsed rows")
    return _Table(path, frame, content + 1)


def _first_bad(mask: pd.Series | np.ndarray) -> int | None:
    bad = np.flatnonzero(~np.asarray(mask, dtype=bool))
    return int(bad[0]) if bad.size else None


def _ints(table: _Table, column: str, what: str, lo: int | None = None, hi: int | None = None) -> np.ndarray:
    text = table.frame[column]
    if text.dtype == np.int64:  # parsed by the C parser already
        values = text.to_numpy()
    else:
        row = _first_bad(text.str.fullmatch(_INT).fillna(False))
        if row is not None:
            raise table.fail(row, f"an integer {what}", _clip(text.iloc[row]))
        values = text.astype(np.int64).to_numpy()
    ok = np.ones(values.size, dtype=bool)
    if lo is not None:
        ok &= values >= lo
    if hi is not None:
        ok &= values <= hi
    row = _first_bad(ok)
    if row is not None:
        span = f"{lo if lo is not None else '-inf'}..{hi if hi is not None else 'inf'}"
        raise table.fail(row, f"{what} in {span}", str(values[row]))
    return values


def _choice(table: _Table, column: str, what: str, allowed) -> pd.Series:
    text = table.frame[column]
    row = _first_bad(text.isin(list(allowed)))
    if row is not None:
        shown = ", ".join(repr(a) for a in allowed) if len(allowed) <= 8 else f"one of {len(allowed)} values"
        raise table.fail(row, f"{what} ({shown})", _clip(text.iloc[row]))
    return text


def _unique_ids(table: _Table, ids: np.ndarray, what: str) -> None:
    dup = pd.Series(ids).duplicated().to_numpy()
    row = _first_bad(~dup)
    if row is not None:
        first = int(np.flatnonzero(ids == ids[row])[0])
        raise table.fail(row, f"unique {what}s", f"{what} {ids[row]} again (first on line {table.lines[first]})")


def _known_ids(table: _Table, ids: np.ndarray, known: np.ndarray, what: str, other: Path) -> None:
    row = _first_bad(np.isin(ids, known))
    if row is not None:
        raise table.fail(row, f"only {what}s listed in {other.name}", f"{what} {ids[row]}, which is not")


def _dates_dmy(table: _Table, column: str, what: str) -> pd.Series:
    """'01-Jan-1995' or '4-Feb-1971' (day with or without its leading zero, English month
    abbreviations, locale independent) or empty -> datetime64; impossible dates are rejected."""
    text = table.frame[column]
    parts = text.str.extract(r"^(\d{1,2})-([A-Z][a-z]{2})-(\d{4})$")
    month = parts[1].map(_MONTHS)
    iso = parts[2] + "-" + month.astype("Int64").astype(str).str.zfill(2) + "-" + parts[0].str.zfill(2)
    dates = pd.to_datetime(iso.where(month.notna()), format="%Y-%m-%d", errors="coerce").astype("datetime64[ns]")
    row = _first_bad((text == "") | dates.notna())
    if row is not None:
        raise table.fail(row, f"a {what} like 01-Jan-1995 or nothing", _clip(text.iloc[row]))
    return dates


def _find_file(folder: Path, name: str) -> Path:
    path = Path(folder) / name
    if not path.is_file():
        raise FileNotFoundError(f"{Path(folder)}: missing {name}")
    return path


# ---------------------------------------------------------------------------------------------
# MovieLens-100K


@dataclass(frozen=True)
class Ml100k:
    """MovieLens-100K as tidy tables (ids as in the files, from 1).

    ``ratings``: user_id, item_id, rating (1..5), timestamp (unix seconds), in file order.
    ``users``: user_id, age, gender ('M'/'F'), occupation, zip (str).
    ``items``: item_id, title, release_date (datetime64, NaT if empty), video_release_date,
    imdb_url, then the 19 genre columns (int8 0/1) named as in u.genre.
    """

    ratings: pd.DataFrame
    users: pd.DataFrame
    items: pd.DataFrame


def _ml100k_genres(folder: Path) -> tuple[str, ...]:
    path = Path(folder) / "u.genre"
    if not path.is_file():  # only u.data, u.user and u.item are staged from the real archive
        return ML100K_GENRES
    table = _read_table(path, "|", ["name", "index"], encoding="latin-1")
    index = _ints(table, "index", "genre index", 0, len(table.frame) - 1)
    if not np.array_equal(np.sort(index), np.arange(len(index))):
        raise DataFormatError(path, None, "genre indices 0..n-1", f"{sorted(index.tolist())}")
    names = table.frame["name"].to_numpy()[np.argsort(index)]
    if len(names) != 19:
        raise DataFormatError(path, None, "19 genres", f"{len(names)}")
    return tuple(names)


def _ml100k_ratings(path: Path, user_id: np.ndarray | None = None, item_id: np.ndarray | None = None,
                    defined_in: tuple[Path, Path] | None = None) -> pd.DataFrame:
    """``u.data`` or one of its official splits: validated ratings (user_id, item_id, rating,
    timestamp) in file order; with ``user_id``/``item_id``, every id must be one of them."""
    table = _read_table(path, "\t", ["user_id", "item_id", "rating", "timestamp"],
                        encoding="latin-1", ints=("user_id", "item_id", "rating", "timestamp"))
    r_user = _ints(table, "user_id", "user id", 1)
    r_item = _ints(table, "item_id", "item id", 1)
    rating = _ints(table, "rating", "rating", 1, 5)
    timestamp = _ints(table, "timestamp", "unix timestamp", 0)
    if defined_in is not None:
        _known_ids(table, r_user, user_id, "user id", defined_in[0])
        _known_ids(table, r_item, item_id, "item id", defined_in[1])
    pair = r_user * (int(r_item.max()) + 1) + r_item
    dup = pd.Series(pair).duplicated().to_numpy()
    row = _first_bad(~dup)
    if row is not None:
        first = int(np.flatnonzero(pair == pair[row])[0])
        raise table.fail(row, "one rating per (user, item) pair",
                         f"user {r_user[row]} item {r_item[row]} again (first on line {table.lines[first]})")
    return pd.DataFrame({"user_id": r_user, "item_id": r_item, "rating": rating, "timestamp": timestamp})


#: The official splits of the archive (GroupLens README): ``u1``..``u5`` are 80%/20% splits
#: with disjoint test sets (``u<k>.test`` = lines 20,000 (k-1) + 1 .. 20,000 k of ``u.data``),
#: ``ua``/``ub`` hold out exactly 10 ratings per user; all files sorted by user, then item.
ML100K_SPLITS = ("u1", "u2", "u3", "u4", "u5", "ua", "ub")


def load_ml100k_split(folder: Path | str, split: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The official split ``split`` (one of :data:`ML100K_SPLITS`) as ``(base, test)`` rating
    tables with ``u.data``'s columns and checks; the two must not share a (user, item) pair."""
    if split not in ML100K_SPLITS:
        raise ValueError(f"unknown ML-100K split {split!r}; expected one of {ML100K_SPLITS}")
    folder = Path(folder)
    base = _ml100k_ratings(_find_file(folder, f"{split}.base"))
    test = _ml100k_ratings(_find_file(folder, f"{split}.test"))
    both = base.merge(test, on=["user_id", "item_id"], how="inner")
    if len(both):
        raise DataFormatError(folder / f"{split}.test", None, f"no (user, item) pair of {split}.base",
                              f"{len(both)} shared pairs, e.g. user {both.user_id.iloc[0]} item {both.item_id.iloc[0]}")
    return base, test


def load_ml100k(folder: Path | str) -> Ml100k:
    """Read and validate ``u.data``, ``u.user`` and ``u.item`` (latin-1) from ``folder``.

    ``u.genre`` and ``u.occupation`` are used when present (then occupations must be listed
    there).  Checks: field counts, integers, ratings 1..5, ages 0..120, genders M/F, genre flags
    0/1, release dates, unique user and item ids, every rated user and item defined, and one
    rating per (user, item) pair.

    Format facts of the real files (GroupLens' README of ml-100k, and the files themselves,
    checked against a copy with the published checksums); the stand-in
    (:mod:`recdyn.data.synthetic.ml100k`) reproduces each of them:

    * ``u.data``: ``user \t item \t rating \t unix time``, no header, 100,000 lines, ASCII, in
      no sorted order (the official splits ``u1``..``u5`` take its lines in file order).
    * ``u.user``: ``id|age|gender|occupation|zip``, 943 lines, ages 7..73, 670 M / 273 F; zip
      codes are 5-character strings, some with leading zeros, 18 alphanumeric (Canadian, e.g.
      ``T8H1N``), so they are kept as text.
    * ``u.item``: 24 ``|``-separated fields, 1,682 lines, **latin-1** (9 titles have é, è, ö,
      Á: reading it as UTF-8 fails).  Release dates are ``01-Jan-1995``, but line 1373 writes its
      day without the leading zero (``4-Feb-1971``); item 267 is a placeholder titled
      ``unknown`` with empty release date and URL; items 1358 and 1359 have an empty IMDb URL;
      the video release date is always empty; 3 titles end with a space and one has ``(V)``
      after its year; 18 titles appear under two ids (the same movie entered twice).  Titles
      are kept exactly as written.
    * ``u.genre``: ``name|index``, 19 lines, then an empty line; ``u.occupation``: 21 names.
    """
    folder = Path(folder)
    genres = _ml100k_genres(folder)

    users_t = _read_table(_find_file(folder, "u.user"), "|", ["user_id", "age", "gender", "occupation", "zip"],
                          encoding="latin-1", ints=("user_id", "age"))
    user_id = _ints(users_t, "user_id", "user id", 1)
    _unique_ids(users_t, user_id, "user id")
    age = _ints(users_t, "age", "age", 0, 120)
    gender = _choice(users_t, "gender", "gender", ("M", "F"))
    occupation_path = folder / "u.occupation"
    if occupation_path.is_file():
        occ_t = _read_table(occupation_path, "|", ["occupation"], encoding="latin-1")
        occupation = _choice(users_t, "occupation", "an occupation listed in u.occupation",
                             occ_t.frame["occupation"].tolist())
    else:
        occupation = users_t.frame["occupation"]
        row = _first_bad(occupation != "")
        if row is not None:
            raise users_t.fail(row, "an occupation", "an empty field")
    users = pd.DataFrame({"user_id": user_id, "age": age, "gender": gender.to_numpy(),
                          "occupation": occupation.to_numpy(), "zip": users_t.frame["zip"].to_numpy()})

    item_names = ["item_id", "title", "release_date", "video_release_date", "imdb_url", *genres]
    items_t = _read_table(_find_file(folder, "u.item"), "|", item_names, encoding="latin-1",
                          ints=("item_id", *genres))
    item_id = _ints(items_t, "item_id", "movie id", 1)
    _unique_ids(items_t, item_id, "movie id")
    items = pd.DataFrame({
        "item_id": item_id,
        "title": items_t.frame["title"].to_numpy(),
        "release_date": _dates_dmy(items_t, "release_date", "release date").to_numpy(),
        "video_release_date": _dates_dmy(items_t, "video_release_date", "video release date").to_numpy(),
        "imdb_url": items_t.frame["imdb_url"].to_numpy(),
    })
    for genre in genres:
        items[genre] = _ints(items_t, genre, f"{genre} genre flag", 0, 1).astype(np.int8)

    ratings = _ml100k_ratings(_find_file(folder, "u.data"), user_id, item_id, (users_t.path, items_t.path))
    return Ml100k(ratings=ratings, users=users, items=items)


# ---------------------------------------------------------------------------------------------
# LastFM-360K, Shakespeare et al. (2020)


@dataclass(frozen=True)
class LastFm:
    """LastFM-360K with artist gender (Shakespeare et al. 2020) as tidy tables.

    ``plays``: user_id, artist_id, playcount (raw plays as stored: int64 in the published
    file; float64 if a file stores non-integers), in file order.  Apply ``log1p`` yourself
    (RecLab rates with ``log(1 + plays)``).
    ``artists``: artist_id, name, gender (majority of the member genders: 'male', 'female',
    'other', 'na', 'undefined', or 'ambiguous' for ties, which Shakespeare et al. drop),
    mbid ('' if none), gender_dist (the file's ``u/m/f/o/n`` counts).
    ``n_duplicate_rows``: (user, artist) rows that repeated an earlier pair (summed into it).
    """

    plays: pd.DataFrame
    artists: pd.DataFrame
    n_duplicate_rows: int = 0


def _artist_gender(table: _Table) -> tuple[np.ndarray, np.ndarray]:
    text = table.frame["gender_dist"]
    row = _first_bad(text.str.fullmatch(r"\d{1,6}/\d{1,6}/\d{1,6}/\d{1,6}/\d{1,6}").fillna(False))
    if row is not None:
        raise table.fail(row, "a gender distribution u/m/f/o/n such as 0/1/0/0/0", _clip(text.iloc[row]))
    counts = text.str.split("/", expand=True).astype(np.int64).to_numpy()
    tie = (counts == counts.max(axis=1, keepdims=True)).sum(axis=1) > 1
    label = np.where(tie, "ambiguous", np.array(ARTIST_GENDERS)[counts.argmax(axis=1)])
    return label, text.to_numpy()


def load_lastfm(folder: Path | str, *, duplicates: str = "sum") -> LastFm:
    """Read and validate ``LastFM360k-Le75.txt`` and ``LastFM360k-MB-artists.txt``.

    The Le75 file must start with the header ``userid,artistid,playcount``; the artist file
    has no header (its first line is an artist and is kept).  Checks: field counts, integer
    ids >= 0, non-negative play counts, unique artist ids, gender distributions, and every
    played artist listed in the artist file.  ``duplicates``: what to do with repeated
    (user, artist) rows -- ``"sum"`` their plays (default, counted in ``n_duplicate_rows``),
    ``"keep"`` them, or ``"error"``.

    Format facts and quirks of the real files (Zenodo record 3964506; sources: the authors'
    notebook with its saved outputs, ``dshakes90/Last-fm-Gender-Bias-Analysis``, and RecLab's
    reader); the stand-in (:mod:`recdyn.data.synthetic.lastfm`) writes each of them:

    * ``LastFM360k-Le75.txt``: comma-separated, header ``userid,artistid,playcount`` (the
      notebook reads it with a header), 6,541,600 rows.  Ids are 0-based integers; ``userid``
      is the user's rank in the raw 360K data (sha1 order), so the 137,157 kept users leave
      gaps (max seen 359,338); ``artistid`` numbers artists by first appearance in the raw file
      (row 1 is ``0,0,2137``).  ``playcount`` is the raw integer plays: max 419,157 and exactly
      one 0 (``286050,235564,0``, the raw file's zero row): valid.  RecLab applies ``log1p``.
    * ``LastFM360k-MB-artists.txt``: tab-separated ``id, name, u/m/f/o/n, MBID``, **no header**
      (the notebook prints ``164618 genlevel 1/0/0/0/0`` as row 0; RecLab's ``header=0`` read
      loses that artist: it is kept here), ids in no order, MBID empty when unknown (row 0),
      names lower case with non-ASCII (``björk``) and quotes kept as written.  About 1.4% of
      the rows are ties (``0/1/1/0/0``: 4,125 of 292,481), labelled ``ambiguous`` here (the
      notebook drops them).  MBIDs are not validated.
    """
    if duplicates not in ("sum", "keep", "error"):
        raise ValueError("duplicates must be 'sum', 'keep' or 'error'")
    folder = Path(folder)
    art_t = _read_table(_find_file(folder, "LastFM360k-MB-artists.txt"), "\t",
                        ["artist_id", "name", "gender_dist", "mbid"], encoding="utf-8", ints=("artist_id",))
    artist_id = _ints(art_t, "artist_id", "artist id (the file has no header)", 0)
    _unique_ids(art_t, artist_id, "artist id")
    gender, gender_dist = _artist_gender(art_t)
    artists = pd.DataFrame({"artist_id": artist_id, "name": art_t.frame["name"].to_numpy(), "gender": gender,
                            "mbid": art_t.frame["mbid"].to_numpy(), "gender_dist": gender_dist})

    le_t = _read_table(_find_file(folder, "LastFM360k-Le75.txt"), ",", ["userid", "artistid", "playcount"],
                       encoding="utf-8", header=LE75_HEADER, ints=("userid", "artistid", "playcount"))
    user = _ints(le_t, "userid", "user id", 0)
    artist = _ints(le_t, "artistid", "artist id", 0)
    _known_ids(le_t, artist, artist_id, "artist id", art_t.path)
    text = le_t.frame["playcount"]
    if text.dtype == np.int64 or bool(text.str.fullmatch(_INT).fillna(False).all()):
        playcount = _ints(le_t, "playcount", "play count", 0)
    else:
        row = _first_bad(text.str.fullmatch(_NUMBER).fillna(False))
        if row is not None:
            raise le_t.fail(row, "a number of plays", _clip(text.iloc[row]))
        playcount = text.astype(np.float64).to_numpy()
        row = _first_bad(np.isfinite(playcount) & (playcount >= 0))
        if row is not None:
            raise le_t.fail(row, "a finite play count >= 0", str(playcount[row]))
    plays = pd.DataFrame({"user_id": user, "artist_id": artist, "playcount": playcount})
    pair = user * (int(artist_id.max()) + 1 if artist_id.size else 1) + artist
    dup = pd.Series(pair).duplicated().to_numpy()
    n_dup = int(dup.sum())
    if n_dup and duplicates == "error":
        row = int(np.flatnonzero(dup)[0])
        first = int(np.flatnonzero(pair == pair[row])[0])
        raise le_t.fail(row, "one row per (user, artist) pair",
                        f"user {user[row]} artist {artist[row]} again (first on line {le_t.lines[first]})")
    if n_dup and duplicates == "sum":
        plays = plays.groupby(["user_id", "artist_id"], sort=False, as_index=False)["playcount"].sum()
    return LastFm(plays=plays, artists=artists, n_duplicate_rows=n_dup)


# ---------------------------------------------------------------------------------------------
# LastFM-360K raw (Celma 2010)

#: ``load_lastfm_raw`` raises when more than this share of a file's lines is malformed (and more
#: than :data:`MALFORMED_FLOOR` lines): the real plays file has 88 defective rows in 17,559,530
#: lines (0.0005%), the real profile file none.
MAX_MALFORMED_SHARE = 0.001
MALFORMED_FLOOR = 10
SEP20_USER = "sep 20, 2008"
_SEP20_REASON = "user is the date 'sep 20, 2008' (a known defect: 86 rows of the real file)"
_NO_IDENTITY_REASON = "no artist identity (empty MBID and empty artist name; one row of the real file)"
#: Defects of the real plays file: always skipped and counted, also with ``strict=True``.
KNOWN_DEFECTS = (_SEP20_REASON, _NO_IDENTITY_REASON)
_SCAN_CHUNK = 1 << 26


@dataclass(frozen=True)
class Malformed:
    """Lines of a file that were skipped: how many, the first few line numbers, the count per
    reason, and the number of lines of the file."""

    count: int = 0
    first_lines: tuple[int, ...] = ()
    reasons: dict[str, int] = field(default_factory=dict)
    lines: int = 0


@dataclass(frozen=True)
class LastFmRaw:
    """Celma's raw LastFM-360K as tidy tables.

    ``plays``: user_sha1, artist_mbid ('' if none), artist_name, plays (int64), in file order,
    repeated (user, artist) rows kept (:func:`recdyn.data.process.tidy_lastfm` sums them).
    ``profiles``: user_sha1, gender ('m', 'f' or ''), age (nullable Int64, as given: the real
    file has -1337 and 1002), country, signup (datetime64, NaT if empty).
    ``malformed``: per file name, the skipped lines.
    """

    plays: pd.DataFrame
    profiles: pd.DataFrame
    malformed: dict[str, Malformed]


@dataclass(frozen=True)
class _Scan:
    n_lines: int  # lines of the file, trailing empty lines not counted
    bad: np.ndarray  # 1-based numbers of the lines without the expected number of fields
    fields: np.ndarray  # their field counts (0: an empty line)
    first_text: str  # the first such line, for messages


def _scan_fields(path: Path, n_fields: int) -> _Scan:
    """One streaming pass over a tab-separated file: UTF-8 check (undecodable bytes raise
    :class:`DataFormatError` naming the line) and the field count of every line."""
    bad, fields, first_text = [], [], ""
    n_lines, carry = 0, b""
    with open(path, "rb") as handle:
        while True:
            block = handle.read(_SCAN_CHUNK)
            data = carry + block
            if block:
                cut = data.rfind(b"\n") + 1
                if cut == 0:
                    carry = data
                    continue
                piece, carry = data[:cut], data[cut:]
            elif data:
                piece, carry = data + b"\n", b""  # a last line without its newline
            else:
                break
            if not piece.isascii():
                try:
                    piece.decode("utf-8")
                except UnicodeDecodeError as error:
                    line = n_lines + piece.count(b"\n", 0, error.start) + 1
                    raise DataFormatError(path, line, "UTF-8 text (the real files are valid UTF-8)",
                                          f"undecodable bytes {piece[error.start:error.start + 4]!r}") from None
            buf = np.frombuffer(piece, dtype=np.uint8)
            ends = np.flatnonzero(buf == 10)
            starts = np.concatenate([[0], ends[:-1] + 1])
            count = np.bincount(np.searchsorted(ends, np.flatnonzero(buf == 9)), minlength=ends.size) + 1
            count[ends == starts] = 0
            wrong = np.flatnonzero(count != n_fields)
            if wrong.size and not first_text and not any(b.size for b in bad):
                i = wrong[0]
                first_text = piece[starts[i]:ends[i]].decode("utf-8")
            bad.append(wrong + n_lines + 1)
            fields.append(count[wrong])
            n_lines += ends.size
    bad = np.concatenate(bad) if bad else np.zeros(0, np.int64)
    fields = np.concatenate(fields) if fields else np.zeros(0, np.int64)
    while bad.size and bad[-1] == n_lines and fields[-1] == 0:  # empty lines at the end
        bad, fields, n_lines = bad[:-1], fields[:-1], n_lines - 1
    return _Scan(n_lines, bad.astype(np.int64), fields, first_text)


def _field_reason(count: int, n_fields: int) -> str:
    return "empty line" if count == 0 else "too many fields" if count > n_fields else "too few fields"


def _read_loose(path: Path, names: list[str], *, strict: bool,
                max_share: float) -> tuple[pd.DataFrame, np.ndarray, _Scan]:
    """Tab-separated, no header, no quoting, UTF-8: the well-formed lines as str columns, each
    row's line number, and the scan (lines with a wrong field count are left out)."""
    scan = _scan_fields(path, len(names))
    if scan.bad.size and not strict:  # early exit for a broken file: skip reading it
        seen = f"{_field_reason(int(scan.fields[0]), len(names))}: {_clip(scan.first_text)}"
        _check_share(path, scan.bad.size, scan.n_lines, int(scan.bad[0]), seen, max_share,
                     f"without {len(names)} tab-separated fields")
    if scan.n_lines == scan.bad.size:
        raise DataFormatError(path, None, f"lines of {len(names)} tab-separated fields", "none")
    frame = pd.read_csv(path, sep="\t", header=None, names=names, dtype=str, na_filter=False,
                        quoting=csv.QUOTE_NONE, engine="c", encoding="utf-8", lineterminator="\n",
                        skiprows=set((scan.bad - 1).tolist()), skip_blank_lines=False)
    lines = np.setdiff1d(np.arange(1, scan.n_lines + 1), scan.bad, assume_unique=True)
    if len(frame) < lines.size or not frame.iloc[lines.size:].eq("").all(axis=None):
        raise DataFormatError(path, None, f"{lines.size} well-formed lines", f"{len(frame)} parsed rows")
    return frame.iloc[:lines.size], lines, scan


def _check_share(path: Path, count: int, n_lines: int, first: int, seen: str, max_share: float,
                 what: str = "malformed") -> None:
    """Raise if ``count`` malformed lines of ``n_lines`` is far more than the real files have."""
    if count > max(max_share * n_lines, MALFORMED_FLOOR):
        raise DataFormatError(
            path, first, f"at most {max_share:.2%} malformed lines (or {MALFORMED_FLOOR}), as in the real "
            "file (plays: 88 of 17,559,530; profiles: none)",
            f"{count} of {n_lines} lines {what}; the first: {seen}")


def _drop_bad(frame: pd.DataFrame, lines: np.ndarray, scan: _Scan, checks: dict[str, pd.Series],
              strict: bool, max_share: float, path: Path) -> tuple[pd.DataFrame, Malformed]:
    """Skip the rows failing a check (first failed check = the reason) and count them with the
    lines of a wrong field count; raise past the malformed share, or (``strict``) on the first
    line that is neither well-formed nor a known defect of the real file."""
    n_fields = len(frame.columns)
    ok = np.ones(len(frame), dtype=bool)
    reasons: dict[str, int] = {}
    for count in scan.fields:
        reason = _field_reason(int(count), n_fields)
        reasons[reason] = reasons.get(reason, 0) + 1
    reason_of = np.full(len(frame), "", dtype=object)
    for reason, passed in checks.items():
        passed = np.asarray(pd.Series(passed).fillna(False), dtype=bool)
        fails = ~passed & ok
        if fails.any():
            reasons[reason] = int(fails.sum())
            reason_of[fails] = reason
        ok &= passed
    bad_lines = np.union1d(scan.bad, lines[~ok])

    def describe(line: int) -> str:
        row = int(np.searchsorted(lines, line))
        if row < lines.size and lines[row] == line:
            return f"{reason_of[row]}: {_clip(chr(9).join(frame.iloc[row].tolist()))}"
        return f"{_field_reason(int(scan.fields[0]), n_fields)}: {_clip(scan.first_text)}"

    if strict:
        unknown = np.union1d(scan.bad, lines[~ok & ~np.isin(reason_of, KNOWN_DEFECTS)])
        if unknown.size:
            line = int(unknown[0])
            raise DataFormatError(path, line, f"a well-formed line of {n_fields} tab-separated fields",
                                  describe(line))
    if bad_lines.size:
        _check_share(path, bad_lines.size, scan.n_lines, int(bad_lines[0]), describe(int(bad_lines[0])), max_share)
    return (frame[ok].reset_index(drop=True),
            Malformed(int(bad_lines.size), tuple(int(x) for x in bad_lines[:20]), reasons, scan.n_lines))


def _signup_dates(text: pd.Series) -> pd.Series:
    parts = text.str.extract(r"^([A-Z][a-z]{2}) (\d{1,2}), (\d{4})$")
    month = parts[0].map(_MONTHS).astype("Int64").astype(str).str.zfill(2)
    iso = parts[2] + "-" + month + "-" + parts[1].str.zfill(2)
    dates = pd.to_datetime(iso.where(parts[0].isin(list(_MONTHS))), format="%Y-%m-%d", errors="coerce")
    return dates.astype("datetime64[ns]")


def load_lastfm_raw(folder: Path | str, *, strict: bool = False,
                    max_malformed_share: float = MAX_MALFORMED_SHARE) -> LastFmRaw:
    """Read ``usersha1-artmbid-artname-plays.tsv`` and ``usersha1-profile.tsv`` (Celma's
    LFM-360K v1.2) with quoting off, as UTF-8.

    Malformed lines are skipped and counted per reason in ``malformed``.  A file with more than
    ``max_malformed_share`` of its lines malformed (and more than :data:`MALFORMED_FLOOR`) is
    not the real file: :class:`DataFormatError` names its first bad line.  With ``strict=True``
    the first malformed line raises, except the real file's known defects
    (:data:`KNOWN_DEFECTS`), which are always skipped and counted.  Undecodable (non-UTF-8)
    bytes always raise, naming the line: the real files have none, so they mean a damaged or
    re-encoded copy (nothing is silently replaced).

    Format facts and quirks of the real files (sources: Celma's README; a public DuckDB ingest
    of the full file with strict 4-field parsing and quoting off; public loaders that drop the
    ``sep 20, 2008`` rows; the TFDS builder; a public notebook's pandas read of the full profile
    file; the profile file's first 1,000 lines); the stand-in
    (:mod:`recdyn.data.synthetic.lastfm`) writes each of them:

    * plays: ``user sha1 \\t MBID \\t artist name \\t plays``, no header, UTF-8, 17,559,530 lines
      of exactly 4 fields (DuckDB: 0 parse rejects), 359,347 users in contiguous blocks sorted
      by sha1, each user's rows by decreasing plays (mostly <= 50, Last.fm's top artists).
    * 86 rows have the date ``sep 20, 2008`` in the user field (public readers of the full file
      drop exactly ``user == 'sep 20, 2008'``): skipped and counted, reason ``KNOWN_DEFECTS[0]``.
      Their position is not published; the stand-in writes them last, where a sha1-sorted file
      puts them (``s`` sorts after the hex digits): our guess.
    * One row has plays 0 (TFDS builder; it survives into Le75): valid.
    * One row has an empty MBID and an empty artist name (DuckDB ingest: "an item without a
      usable identity"): skipped and counted, reason ``KNOWN_DEFECTS[1]``.
    * 421 repeated (user, artist) rows when the artist is the MBID or the lower-cased name
      (DuckDB ingest): kept here; ``tidy_lastfm`` sums them.
    * Empty MBID on about 1.25% of rows (first 100,000 rows, public scan); an artist can have
      an MBID on some rows and none on others (``tidy_lastfm`` then keys the rows by name and
      merges names with exactly one MBID into it).  A few dozen MBIDs are reportedly not
      canonical lower-case UUIDs (160,168 distinct strings, 160,131 valid UUIDs): not
      validated, kept as given.
    * Artist names are mostly lower case, often non-ASCII (``die Ärzte`` on line 2) and some
      contain double quotes: read with quoting off, kept exactly as written.
    * profiles: ``sha1 \\t gender \\t age \\t country \\t signup``, no header, 359,347 lines of 5
      fields, sha1-sorted.  Gender ``m``/``f`` or empty (9.1%); age empty (20.8%) or an integer,
      absurd ones included (-1337, 0..9, 100, 1002: kept as given, plausibility is the
      analysis' business, not the format's); country always present, some names with commas
      (``Korea, Republic of``); signup ``Mon D, YYYY`` with an English month and the day
      without a leading zero (``Feb 1, 2007``), 2002-2009.

    Malformed (never in the real files): a wrong field count or an empty line, a user that is
    neither 40 lower-case hex digits nor the known date, plays not a non-negative integer; in
    profiles a gender other than m/f/empty, a non-integer age, an unparsable signup.
    """
    folder = Path(folder)
    plays_path = _find_file(folder, "usersha1-artmbid-artname-plays.tsv")
    frame, lines, scan = _read_loose(plays_path, ["user_sha1", "artist_mbid", "artist_name", "plays"],
                                     strict=strict, max_share=max_malformed_share)
    user = frame["user_sha1"]
    frame, bad_plays = _drop_bad(frame, lines, scan, {
        _SEP20_REASON: user != SEP20_USER,
        "user sha1 not 40 hex digits": user.str.fullmatch(r"[0-9a-f]{40}"),
        "plays not a non-negative integer": frame["plays"].str.fullmatch(r"\d{1,18}"),
        _NO_IDENTITY_REASON: (frame["artist_mbid"].str.strip() != "") | (frame["artist_name"].str.strip() != ""),
    }, strict, max_malformed_share, plays_path)
    plays = frame.assign(plays=frame["plays"].astype(np.int64))

    profile_path = _find_file(folder, "usersha1-profile.tsv")
    frame, lines, scan = _read_loose(profile_path, ["user_sha1", "gender", "age", "country", "signup"],
                                     strict=strict, max_share=max_malformed_share)
    signup = _signup_dates(frame["signup"])
    frame, bad_profiles = _drop_bad(frame, lines, scan, {
        "user sha1 not 40 hex digits": frame["user_sha1"].str.fullmatch(r"[0-9a-f]{40}"),
        "gender not m, f or empty": frame["gender"].isin(["m", "f", ""]),
        "age not an integer or empty": frame["age"].str.fullmatch(r"(-?\d{1,9})?"),
        "signup not a date like 'Feb 1, 2007' or empty": (frame["signup"] == "") | signup.notna(),
    }, strict, max_malformed_share, profile_path)
    profiles = pd.DataFrame({
        "user_sha1": frame["user_sha1"],
        "gender": frame["gender"],
        "age": pd.to_numeric(frame["age"].replace("", None)).astype("Int64"),
        "country": frame["country"],
        "signup": _signup_dates(frame["signup"]),
    })
    return LastFmRaw(plays=plays, profiles=profiles,
                     malformed={plays_path.name: bad_plays, profile_path.name: bad_profiles})


# ---------------------------------------------------------------------------------------------
# AmazonCat-13K with BERT features


@dataclass(frozen=True)
class AmazonCat:
    """``features``: float32 (n_items, 768) BERT embeddings; ``labels``: CSR (n_items,
    n_categories) float32 0/1 item-category matrix (rows aligned with ``features``)."""

    features: np.ndarray
    labels: sp.csr_matrix


def _locate(folder: Path, name: str) -> Path:
    matches = sorted(Path(folder).rglob(name), key=lambda p: (len(p.parts), str(p)))
    if not matches:
        raise FileNotFoundError(f"{folder}: no {name} anywhere below")
    if len(matches) > 1 and len(matches[0].parts) == len(matches[1].parts):
        raise DataFormatError(matches[0], None, f"one {name} below {folder}",
                              ", ".join(str(p) for p in matches))
    return matches[0]


def _load_features(path: Path, n_features: int) -> np.ndarray:
    try:
        archive = np.load(path, allow_pickle=False)
    except Exception as error:  # noqa: BLE001 - any unreadable file is a format error
        raise DataFormatError(path, None, "an .npz archive", f"an unreadable file ({error})") from None
    with archive:
        keys = list(archive.files)
        if {"indptr", "indices", "data", "format", "shape"} <= set(keys):
            matrix = sp.load_npz(path)
            array = matrix.toarray()
        else:
            named = [k for k in ("features", "arr_0", "X", "x", "embeddings", "data") if k in keys]
            if len(keys) == 1:
                array = archive[keys[0]]
            elif named:
                array = archive[named[0]]
            else:
                raise DataFormatError(path, None, "one array (or a key such as 'features' or 'arr_0')",
                                      f"keys {keys}")
    if array.ndim != 2:
        raise DataFormatError(path, None, "a 2-D feature matrix", f"shape {array.shape}")
    if array.shape[1] != n_features:
        raise DataFormatError(path, None, f"{n_features} feature columns", f"shape {array.shape}")
    if not np.issubdtype(array.dtype, np.floating):
        raise DataFormatError(path, None, "a float matrix", f"dtype {array.dtype}")
    array = np.asarray(array, dtype=np.float32)
    finite = np.isfinite(array).all(axis=1)
    if not finite.all():
        raise DataFormatError(path, None, "finite features", f"non-finite values in row {int(np.argmin(finite))}")
    return array


def _load_labels(path: Path) -> sp.csr_matrix:
    try:
        matrix = sp.load_npz(path)
    except Exception as error:  # noqa: BLE001
        raise DataFormatError(path, None, "a scipy.sparse .npz matrix", f"an unreadable file ({error})") from None
    if matrix.ndim != 2:
        raise DataFormatError(path, None, "a 2-D label matrix", f"shape {matrix.shape}")
    labels = sp.csr_matrix(matrix)
    labels.eliminate_zeros()
    data = labels.data
    if data.dtype.kind not in "biuf" or not np.all(data == 1):
        bad = data[data != 1][:3] if data.dtype.kind in "biuf" else data[:3]
        raise DataFormatError(path, None, "0/1 labels", f"values such as {bad.tolist()}")
    labels = sp.csr_matrix((np.ones(labels.nnz, dtype=np.float32), labels.indices, labels.indptr),
                           shape=labels.shape)
    labels.sort_indices()
    return labels


def load_amazoncat(folder: Path | str, *, n_features: int = 768) -> AmazonCat:
    """Find ``features.npz`` and ``ratings.npz`` anywhere below ``folder`` and validate them:
    a 2-D float matrix with ``n_features`` columns (dense ``.npz`` under any single key or
    'features'/'arr_0', or a scipy sparse ``.npz``) and a sparse 0/1 label matrix with as many
    rows.

    Format facts of the real ``amazoncat-13k-bert.zip`` (source: the authors' RecLab branch
    ``karl/contextual-addon``, ``data_utils.get_data('amazoncat-13k-bert')``, which downloads it
    from ``kkrauth.s3-us-west-2.amazonaws.com``; the thesis names ``twostage.s3-...``); the
    stand-in (:mod:`recdyn.data.synthetic.amazoncat`) writes each of them:

    * The zip holds one top folder ``amazoncat-13k-bert/`` with ``features.npz`` and
      ``ratings.npz`` (RecLab extracts it and opens ``amazoncat-13k-bert/<name>``).
    * ``features.npz``: one dense array saved with ``np.savez``, under its default key
      ``arr_0`` (RecLab reads ``npz[npz.files[0]]``); rows are the items (contexts), 768
      BERT-base columns expected.  dtype not published: float32 and float64 are accepted and
      returned as float32.  A scipy sparse file is accepted too (the sister archive
      ``wiki10-31k.zip`` stores its features that way).
    * ``ratings.npz``: a ``scipy.sparse.save_npz`` matrix, items x categories (RecLab calls
      ``.tocsr()``, so the stored format is not fixed: csr, csc and coo are accepted), 0/1
      values (explicit zeros dropped; any other value is an error).
    * AmazonCat-13K has 13,330 labels and 1,186,239 training items (Extreme Classification
      Repository); whether the archive holds the test items too is not published.

    Truly broken: unreadable archives, not exactly one feature array without a known key, a
    non-2-D or non-float feature matrix, another column count, non-finite features, labels
    other than 0/1, or a row count differing between the two files.
    """
    folder = Path(folder)
    features_path = _locate(folder, "features.npz")
    labels_path = _locate(folder, "ratings.npz")
    features = _load_features(features_path, n_features)
    labels = _load_labels(labels_path)
    if labels.shape[0] != features.shape[0]:
        raise DataFormatError(labels_path, None, f"{features.shape[0]} rows (as in {features_path.name})",
                              f"shape {labels.shape}")
    return AmazonCat(features=features, labels=labels)


__all__ = [
    "AmazonCat", "DataFormatError", "LastFm", "LastFmRaw", "Malformed", "Ml100k",
    "ML100K_SPLITS", "load_amazoncat", "load_lastfm", "load_lastfm_raw", "load_ml100k", "load_ml100k_split",
]
