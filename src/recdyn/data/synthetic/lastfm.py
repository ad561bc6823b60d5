"""Synthetic LastFM-360K stand-ins (thesis chapter 5, section 5.3: LastFM demand distribution
and creator gender, Fig. 5.5).

Two variants, both simulated by :func:`simulate_lastfm`:

``write_lastfm`` -- the files of Shakespeare et al. (2020), Zenodo record 3964506, which the
thesis uses.  Formats as read by the authors' notebook ``LFM-360k/00-Gender-Dist-Analysis-
lfm360k.ipynb`` (github.com/dshakes90/Last-fm-Gender-Bias-Analysis) and by RecLab's
``data_utils.get_data('lastfm-360k')``:

* ``LastFM360k-Le75.txt``: comma-separated with the header ``userid,artistid,playcount``;
  integer ids from 0 (``userid`` is the user's position in the raw 360K data, so ids have gaps;
  ``artistid`` numbers artists by first appearance); ``playcount`` is the **raw integer**
  number of plays (the notebook shows 2137, 1099, ... and a minimum of 0).  The log transform
  ``log(1 + plays)`` is applied by the reader (RecLab), not stored.  Rows run user by user in
  the raw file's order, each user's artists by decreasing plays.  Only users whose listening
  rows are at least 75% artists of identified gender are kept ("Le75").
* ``LastFM360k-MB-artists.txt``: tab-separated, **no header**: id, artist name (lower case,
  UTF-8, may contain quotes), gender distribution ``u/m/f/o/n`` (counts of the artist's
  MusicBrainz members of undefined / male / female / other / not-applicable gender, e.g.
  ``0/1/0/0/0`` a man, ``0/4/0/0/0`` an all-male band, ``1/0/0/0/0`` unidentified), MusicBrainz
  id (UUID, empty when unknown).  Rows in no particular order.  The notebook classifies gender
  by the majority count and drops ties.

``write_lastfm_raw`` -- Celma's raw 360K files (tab-separated, no header, UTF-8):
``usersha1-artmbid-artname-plays.tsv`` (user sha1, artist MBID or empty, artist name, plays)
and ``usersha1-profile.tsv`` (sha1, gender ``m``/``f``/empty, age or empty, country, signup
date like ``Feb 1, 2007``).

Both variants reproduce the real files' quirks listed in the loaders' docstrings
(:func:`recdyn.data.loaders.load_lastfm`, :func:`recdyn.data.loaders.load_lastfm_raw`), scaled
to the stand-in's size with at least one of each, each drawn from its own seeded stream
(``lastfm/le75-quirks``, ``lastfm/raw-quirks``, ``lastfm/profile-quirks``) so that the rest of
the bytes do not move: one zero playcount, the ``sep 20, 2008`` rows, the row without artist
identity, duplicate (user, artist) rows, rows without the MBID their artist has elsewhere,
absurd ages, more empty ages, countries with commas.  One known difference: about 16% of the
stand-in's plays rows have no MBID (artists without one are 29% of a 5,000-artist catalogue
and not all obscure), against about 1.25% of the real rows (36% of 290k artists, nearly all in
the long tail); a small catalogue cannot match both shares without changing the planted
population.

Planted structure: ``n_topics`` music topics; each artist has a main topic and a Zipf-like
popularity, each user a sparse topic mixture; identified artists are more often popular, and
male (about 80% of identified artists, with a topic-dependent female share); female users lean
towards female artists.  Users list at most 50 top artists (Last.fm's API limit behind the
real data; most users have exactly 50).  Plays are log-normal, heavy-tailed, at least 1 (the
writers plant the real data's single zero).

Default sizes suit a workstation (about 14,000 kept users x 5,000 artists, about 45 artists per
user); the thesis uses 13,698 LastFM users.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from recdyn.data.synthetic.common import hex_strings, stream, uuid4_strings, zipf_mandelbrot
from recdyn.io import write_bytes

LE75_FILE = "LastFM360k-Le75.txt"
ARTISTS_FILE = "LastFM360k-MB-artists.txt"
RAW_PLAYS_FILE = "usersha1-artmbid-artname-plays.tsv"
RAW_PROFILE_FILE = "usersha1-profile.tsv"
GENDER_SLOTS = ("undefined", "male", "female", "other", "na")  # order of the u/m/f/o/n counts
LE75_THRESHOLD = 0.75

_NAME_A = np.array(
    "black red silver electric velvet crystal neon broken lonely golden iron wild dead happy "
    "sonic cosmic little big dark bright northern southern dirty pretty lost secret blue green "
    "white holy savage quiet loud frozen burning paper glass stone young old".split()
)
_NAME_B = np.array(
    "wolves hearts kings queens rivers machines ghosts angels tigers horses engines shadows "
    "lights flowers children brothers sisters pilots sailors dreamers riders monks giants birds "
    "foxes waves stars saints robots lovers strangers".split()
)
# non-ASCII and quoting hazards, as in the real artist names
_NAME_SPECIAL = np.array(["ärzte", "señores", "björk", "sigur", "rós", "mötley", "blå", "мумий",
                          "東京", "café", "jäger", "niño"])
_COUNTRIES = np.array(["United States", "Germany", "United Kingdom", "Poland", "Russian Federation",
                       "Brazil", "Sweden", "Spain", "Finland", "Netherlands", "Canada", "France",
                       "Italy", "Japan", "Australia", "Mexico", "Turkey", "Norway", "Chile", "Ukraine"])
_COUNTRY_WEIGHTS = np.array([67, 31, 29, 25, 19, 15, 13, 13, 11, 11, 10, 10, 9, 7, 7, 5, 5, 5, 4, 3], float)
_MONTHS = np.array(["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"])


@dataclass(frozen=True)
class LastFmPopulation:
    """A simulated raw LastFM-360K population and its planted parameters.

    Rows of ``user``/``artist``/``plays`` are listening records, user by user (users in sha1
    order), each user's artists by decreasing plays.  Artist arrays are indexed by catalogue
    position; ``artist_id`` is the id used in the Shakespeare et al. files (first appearance).
    """

    user: np.ndarray
    artist: np.ndarray
    plays: np.ndarray
    user_sha1: np.ndarray
    user_gender: np.ndarray  # 'm', 'f' or ''
    user_age: np.ndarray  # -1 when missing
    user_country: np.ndarray
    user_signup: np.ndarray
    user_topics: np.ndarray  # planted (n_users, n_topics) mixtures
    artist_topic: np.ndarray  # planted main topic
    artist_popularity: np.ndarray
    artist_counts: np.ndarray  # (n_artists, 5) u/m/f/o/n member counts
    artist_gender: np.ndarray  # majority class: 'undefined','male','female','other','na' or 'tie'
    artist_name: np.ndarray
    artist_mbid: np.ndarray  # '' when unknown
    artist_id: np.ndarray  # -1 for artists nobody listens to


def _artist_names(rng: np.random.Generator, n: int) -> np.ndarray:
    """Unique lower-case names; some with quotes, apostrophes or non-ASCII letters."""
    index = rng.permutation(n)
    a = _NAME_A[index % len(_NAME_A)]
    b = _NAME_B[(index // len(_NAME_A) + 7 * (index % len(_NAME_A))) % len(_NAME_B)]
    style = index // (len(_NAME_A) * len(_NAME_B))  # makes (a, b, style) unique per artist
    special = rng.random(n) < 0.04
    quoted = rng.random(n) < 0.01
    special[0] = quoted[min(1, n - 1)] = True  # at least one of each, whatever the size
    a = np.where(special, np.char.add(_NAME_SPECIAL[rng.integers(0, len(_NAME_SPECIAL), n)], " " + a), a)
    a = np.where(quoted, np.char.add(np.char.add('"', a), '"'), a)
    names = np.char.add(np.char.add(a, " "), b)
    names = np.where(style % 2 == 1, np.char.add("the ", names), names)
    names = np.where(style >= 2, np.char.add(names, " " + np.char.mod("%d", style)), names)
    return names


def _gender_counts(rng: np.random.Generator, popularity: np.ndarray, topic: np.ndarray,
                   n_topics: int) -> np.ndarray:
    """u/m/f/o/n member counts: identified artists are more popular; female share by topic."""
    n = len(popularity)
    z = np.log(popularity)
    z = (z - z.mean()) / z.std()
    known = rng.random(n) < 1.0 / (1.0 + np.exp(-(0.2 + 1.6 * z)))
    female_share = rng.beta(2.2, 8.0, size=n_topics)[topic]
    counts = np.zeros((n, 5), dtype=np.int64)
    # unidentified: undefined members only (mostly one)
    counts[~known, 0] = 1 + (rng.random((~known).sum()) < 0.1) * rng.integers(1, 4, (~known).sum())
    kind = rng.choice(5, size=n, p=[0.66, 0.25, 0.05, 0.02, 0.02])  # solo, band, mixed, other, na
    female = rng.random(n) < female_share
    size = np.where(kind == 0, 1, rng.integers(2, 6, size=n))
    solo_or_band = known & (kind <= 1)
    counts[solo_or_band & ~female, 1] = size[solo_or_band & ~female]
    counts[solo_or_band & female, 2] = size[solo_or_band & female]
    mixed = known & (kind == 2)
    minority = rng.integers(1, 3, size=n)
    majority = minority + rng.integers(0, 3, size=n)  # 0 extra: a tie, dropped by the notebook
    counts[mixed, 1] = np.where(female, minority, majority)[mixed]
    counts[mixed, 2] = np.where(female, majority, minority)[mixed]
    counts[known & (kind == 3), 3] = 1
    counts[known & (kind == 4), 4] = 1
    return counts


def _majority(counts: np.ndarray) -> np.ndarray:
    top = counts.max(axis=1, keepdims=True)
    ties = (counts == top).sum(axis=1) > 1
    return np.where(ties, "tie", np.array(GENDER_SLOTS)[counts.argmax(axis=1)])


def simulate_lastfm(seed: int, n_users: int, n_artists: int = 5000, *, n_topics: int = 20,
                    max_artists_per_user: int = 50, until_le75: int | None = None,
                    chunk: int = 1024) -> LastFmPopulation:
    """Simulate a raw LastFM-360K-like population of ``n_users`` users (deterministic).

    With ``until_le75``, users are simulated in sha1 order, chunk by chunk, only until that many
    of them pass the Le75 filter (:func:`le75_users`); the population is the users simulated.
    """
    if n_users < 1 or n_artists < max_artists_per_user + 1:
        raise ValueError("need n_users >= 1 and n_artists > max_artists_per_user")
    rng = stream(seed, "lastfm/artists")
    popularity = zipf_mandelbrot(n_artists, 1.0, 0.01 * n_artists)[rng.permutation(n_artists)]
    topic = rng.integers(0, n_topics, size=n_artists)
    counts = _gender_counts(rng, popularity, topic, n_topics)
    gender = _majority(counts)
    names = _artist_names(rng, n_artists)
    has_mbid = rng.random(n_artists) < np.where(gender == "undefined", 0.5, 0.95)
    mbid = np.where(has_mbid, uuid4_strings(rng, n_artists), "")

    urng = stream(seed, "lastfm/users")
    sha1 = np.sort(hex_strings(urng, n_users, 40))
    user_gender = np.array(["m", "f", ""])[urng.choice(3, size=n_users, p=[0.672, 0.236, 0.092])]
    age = np.where(urng.random(n_users) < 0.8, np.clip(np.rint(urng.gamma(9.0, 2.8, n_users)), 13, 80), -1)
    country = _COUNTRIES[urng.choice(len(_COUNTRIES), size=n_users, p=_COUNTRY_WEIGHTS / _COUNTRY_WEIGHTS.sum())]
    signup = (np.char.add(np.char.add(_MONTHS[urng.integers(0, 12, n_users)], " "),
                          urng.integers(1, 29, n_users).astype(str))
              + ", " + urng.integers(2002, 2010, n_users).astype(str))
    topics = urng.dirichlet(np.full(n_topics, 0.15), size=n_users)
    degree = np.where(urng.random(n_users) < 0.8, max_artists_per_user,
                      urng.integers(1, max_artists_per_user, size=n_users))
    user_scale = urng.normal(3.1, 0.7, size=n_users)

    # listening: each user's top artists by popularity x topic affinity (Gumbel-top-k, chunked)
    prng = stream(seed, "lastfm/plays")
    log_pop = np.log(popularity)
    membership = np.full((n_topics, n_artists), 0.05 / n_topics)
    membership[topic, np.arange(n_artists)] += 0.95
    female_artist = (gender == "female").astype(float)
    identified = np.isin(gender, ["male", "female", "other", "na"])
    k = max_artists_per_user
    users_out, artists_out, plays_out = [], [], []
    n_le75, n_done = 0, n_users
    for start in range(0, n_users, chunk):
        stop = min(start + chunk, n_users)
        affinity = np.log(topics[start:stop] @ membership)
        affinity += 0.8 * (user_gender[start:stop] == "f")[:, None] * female_artist[None, :]
        base = log_pop[None, :] + affinity
        keys = base + prng.gumbel(size=base.shape)
        top = np.argpartition(-keys, k, axis=1)[:, :k]
        n_rows = stop - start
        take = np.arange(k)[None, :] < degree[start:stop, None]
        rows = np.broadcast_to(np.arange(n_rows)[:, None], (n_rows, k))[take]
        cols = top[take]
        log_plays = (user_scale[start:stop][rows] + 0.35 * (base[rows, cols] - base.mean())
                     + prng.normal(0.0, 1.1, size=rows.size))
        # at least one play: Last.fm lists an artist among a user's top artists once played
        # (the real file's single zero row is planted by the writers, see _raw_quirks)
        plays = np.maximum(np.floor(np.exp(np.minimum(log_plays, 13.5))), 1).astype(np.int64)
        order = np.lexsort((-plays, rows))
        users_out.append(rows[order] + start)
        artists_out.append(cols[order])
        plays_out.append(plays[order])
        if until_le75 is not None:
            share = np.bincount(rows, weights=identified[cols], minlength=n_rows) / np.bincount(rows, minlength=n_rows)
            n_le75 += int((share >= LE75_THRESHOLD).sum())
            if n_le75 >= until_le75:
                n_done = stop
                break
    user = np.concatenate(users_out)
    artist = np.concatenate(artists_out)
    plays = np.concatenate(plays_out)
    first_seen = np.full(n_artists, np.iinfo(np.int64).max)
    np.minimum.at(first_seen, artist, np.arange(artist.size))
    seen = first_seen < np.iinfo(np.int64).max
    artist_id = np.full(n_artists, -1, dtype=np.int64)
    artist_id[np.argsort(first_seen)[: seen.sum()]] = np.arange(seen.sum())
    done = slice(0, n_done)
    return LastFmPopulation(
        user=user, artist=artist, plays=plays, user_sha1=sha1[done], user_gender=user_gender[done],
        user_age=age[done].astype(np.int64), user_country=country[done], user_signup=signup[done],
        user_topics=topics[done],
        artist_topic=topic, artist_popularity=popularity, artist_counts=counts, artist_gender=gender,
        artist_name=names, artist_mbid=mbid, artist_id=artist_id,
    )


def le75_users(population: LastFmPopulation, threshold: float = LE75_THRESHOLD) -> np.ndarray:
    """Users whose listening rows are at least ``threshold`` artists of identified gender."""
    identified = np.isin(population.artist_gender, ["male", "female", "other", "na"])[population.artist]
    n_users = len(population.user_sha1)
    rows = np.bincount(population.user, minlength=n_users)
    good = np.bincount(population.user, weights=identified, minlength=n_users)
    return np.flatnonzero((rows > 0) & (good >= threshold * rows))


def _csv_bytes(frame: pd.DataFrame, sep: str, header: bool) -> bytes:
    text = frame.to_csv(sep=sep, header=header, index=False, lineterminator="\n", quoting=csv.QUOTE_NONE)
    return text.encode("utf-8")


def _gender_strings(counts: np.ndarray) -> np.ndarray:
    text = counts.astype(str)
    out = text[:, 0]
    for j in range(1, 5):
        out = np.char.add(np.char.add(out, "/"), text[:, j])
    return out


# Counts in the real files (see the loaders' docstrings for sources), scaled by :func:`_scaled`.
REAL_RAW_LINES = 17_559_530  # usersha1-artmbid-artname-plays.tsv
REAL_RAW_USERS = 359_347  # usersha1-profile.tsv
REAL_SEP20_ROWS = 86  # plays rows whose user field is the date 'sep 20, 2008'
REAL_DUPLICATE_ROWS = 421  # repeated (user, artist) rows, artist = MBID or lower-cased name
SEP20_USER = "sep 20, 2008"
EMPTY_MBID_SHARE = 0.01  # rows of an MBID artist written without its MBID
# usersha1-profile.tsv: shares in the real file's first 1,000 lines (one absurd age of each kind
# per ~1,000 users; 1002 is the full file's maximum) and its countries with commas
ABSURD_AGES = {"-1337": 0.001, "small": 0.005, "100": 0.001, "1002": 1 / REAL_RAW_USERS}
EXTRA_EMPTY_AGE = 0.01  # the simulation leaves 20% of ages empty; the real file 20.8%
COMMA_COUNTRIES = np.array(["Korea, Republic of", "Iran, Islamic Republic of", "Virgin Islands, U.s."])
COMMA_COUNTRY_SHARE = 0.004


def _scaled(real_count: float, n: int, real_n: int) -> int:
    """``real_count`` events of a real file with ``real_n`` units, scaled to ``n`` (at least 1)."""
    return max(1, int(round(real_count * n / real_n)))


def _le75_quirks(rng: np.random.Generator, le75: pd.DataFrame) -> pd.DataFrame:
    """Exactly one row with playcount 0, as in the real Le75 file (the raw data's one zero row):
    the last (least played) row of a random user, so each user's rows stay in decreasing order."""
    users = le75["userid"].to_numpy()
    last_rows = np.flatnonzero(np.append(users[1:] != users[:-1], True))
    playcount = le75["playcount"].to_numpy().copy()
    playcount[last_rows[rng.integers(0, last_rows.size)]] = 0
    return le75.assign(playcount=playcount)


def _artist_file_quirks(rng: np.random.Generator, artists: pd.DataFrame) -> pd.DataFrame:
    """At least one tie row (the real file has ~1.4%, e.g. ``0/1/1/0/0``) and one empty MBID,
    whatever the size; at the default sizes the population has both already and nothing changes."""
    artists = artists.copy()
    counts = artists["gender"].str.split("/", expand=True).astype(np.int64).to_numpy()
    tie = (counts == counts.max(axis=1, keepdims=True)).sum(axis=1) > 1
    undefined = np.flatnonzero(~tie & (counts.argmax(axis=1) == 0))
    if not tie.any() and undefined.size:
        artists.loc[artists.index[undefined[rng.integers(0, undefined.size)]], "gender"] = "1/1/0/0/0"
    if not (artists["mbid"] == "").any():
        artists.loc[artists.index[rng.integers(0, len(artists))], "mbid"] = ""
    return artists


def write_lastfm(out_dir: Path, *, seed: int, n_users: int = 14_000, n_artists: int = 5000,
                 n_topics: int = 20, max_artists_per_user: int = 50) -> dict[str, Path]:
    """Write ``LastFM360k-Le75.txt`` and ``LastFM360k-MB-artists.txt`` (Shakespeare et al. 2020
    formats, see the module docstring) for ``n_users`` Le75 users; returns ``{name: path}``.

    Raw users are simulated (in sha1 order) until ``n_users`` of them pass the 75%
    identified-gender filter, as Shakespeare et al. filtered the 360K data; those are kept.  The
    artist file lists every artist of the simulated raw population.  The real files' quirks
    (:func:`recdyn.data.loaders.load_lastfm`) come from their own seeded stream: exactly one
    zero playcount; the others (header, user id gaps, header-less artist file in no id order,
    empty MBIDs, tie rows) follow from the format and the population.
    """
    if n_users < 1:
        raise ValueError("n_users must be >= 1")
    population = simulate_lastfm(seed, 10 * n_users + 100, n_artists, n_topics=n_topics,
                                 max_artists_per_user=max_artists_per_user, until_le75=n_users)
    passing = le75_users(population)
    if passing.size < n_users:
        raise RuntimeError(f"only {passing.size} of {len(population.user_sha1)} simulated users pass Le75")
    kept = passing[:n_users]
    rows = np.isin(population.user, kept)
    le75 = pd.DataFrame({"userid": population.user[rows],
                         "artistid": population.artist_id[population.artist[rows]],
                         "playcount": population.plays[rows]})
    quirks = stream(seed, "lastfm/le75-quirks")
    le75 = _le75_quirks(quirks, le75)
    listed = np.flatnonzero(population.artist_id >= 0)
    listed = listed[stream(seed, "lastfm/artist-file-order").permutation(listed.size)]
    artists = pd.DataFrame({"id": population.artist_id[listed], "name": population.artist_name[listed],
                            "gender": _gender_strings(population.artist_counts[listed]),
                            "mbid": population.artist_mbid[listed]})
    artists = _artist_file_quirks(quirks, artists)
    out_dir = Path(out_dir)
    return {
        LE75_FILE: write_bytes(out_dir / LE75_FILE, _csv_bytes(le75, ",", header=True)),
        ARTISTS_FILE: write_bytes(out_dir / ARTISTS_FILE, _csv_bytes(artists, "\t", header=False)),
    }


def _raw_quirks(rng: np.random.Generator, population: LastFmPopulation) -> pd.DataFrame:
    """The plays rows of the raw file with the real file's irregular rows, scaled to its size
    (see :func:`recdyn.data.loaders.load_lastfm_raw`):

    * ~1% of the rows of artists that have an MBID written with an empty MBID (each such artist
      keeps its MBID on some other row);
    * exactly one row with plays 0 (a user's last row, so the decreasing order holds);
    * duplicate (user, artist) rows (421 in the real file): a second row for an artist the user
      already has, with the same MBID (or none) and the name capitalised, fewer plays;
    * one row with an empty MBID and an empty artist name;
    * rows whose user field is ``sep 20, 2008`` (86 in the real file), written last: the real
      file is sorted by user sha1 and ``s`` sorts after every hex digit (their position in the
      real file is not published: this is our guess).
    """
    user, artist, plays = population.user, population.artist, population.plays.copy()
    n_rows = plays.size
    mbid = population.artist_mbid[artist].copy()
    name = population.artist_name[artist]
    # MBID left empty on some rows of an artist that has one
    rows_of = np.bincount(artist, minlength=len(population.artist_mbid))
    eligible = (mbid != "") & (rows_of[artist] >= 2)
    blank = eligible & (rng.random(n_rows) < EMPTY_MBID_SHARE)
    if not blank.any() and eligible.any():
        blank[rng.choice(np.flatnonzero(eligible))] = True
    kept_mbid = np.bincount(artist[eligible & ~blank], minlength=rows_of.size)
    for a in np.unique(artist[blank][kept_mbid[artist[blank]] == 0]):  # keep one row with the MBID
        blank[np.flatnonzero(blank & (artist == a))[0]] = False
    mbid[blank] = ""
    # one zero-plays row: some user's last row
    last_rows = np.flatnonzero(np.append(user[1:] != user[:-1], True))
    zero = last_rows[rng.integers(0, last_rows.size)]
    plays[zero] = 0
    # duplicate (user, artist) rows
    n_dup = _scaled(REAL_DUPLICATE_ROWS, n_rows, REAL_RAW_LINES)
    source = rng.choice(np.delete(np.arange(n_rows), zero), size=min(n_dup, n_rows - 1), replace=False)
    dup_name = pd.Series(name[source]).str.title().to_numpy()
    dup_plays = rng.integers(1, plays[source] + 1)
    # one row without artist identity
    lost_user = user[rng.integers(0, n_rows)]
    frame = pd.DataFrame({
        "user": np.concatenate([user, user[source], [lost_user]]),
        "mbid": np.concatenate([mbid, mbid[source], [""]]),
        "name": np.concatenate([name, dup_name, [""]]),
        "plays": np.concatenate([plays, dup_plays, [int(rng.integers(1, 100))]]),
    })
    order = np.lexsort((-frame["plays"].to_numpy(), frame["user"].to_numpy()))  # stable
    frame = frame.iloc[order].reset_index(drop=True)
    frame.insert(0, "sha1", population.user_sha1[frame.pop("user").to_numpy()])
    # the 'sep 20, 2008' rows: ordinary artists and plays, a date where the sha1 should be
    n_sep = _scaled(REAL_SEP20_ROWS, n_rows, REAL_RAW_LINES)
    picks = rng.choice(np.unique(artist), size=min(n_sep, np.unique(artist).size), replace=False)
    sep = pd.DataFrame({"sha1": SEP20_USER, "mbid": population.artist_mbid[picks],
                        "name": population.artist_name[picks],
                        "plays": np.sort(np.floor(np.exp(rng.normal(4.0, 1.2, picks.size))).astype(np.int64) + 1)[::-1]})
    return pd.concat([frame, sep], ignore_index=True)


def _profile_quirks(rng: np.random.Generator, population: LastFmPopulation) -> pd.DataFrame:
    """The profile rows with the real file's irregular values, scaled to the number of users:
    absurd ages kept as given (-1337, 0-9, 100, 1002), some more empty ages (20.8% in all),
    countries whose names contain a comma; at least one empty gender and one signup day
    without a leading zero whatever the size (the simulation writes both already)."""
    n = len(population.user_sha1)
    age = np.where(population.user_age >= 0, population.user_age.astype(str), "").astype(object)
    gender = population.user_gender.astype(object)
    country = population.user_country.astype(object)
    signup = population.user_signup.astype(object)
    order = rng.permutation(n)
    start = 0
    for kind, share in ABSURD_AGES.items():
        count = _scaled(share * REAL_RAW_USERS, n, REAL_RAW_USERS)
        chosen = order[start:start + count] if start + count <= n else order[:count]
        start += count
        age[chosen] = rng.integers(0, 10, chosen.size).astype(str) if kind == "small" else kind
    absurd = np.zeros(n, dtype=bool)
    absurd[order[:min(start, n)]] = True
    age[(rng.random(n) < EXTRA_EMPTY_AGE) & ~absurd] = ""
    n_comma = max(len(COMMA_COUNTRIES), int(round(COMMA_COUNTRY_SHARE * n)))
    chosen = rng.choice(n, size=min(n_comma, n), replace=False)
    country[chosen] = COMMA_COUNTRIES[np.arange(chosen.size) % len(COMMA_COUNTRIES)]
    if not (gender == "").any():
        gender[rng.integers(0, n)] = ""
    day = pd.Series(signup).str.extract(r" (\d+),", expand=False)
    if not (day.str.len() == 1).any():
        i = int(rng.integers(0, n))
        signup[i] = pd.Series([signup[i]]).str.replace(r" \d+,", f" {int(rng.integers(1, 10))},", regex=True)[0]
    return pd.DataFrame({"sha1": population.user_sha1, "gender": gender, "age": age,
                         "country": country, "signup": signup})


def write_lastfm_raw(out_dir: Path, *, seed: int, n_users: int = 20_000, n_artists: int = 5000,
                     n_topics: int = 20, max_artists_per_user: int = 50) -> dict[str, Path]:
    """Write Celma's raw ``usersha1-artmbid-artname-plays.tsv`` and ``usersha1-profile.tsv``
    for a simulated population of ``n_users`` users (the real data: 359,347 users, 17,559,530
    lines); returns ``{name: path}``.  The real files' irregular rows (:func:`_raw_quirks`,
    :func:`_profile_quirks`) come from their own seeded streams."""
    population = simulate_lastfm(seed, n_users, n_artists, n_topics=n_topics,
                                 max_artists_per_user=max_artists_per_user)
    plays = _raw_quirks(stream(seed, "lastfm/raw-quirks"), population)
    profile = _profile_quirks(stream(seed, "lastfm/profile-quirks"), population)
    out_dir = Path(out_dir)
    return {
        RAW_PLAYS_FILE: write_bytes(out_dir / RAW_PLAYS_FILE, _csv_bytes(plays, "\t", header=False)),
        RAW_PROFILE_FILE: write_bytes(out_dir / RAW_PROFILE_FILE, _csv_bytes(profile, "\t", header=False)),
    }


__all__ = [
    "ARTISTS_FILE", "GENDER_SLOTS", "LE75_FILE", "LastFmPopulation", "RAW_PLAYS_FILE", "RAW_PROFILE_FILE",
    "SEP20_USER",
    "le75_users", "simulate_lastfm", "write_lastfm", "write_lastfm_raw",
]

