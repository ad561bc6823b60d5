"""Synthetic MovieLens-100K stand-in (thesis chapter 2: fitting the ml-100k environment;
chapter 5, section 5.3: MovieLens demand distribution).

Writes ``u.data``, ``u.user``, ``u.item``, ``u.genre``, ``u.occupation``, ``u.info`` and the
official splits ``u1.base/u1.test`` .. ``u5``, ``ua``, ``ub`` in the real files' formats
(GroupLens README of ml-100k; every quirk listed in :func:`recdyn.data.loaders.load_ml100k`):

* ``u.data``: ``user\\titem\\trating\\tunix_time``, no header, rows in random order, ASCII.
* ``u.user``: ``id|age|gender|occupation|zip``, ``M``/``F``, zip codes as 5-character strings
  (some with leading zeros, a few alphanumeric as in the real file).
* ``u.item``: 24 ``|``-separated fields, **latin-1**: id, ``Title (Year)``, release date
  ``01-Jan-1995``, empty video release date, IMDb URL, 19 genre flags.  One item is the real
  file's placeholder ``unknown`` (empty date and URL, genre ``unknown``).  About 2% of titles
  carry latin-1 letters (``Café``), so reading the file as UTF-8 fails as it does for the real one.
  The real file's irregular rows, scaled to the number of items (:func:`_item_quirks`): a day
  without its leading zero, empty URLs, titles ending with a space or with ``(V)``, movies
  entered twice under two ids.
* ``u.genre``: ``name|index`` lines for the 19 genres, then an empty line (as in the real file);
  ``u.occupation``: the 21 occupations, one a line; ``u.info``: the three counts.
* ``u1``..``u5``, ``ua``, ``ub`` ``.base``/``.test``: :func:`official_splits` of ``u.data``.

The ratings come from a planted model (:func:`planted_ml100k`): score = mu + b_u + b_i +
<p_u, q_i> + noise with rank-``rank`` factors partly driven by the genres, item popularity
long-tailed (split log-normal: Zipf-like head, many obscure items), user activity long-tailed
with a minimum of 20.  Which pairs are rated is drawn
without replacement with weights popularity x exp(selection * affinity) (users rate what they
expect to like, as in real data); the scores of the rated pairs are mapped to 1..5 by quantile
thresholds so that the rating histogram equals the real one exactly (scaled to ``n_ratings``).
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from recdyn.data.synthetic.common import apportion, gumbel_top_k, stream
from recdyn.io import write_bytes

GENRES = (
    "unknown", "Action", "Adventure", "Animation", "Children's", "Comedy", "Crime", "Documentary",
    "Drama", "Fantasy", "Film-Noir", "Horror", "Musical", "Mystery", "Romance", "Sci-Fi",
    "Thriller", "War", "Western",
)
OCCUPATIONS = (
    "administrator", "artist", "doctor", "educator", "engineer", "entertainment", "executive",
    "healthcare", "homemaker", "lawyer", "librarian", "marketing", "none", "other", "programmer",
    "retired", "salesman", "scientist", "student", "technician", "writer",
)
# Real ML-100K marginals used as targets (counts in the real files).
RATING_COUNTS = np.array([6110, 11370, 27145, 34174, 21201])  # ratings 1..5, mean 3.52986
OCCUPATION_COUNTS = np.array([79, 28, 7, 95, 67, 18, 32, 16, 7, 12, 51, 26, 9, 105, 66, 14, 12, 31, 196, 27, 45])
GENRE_COUNTS = np.array([2, 251, 135, 42, 122, 505, 109, 50, 725, 22, 24, 92, 56, 61, 247, 101, 251, 71, 27])
N_MALE, N_FEMALE = 670, 273
TIME_MIN, TIME_MAX = 874724710, 893286638
# Shape of the planted marginals, tuned so the default-size output resembles the real data
# (user activity: median 65, max 737; item rating counts: quartiles about 6 / 27 / 80, max 583,
# 141 items rated once).  Item log-popularity is a split normal: a long lower tail of obscure
# items and a Zipf-like head.
_POP_SIGMA_UP, _POP_SIGMA_DOWN = 1.4, 2.1
_ACTIVITY_SIGMA, _ACTIVITY_CAP = 1.1, 0.44
AGE_MIN, AGE_MAX = 7, 73

_MONTHS = np.array(["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"])
_WORDS = np.array(
    "Night Day River Star Stone House Heart King Queen City Road Dream Fire Water Island Ghost Dark "
    "Blue Red Silent Last First Lost Secret Wild Golden Broken Little Big Long Hidden Killing Summer "
    "Winter Spring Autumn Love War Game Blood Sky Moon Sun Storm Shadow Glass Iron Paper Wind Man "
    "Woman Girl Boy Dog Cat Horse Angel Devil Money Time Return Escape Journey Story Legend Party "
    "Family Street Garden Window Mirror Train Ship Bridge Tower Forest Desert Ocean Mountain Valley "
    "Highway Diner Circus Hotel Museum School Prison Doctor Lawyer Judge Soldier Pilot Thief Hunter".split()
)
# latin-1 (not ASCII) words, so the file's encoding matters as in the real u.item.
_LATIN1_WORDS = np.array("Café Été Señor Garçon Mädchen Smörgåsbord Façade Naïve Fräulein Déjà Niño Crème".split())
_URL_ESCAPES = {" ": "%20", **{c: f"%{ord(c):02X}" for c in "".join(_LATIN1_WORDS) if ord(c) > 127}}


@dataclass(frozen=True)
class PlantedMl100k:
    """The latent parameters behind a synthetic ML-100K (index ``u`` is user id ``u + 1``).

    Rating score of user u on item i: ``mu + user_bias[u] + item_bias[i] +
    user_factors[u] @ item_factors[i] + N(0, noise_sd**2)``, mapped monotonically to 1..5.
    """

    mu: float
    user_bias: np.ndarray
    item_bias: np.ndarray
    user_factors: np.ndarray
    item_factors: np.ndarray
    noise_sd: float
    item_popularity: np.ndarray  # probabilities, sum 1
    user_activity: np.ndarray  # number of ratings per user (sum n_ratings, each >= 20)
    genres: np.ndarray  # (n_items, 19) 0/1 flags, columns in GENRES order
    selection: float  # weight of the affinity in which pairs get rated
    unknown_item: int  # index of the 'unknown' placeholder item


def _check_sizes(n_users: int, n_items: int, n_ratings: int, min_per_user: int) -> None:
    if n_users < 2 or n_items * _ACTIVITY_CAP < min_per_user:
        raise ValueError(f"need n_users >= 2 and n_items >= {int(np.ceil(min_per_user / _ACTIVITY_CAP))}")
    if n_ratings < n_users * min_per_user:
        raise ValueError(f"n_ratings={n_ratings} < n_users * {min_per_user}: every user needs {min_per_user} ratings")
    if n_ratings > 0.9 * _ACTIVITY_CAP * n_users * n_items:
        raise ValueError(f"n_ratings too large: at most {0.9 * _ACTIVITY_CAP:.0%} of the user-item pairs")


def _user_activity(rng: np.random.Generator, n_users: int, n_items: int, n_ratings: int,
                   min_per_user: int) -> np.ndarray:
    """Long-tailed counts >= min_per_user summing to n_ratings, each at most a share of the items."""
    cap = max(min_per_user, int(_ACTIVITY_CAP * n_items))
    weights = rng.lognormal(0.0, _ACTIVITY_SIGMA, size=n_users)
    counts = min_per_user + apportion(n_ratings - min_per_user * n_users, weights)
    for _ in range(100):  # move the excess of capped users to the others
        over = counts > cap
        if not over.any():
            break
        excess = int((counts[over] - cap).sum())
        counts[over] = cap
        free = np.where(counts < cap, weights, 0.0)
        counts += apportion(excess, free)
    if counts.max() > cap:  # pragma: no cover - excluded by _check_sizes
        raise ValueError("could not spread the ratings over the users")
    return counts


def planted_ml100k(seed: int, n_users: int = 943, n_items: int = 1682, n_ratings: int = 100_000,
                   rank: int = 8, min_ratings_per_user: int = 20) -> PlantedMl100k:
    """The planted latent structure :func:`write_ml100k` uses for the same arguments."""
    _check_sizes(n_users, n_items, n_ratings, min_ratings_per_user)
    rng = stream(seed, "ml100k/planted")
    # items: popularity (Zipf-Mandelbrot over a random ranking) and genres
    z = rng.normal(size=n_items)
    popularity = np.exp(np.where(z > 0, _POP_SIGMA_UP, _POP_SIGMA_DOWN) * z)
    popularity /= popularity.sum()
    unknown_item = min(266, n_items - 1)  # the real file's placeholder is item 267
    n_genres = 1 + rng.choice(4, size=n_items, p=[0.48, 0.34, 0.14, 0.04])
    log_w = np.broadcast_to(np.log(GENRE_COUNTS[1:].astype(float)), (n_items, len(GENRES) - 1))
    rows, cols = gumbel_top_k(log_w, n_genres, rng)
    genres = np.zeros((n_items, len(GENRES)), dtype=np.int8)
    genres[rows, cols + 1] = 1
    genres[unknown_item] = 0
    genres[unknown_item, 0] = 1
    # factors: a genre-driven part and an idiosyncratic part
    loadings = rng.normal(0.0, 1.0, size=(len(GENRES), rank))
    genre_part = genres @ loadings / np.sqrt(genres.sum(axis=1, keepdims=True))
    item_factors = (0.6 * genre_part + 0.8 * rng.normal(size=(n_items, rank))) * (0.75 / np.sqrt(rank)) ** 0.5
    user_factors = rng.normal(size=(n_users, rank)) * (0.75 / np.sqrt(rank)) ** 0.5
    # biases: popular items are rated higher, as in the real data
    log_pop = np.log(popularity)
    z_pop = (log_pop - log_pop.mean()) / log_pop.std()
    item_bias = 0.3 * z_pop + rng.normal(0.0, 0.4, size=n_items)
    user_bias = rng.normal(0.0, 0.45, size=n_users)
    activity = _user_activity(rng, n_users, n_items, n_ratings, min_ratings_per_user)
    return PlantedMl100k(
        mu=3.53, user_bias=user_bias, item_bias=item_bias, user_factors=user_factors,
        item_factors=item_factors, noise_sd=0.8, item_popularity=popularity, user_activity=activity,
        genres=genres, selection=0.7, unknown_item=unknown_item,
    )


def _sample_pairs(planted: PlantedMl100k, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Which (user, item) pairs are rated: without replacement, every item at least once."""
    affinity = planted.user_factors @ planted.item_factors.T + planted.item_bias[None, :]
    affinity /= affinity.std()
    log_w = np.log(planted.item_popularity)[None, :] + planted.selection * affinity
    users, items = gumbel_top_k(log_w, planted.user_activity, rng)
    n_items = len(planted.item_popularity)
    if users.size < n_items:
        return users, items
    for _ in range(100):  # give every item a rating by re-pointing some ratings of hits
        counts = np.bincount(items, minlength=n_items)
        missing = np.flatnonzero(counts == 0)
        donors = np.flatnonzero(counts[items] >= 3)
        if missing.size == 0 or donors.size == 0:
            break
        picked = rng.choice(donors, size=min(missing.size, donors.size), replace=False)
        target = missing[: picked.size]
        taken = np.isin(users[picked].astype(np.int64) * n_items + target,
                        users.astype(np.int64) * n_items + items)
        donor_rank = pd.Series(items[picked]).groupby(items[picked]).cumcount().to_numpy()
        ok = ~taken & (donor_rank < counts[items[picked]] - 1)
        items[picked[ok]] = target[ok]
    return users, items


def _ratings_from_scores(scores: np.ndarray, n_ratings: int) -> np.ndarray:
    """1..5 by quantile thresholds, so the histogram is the real one scaled to n_ratings."""
    counts = apportion(n_ratings, RATING_COUNTS)
    ratings = np.empty(n_ratings, dtype=np.int64)
    ratings[np.argsort(scores, kind="stable")] = np.repeat(np.arange(1, 6), counts)
    return ratings


def _timestamps(rng: np.random.Generator, users: np.ndarray, n_users: int) -> np.ndarray:
    span_total = TIME_MAX - TIME_MIN
    span = np.minimum(rng.lognormal(np.log(0.08 * span_total), 1.2, size=n_users), span_total)
    start = TIME_MIN + rng.random(n_users) * (span_total - span)
    times = np.floor(start[users] + rng.random(users.size) ** 2 * span[users]).astype(np.int64)
    times = np.clip(times, TIME_MIN, TIME_MAX)
    times[np.argmin(times)] = TIME_MIN
    times[np.argmax(times)] = TIME_MAX
    return times


def _table_bytes(frame: pd.DataFrame, sep: str, encoding: str) -> bytes:
    text = frame.to_csv(sep=sep, header=False, index=False, lineterminator="\n", quoting=csv.QUOTE_NONE)
    return text.encode(encoding)


def _users_table(rng: np.random.Generator, n_users: int) -> pd.DataFrame:
    ages = np.clip(np.rint(rng.gamma(7.5, 4.6, size=n_users)), AGE_MIN, AGE_MAX).astype(np.int64)
    extremes = rng.choice(n_users, size=2, replace=False)
    ages[extremes] = (AGE_MIN, AGE_MAX)
    n_gender = apportion(n_users, np.array([N_MALE, N_FEMALE]))
    gender = rng.permutation(np.repeat(np.array(["M", "F"]), n_gender))
    occupation = rng.permutation(np.repeat(np.array(OCCUPATIONS), apportion(n_users, OCCUPATION_COUNTS)))
    zips = np.char.zfill(rng.integers(0, 100_000, size=n_users).astype(str), 5)
    alnum = rng.random(n_users) < 0.02  # a few Canadian-style codes such as 'T8H1N'
    letters = np.array(list("ABCEGHJKLMNPRSTVXY"))
    n_alnum = int(alnum.sum())
    parts = [letters[rng.integers(0, len(letters), n_alnum)], rng.integers(0, 10, n_alnum).astype(str),
             letters[rng.integers(0, len(letters), n_alnum)], rng.integers(0, 10, n_alnum).astype(str),
             letters[rng.integers(0, len(letters), n_alnum)]]
    zips[alnum] = np.char.add(np.char.add(np.char.add(np.char.add(parts[0], parts[1]), parts[2]), parts[3]), parts[4])
    return pd.DataFrame({"id": np.arange(1, n_users + 1), "age": ages, "gender": gender,
                         "occupation": occupation, "zip": zips})


def _scaled(count: int, n_items: int) -> int:
    """``count`` quirks of the real 1,682 items, scaled to ``n_items`` (at least one)."""
    return max(1, int(round(count * n_items / 1682)))


def _item_quirks(rng: np.random.Generator, titles: pd.Series, dates: pd.Series, url: pd.Series,
                 unknown: int) -> tuple[pd.Series, pd.Series, pd.Series]:
    """The real u.item's irregular rows (see :func:`recdyn.data.loaders.load_ml100k`), scaled to
    the number of items: a release day without its leading zero ('4-Feb-1971', 1 item), empty
    IMDb URLs (2), titles ending with a space (3) or with '(V)' after the year (1), and movies
    entered twice under two ids (18: same title, date and URL as an earlier item)."""
    n = len(titles)
    titles, dates, url = titles.copy(), dates.copy(), url.copy()
    others = rng.permutation(np.delete(np.arange(n), unknown))
    counts = {"day": _scaled(1, n), "url": _scaled(2, n), "space": _scaled(3, n), "video": 1, "twice": _scaled(18, n)}
    picked, start = {}, 0
    for name, count in counts.items():  # disjoint items per quirk where there are enough
        picked[name] = others[start:start + count] if start + count <= others.size else others[:count]
        start += count
    day = picked["day"]
    dates[day] = dates[day].str.replace(r"^0(\d)-", r"\1-", regex=True).where(dates[day].str.match(r"^0\d-"),
                                                                                "4-Feb-1971")
    url[picked["url"]] = ""
    titles[picked["space"]] = titles[picked["space"]] + " "
    titles[picked["video"]] = titles[picked["video"]] + " (V)"
    twice = np.sort(picked["twice"])
    first = rng.choice(np.setdiff1d(np.arange(n), np.append(twice, unknown)), size=twice.size)
    titles[twice], dates[twice], url[twice] = (titles[first].to_numpy(), dates[first].to_numpy(),
                                               url[first].to_numpy())
    return titles, dates, url


def _items_table(rng: np.random.Generator, planted: PlantedMl100k, quirk_rng: np.random.Generator) -> pd.DataFrame:
    n_items = len(planted.item_popularity)
    recent = rng.random(n_items) < 0.75
    years = np.where(recent, rng.integers(1993, 1999, size=n_items), rng.integers(1922, 1993, size=n_items))
    first_of_january = rng.random(n_items) < 0.5
    days = np.where(first_of_january, 1, rng.integers(1, 29, size=n_items))
    months = np.where(first_of_january, 0, rng.integers(0, 12, size=n_items))
    dates = pd.Series(np.char.zfill(days.astype(str), 2)) + "-" + _MONTHS[months] + "-" + years.astype(str)
    n_words = rng.choice([1, 2, 3], size=n_items, p=[0.3, 0.45, 0.25])
    words = _WORDS[rng.integers(0, len(_WORDS), size=(n_items, 3))]
    n_latin = max(1, int(round(0.02 * n_items)))
    latin_items = rng.choice(np.delete(np.arange(n_items), planted.unknown_item), size=n_latin, replace=False)
    words[latin_items, 0] = _LATIN1_WORDS[rng.integers(0, len(_LATIN1_WORDS), size=n_latin)]
    base = pd.Series(words[:, 0])
    base = base.where(n_words < 2, base + " " + words[:, 1])
    base = base.where(n_words < 3, base + " " + words[:, 2])
    article = rng.random(n_items) < 0.12
    base = base.where(~article, base + ", The")
    titles = base + " (" + years.astype(str) + ")"
    url = titles.copy()
    for char, escape in _URL_ESCAPES.items():
        url = url.str.replace(char, escape, regex=False)
    url = "http://us.imdb.com/M/title-exact?" + url
    u = planted.unknown_item
    titles[u], dates[u], url[u] = "unknown", "", ""
    titles, dates, url = _item_quirks(quirk_rng, titles, dates, url, u)
    frame = pd.DataFrame({"id": np.arange(1, n_items + 1), "title": titles, "release": dates,
                          "video": "", "url": url})
    flags = pd.DataFrame(planted.genres.astype(np.int64), columns=list(GENRES))
    return pd.concat([frame, flags], axis=1)


def official_splits(data: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """The archive's official splits of ``u.data`` (rows in file order, columns user, item,
    rating, time), made as GroupLens' ``mku.sh`` makes them: ``u<k>.test`` is the k-th fifth of
    the lines (the real file: 20,000 each), ``u<k>.base`` the rest; ``ua``/``ub`` test on each
    user's ratings 1-10 / 11-20 in file order; every file sorted by user, then item."""
    n = len(data)
    bounds = [k * n // 5 for k in range(6)]
    position = np.arange(n)
    nth = data.groupby(data.columns[0], sort=False).cumcount().to_numpy() + 1
    masks = {f"u{k + 1}": (position >= bounds[k]) & (position < bounds[k + 1]) for k in range(5)}
    masks.update(ua=(nth >= 1) & (nth <= 10), ub=(nth >= 11) & (nth <= 20))
    ordered = lambda frame: frame.sort_values(list(data.columns[:2]), kind="stable")  # noqa: E731
    splits = {}
    for name, test in masks.items():
        splits[f"{name}.base"] = ordered(data[~test])
        splits[f"{name}.test"] = ordered(data[test])
    return splits


def write_ml100k(out_dir: Path, *, seed: int, n_users: int = 943, n_items: int = 1682,
                 n_ratings: int = 100_000, rank: int = 8, min_ratings_per_user: int = 20) -> dict[str, Path]:
    """Write a synthetic ML-100K into ``out_dir``; returns ``{file name: path}``.

    Same arguments, same bytes.  Defaults are the real sizes (943 users, 1,682 items,
    100,000 ratings, 670 M / 273 F users); the latent parameters are
    ``planted_ml100k(seed, n_users, n_items, n_ratings, rank, min_ratings_per_user)``.
    """
    out_dir = Path(out_dir)
    planted = planted_ml100k(seed, n_users, n_items, n_ratings, rank, min_ratings_per_user)
    pair_rng = stream(seed, "ml100k/pairs")
    users, items = _sample_pairs(planted, pair_rng)
    scores = (planted.mu + planted.user_bias[users] + planted.item_bias[items]
              + np.einsum("ij,ij->i", planted.user_factors[users], planted.item_factors[items])
              + pair_rng.normal(0.0, planted.noise_sd, size=users.size))
    ratings = _ratings_from_scores(scores, n_ratings)
    times = _timestamps(stream(seed, "ml100k/time"), users, n_users)
    order = stream(seed, "ml100k/order").permutation(users.size)
    data = pd.DataFrame({"u": users[order] + 1, "i": items[order] + 1, "r": ratings[order], "t": times[order]})
    meta_rng = stream(seed, "ml100k/meta")
    genre_lines = "".join(f"{g}|{k}\n" for k, g in enumerate(GENRES)) + "\n"
    contents = {
        "u.data": _table_bytes(data, "\t", "ascii"),
        "u.user": _table_bytes(_users_table(meta_rng, n_users), "|", "ascii"),
        "u.item": _table_bytes(_items_table(meta_rng, planted, stream(seed, "ml100k/quirks")), "|", "latin-1"),
        "u.genre": genre_lines.encode("ascii"),
        "u.occupation": "".join(f"{o}\n" for o in OCCUPATIONS).encode("ascii"),
        "u.info": f"{n_users} users\n{n_items} items\n{n_ratings} ratings\n".encode("ascii"),
    }
    for name, split in official_splits(data).items():
        contents[name] = _table_bytes(split, "\t", "ascii")
    return {name: write_bytes(out_dir / name, blob) for name, blob in contents.items()}


__all__ = ["GENRES", "OCCUPATIONS", "PlantedMl100k", "planted_ml100k", "write_ml100k"]
