"""Synthetic stand-ins: determinism, format fidelity with the real files, planted signal."""

from __future__ import annotations

import hashlib
import re
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp

from recdyn.data.loaders import load_lastfm, load_ml100k
from recdyn.data.synthetic import amazoncat, ml100k
from recdyn.data.synthetic.amazoncat import write_amazoncat
from recdyn.twostage.amazon import category_order, prepare_amazon, reward_histogram, reward_statistics
from recdyn.data.synthetic.lastfm import le75_users, simulate_lastfm, write_lastfm, write_lastfm_raw
from recdyn.data.synthetic.ml100k import GENRES, OCCUPATIONS, planted_ml100k, write_ml100k

SMALL_ML = dict(n_users=60, n_items=150, n_ratings=3000)
SMALL_LF = dict(n_users=300, n_artists=600)
SMALL_AC = dict(n_items=4000)
UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}")


def digests(paths: dict[str, Path]) -> dict[str, str]:
    return {name: hashlib.sha256(Path(p).read_bytes()).hexdigest() for name, p in paths.items()}


def lines(path: Path, encoding: str = "utf-8") -> list[str]:
    text = path.read_bytes().decode(encoding)
    assert text.endswith("\n") and "\r" not in text
    return text[:-1].split("\n")


@pytest.fixture(scope="module")
def ml_default(tmp_path_factory) -> dict[str, Path]:
    return write_ml100k(tmp_path_factory.mktemp("ml100k"), seed=7)


# ---------------------------------------------------------------------------------- determinism


@pytest.mark.parametrize(
    ("writer", "kwargs", "varying"),
    [
        (write_ml100k, SMALL_ML, ["u.data", "u.user", "u.item"]),
        (write_lastfm, SMALL_LF, ["LastFM360k-Le75.txt", "LastFM360k-MB-artists.txt"]),
        (write_lastfm_raw, SMALL_LF, ["usersha1-artmbid-artname-plays.tsv", "usersha1-profile.tsv"]),
        (write_amazoncat, dict(n_items=300, n_categories=500), ["features.npz", "ratings.npz"]),
    ],
)
def test_same_seed_same_bytes_other_seed_other_bytes(tmp_path, writer, kwargs, varying):
    first = digests(writer(tmp_path / "a", seed=11, **kwargs))
    again = digests(writer(tmp_path / "b", seed=11, **kwargs))
    other = digests(writer(tmp_path / "c", seed=12, **kwargs))
    assert first == again
    assert all(first[name] != other[name] for name in varying)
    assert not list(tmp_path.rglob("*.tmp"))  # atomic writes leave no temporaries


# ------------------------------------------------------------------------------------ ML-100K


def test_ml100k_default_size_matches_real_format(ml_default):
    data = lines(ml_default["u.data"], "ascii")
    assert len(data) == 100_000
    assert all(re.fullmatch(r"\d+\t\d+\t[1-5]\t\d{9}", row) for row in data)
    frame = pd.DataFrame(np.array([row.split("\t") for row in data], dtype=np.int64), columns=list("uirt"))
    assert set(frame.u) == set(range(1, 944)) and set(frame.i) == set(range(1, 1683))
    assert frame.groupby("u").size().min() >= 20
    assert not frame.duplicated(["u", "i"]).any()
    assert frame.r.value_counts().sort_index().tolist() == [6110, 11370, 27145, 34174, 21201]
    assert frame.r.mean() == pytest.approx(3.52986, abs=1e-9)
    assert frame.t.min() == 874724710 and frame.t.max() == 893286638
    assert not frame.u.is_monotonic_increasing  # randomly ordered, as the README says

    users = [row.split("|") for row in lines(ml_default["u.user"], "ascii")]
    assert len(users) == 943 and all(len(row) == 5 for row in users)
    assert [int(row[0]) for row in users] == list(range(1, 944))
    assert sum(row[2] == "M" for row in users) == 670 and sum(row[2] == "F" for row in users) == 273
    ages = [int(row[1]) for row in users]
    assert min(ages) == 7 and max(ages) == 73
    assert {row[3] for row in users} == set(OCCUPATIONS)
    assert all(len(row[4]) == 5 for row in users) and any(row[4].startswith("0") for row in users)

    items = [row.split("|") for row in lines(ml_default["u.item"], "latin-1")]
    assert len(items) == 1682 and all(len(row) == 24 for row in items)
    assert [int(row[0]) for row in items] == list(range(1, 1683))
    dated = [row for row in items if row[1] != "unknown"]
    assert all(re.fullmatch(r"\d{1,2}-[A-Z][a-z]{2}-\d{4}", row[2]) for row in dated)  # one day unpadded, as line 1373
    titles = [row[1].rstrip(" ").removesuffix(" (V)") for row in dated]  # real quirks: 'X (1986) ', '... (V)'
    assert all(re.fullmatch(r".+ \(\d{4}\)", title) and row[2].endswith(title[-5:-1])
               for title, row in zip(titles, dated))
    assert all(row[3] == "" for row in items)
    with_url = [row for row in dated if row[4]]  # the real file has two empty URLs besides 'unknown'
    assert 1 <= len(dated) - len(with_url) <= 3
    assert all(row[4].startswith("http://us.imdb.com/M/title-exact?") and " " not in row[4] for row in with_url)
    assert all(set(row[5:]) <= {"0", "1"} and "1" in row[5:] for row in items)
    unknown = [row for row in items if row[1] == "unknown"]
    assert len(unknown) == 1 and unknown[0][2:5] == ["", "", ""] and unknown[0][5] == "1"

    assert ml_default["u.genre"].read_bytes() == "".join(f"{g}|{k}\n" for k, g in enumerate(GENRES)).encode() + b"\n"
    assert ml_default["u.occupation"].read_bytes().decode().split() == list(OCCUPATIONS)


def test_ml100k_u_item_is_latin1_not_utf8(ml_default):
    raw = ml_default["u.item"].read_bytes()
    text = raw.decode("latin-1")
    assert any(ord(c) > 127 for c in text)
    assert "Café" in text or any(w in text for w in ("Été", "Señor", "Garçon", "Déjà", "Niño", "Crème"))
    with pytest.raises(UnicodeDecodeError):
        raw.decode("utf-8")
    titles = load_ml100k(ml_default["u.item"].parent).items["title"]
    non_ascii = [t for t in titles if any(ord(c) > 127 for c in t)]
    assert non_ascii and all(t.encode("latin-1").decode("latin-1") == t for t in non_ascii)
    assert any(t.encode("latin-1") in raw for t in non_ascii)


def test_ml100k_small_sizes(tmp_path):
    paths = write_ml100k(tmp_path, seed=3, **SMALL_ML)
    frame = pd.read_csv(paths["u.data"], sep="\t", header=None, names=list("uirt"))
    assert len(frame) == 3000 and frame.u.nunique() == 60 and frame.i.nunique() == 150
    assert frame.groupby("u").size().min() >= 20 and not frame.duplicated(["u", "i"]).any()
    expected = ml100k.apportion(3000, ml100k.RATING_COUNTS)
    assert frame.r.value_counts().sort_index().tolist() == expected.tolist()
    assert len(lines(paths["u.user"], "ascii")) == 60 and len(lines(paths["u.item"], "latin-1")) == 150
    with pytest.raises(ValueError):
        write_ml100k(tmp_path / "x", seed=3, n_users=60, n_items=150, n_ratings=1000)  # < 20 per user


def _als(users, items, ratings, n_users, n_items, rank, reg=5.0, iterations=8):
    """Biased matrix factorisation by alternating least squares (batched normal equations)."""
    rng = np.random.default_rng(0)
    mu = ratings.mean()
    p, q = rng.normal(0, 0.1, (n_users, rank)), rng.normal(0, 0.1, (n_items, rank))
    bu, bi = np.zeros(n_users), np.zeros(n_items)

    def solve(rows, other, target, n):
        f = np.c_[other, np.ones(len(target))]
        d = f.shape[1]
        s = sp.csr_matrix((np.ones(len(rows)), (rows, np.arange(len(rows)))), shape=(n, len(rows)))
        a = (s @ (f[:, :, None] * f[:, None, :]).reshape(len(f), d * d)).reshape(n, d, d) + reg * np.eye(d)
        x = np.linalg.solve(a, (s @ (f * target[:, None]))[..., None])[..., 0]
        return x[:, :rank], x[:, rank]

    for _ in range(iterations):
        p, bu = solve(users, q[items], ratings - mu - bi[items], n_users)
        q, bi = solve(items, p[users], ratings - mu - bu[users], n_items)
    return bu, bi, p, q


def _canonical_correlations(a, b):
    qa, _ = np.linalg.qr(a - a.mean(axis=0))
    qb, _ = np.linalg.qr(b - b.mean(axis=0))
    return np.linalg.svd(qa.T @ qb, compute_uv=False)


def test_ml100k_fit_recovers_planted_parameters(ml_default):
    data = load_ml100k(ml_default["u.data"].parent).ratings
    planted = planted_ml100k(7)
    users, items = data.user_id.to_numpy() - 1, data.item_id.to_numpy() - 1
    bu, bi, p, q = _als(users, items, data.rating.to_numpy(float), 943, 1682, rank=8)
    rated = np.bincount(items, minlength=1682) >= 30
    assert np.corrcoef(bi[rated], planted.item_bias[rated])[0, 1] > 0.8
    assert np.corrcoef(bu, planted.user_bias)[0, 1] > 0.8
    assert _canonical_correlations(q[rated], planted.item_factors[rated])[:4].min() > 0.75
    assert _canonical_correlations(p, planted.user_factors)[:4].min() > 0.75
    counts = np.bincount(items, minlength=1682)
    assert counts.max() > 20 * np.median(counts)  # long-tailed popularity


# ------------------------------------------------------------------------------------- LastFM


def test_lastfm_formats(tmp_path):
    paths = write_lastfm(tmp_path, seed=5, **SMALL_LF)
    le75 = lines(paths["LastFM360k-Le75.txt"])
    assert le75[0] == "userid,artistid,playcount"
    assert all(re.fullmatch(r"\d+,\d+,\d+", row) for row in le75[1:])
    rows = np.array([row.split(",") for row in le75[1:]], dtype=np.int64)
    assert len(np.unique(rows[:, 0])) == 300
    assert rows[:, 1].min() == 0 and rows[:, 0].min() >= 0
    for user in np.unique(rows[:, 0])[:20]:  # each user's artists by decreasing plays
        plays = rows[rows[:, 0] == user, 2]
        assert np.all(np.diff(plays) <= 0) and len(plays) <= 50

    artists = [row.split("\t") for row in lines(paths["LastFM360k-MB-artists.txt"])]
    assert all(len(row) == 4 for row in artists)
    assert re.fullmatch(r"\d+", artists[0][0])  # no header: the first line is an artist
    assert all(re.fullmatch(r"\d+/\d+/\d+/\d+/\d+", row[2]) for row in artists)
    assert all(row[3] == "" or UUID.fullmatch(row[3]) for row in artists)
    assert any(row[3] == "" for row in artists) and any(row[3] for row in artists)
    assert any('"' in row[1] for row in artists) and any(any(ord(c) > 127 for c in row[1]) for row in artists)
    ids = [int(row[0]) for row in artists]
    assert sorted(ids) == list(range(len(ids))) and ids != sorted(ids)
    assert set(rows[:, 1]) <= set(ids)

    loaded = load_lastfm(tmp_path)
    assert len(loaded.artists) == len(artists) and loaded.artists.artist_id.iloc[0] == int(artists[0][0])
    assert len(loaded.plays) == len(le75) - 1 and loaded.n_duplicate_rows == 0


def test_lastfm_planted_structure(tmp_path):
    paths = write_lastfm(tmp_path, seed=5, n_users=1500, n_artists=1500)
    data = load_lastfm(tmp_path)
    merged = data.plays.merge(data.artists[["artist_id", "gender"]], on="artist_id")
    identified = merged.gender.isin(["male", "female", "other", "na"])
    assert identified.groupby(merged.user_id).mean().min() >= 0.75  # Le75 filter
    share = data.artists.gender.value_counts()
    assert share["male"] > 3 * share["female"] > 0  # male majority among identified artists
    popularity = merged.groupby("artist_id").size().sort_values(ascending=False).to_numpy()
    assert popularity[:len(popularity) // 100 + 1].sum() > 0.05 * popularity.sum()
    plays = merged.playcount.to_numpy()
    assert plays.max() > 50 * np.median(plays) and np.percentile(plays, 25) < 0.5 * np.median(plays)
    assert 35 <= merged.groupby("user_id").size().mean() <= 50
    assert Path(paths["LastFM360k-Le75.txt"]).stat().st_size > 0


def test_lastfm_population_plants_gender_preference():
    population = simulate_lastfm(9, 3000, 1500)
    female_artist = (population.artist_gender == "female")[population.artist]
    by_user = pd.Series(female_artist).groupby(population.user).mean()
    gender = population.user_gender[by_user.index]
    assert by_user[gender == "f"].mean() > by_user[gender == "m"].mean() + 0.03
    passing = le75_users(population)
    assert 0.2 * 3000 < passing.size < 0.95 * 3000


def test_lastfm_raw_formats(tmp_path):
    paths = write_lastfm_raw(tmp_path, seed=5, **SMALL_LF)
    plays = [row.split("\t") for row in lines(paths["usersha1-artmbid-artname-plays.tsv"])]
    assert all(len(row) == 4 for row in plays)
    # the real file has 86 rows with the date 'sep 20, 2008' as user (it sorts after every sha1)
    assert all((re.fullmatch(r"[0-9a-f]{40}", row[0]) or row[0] == "sep 20, 2008") and re.fullmatch(r"\d+", row[3])
               for row in plays)
    assert all(row[1] == "" or UUID.fullmatch(row[1]) for row in plays)
    assert [row[0] for row in plays] == sorted(row[0] for row in plays)
    profiles = [row.split("\t") for row in lines(paths["usersha1-profile.tsv"])]
    assert len(profiles) == 300 and all(len(row) == 5 for row in profiles)
    assert {row[1] for row in profiles} == {"m", "f", ""}
    # ages are integers or empty, absurd ones included (the real file has -1337 and 1002)
    assert all(re.fullmatch(r"(-?\d+)?", row[2]) for row in profiles) and any(row[2] == "" for row in profiles)
    assert all(re.fullmatch(r"[A-Z][a-z]{2} \d{1,2}, \d{4}", row[4]) for row in profiles)
    assert {row[0] for row in plays} - {"sep 20, 2008"} <= {row[0] for row in profiles}


# ---------------------------------------------------------------------------------- AmazonCat


@pytest.fixture(scope="module")
def amazon(tmp_path_factory):
    folder = tmp_path_factory.mktemp("amazoncat")
    paths = write_amazoncat(folder, seed=13, **SMALL_AC)
    with np.load(paths["features.npz"]) as archive:
        assert archive.files == ["arr_0"]
        features = archive["arr_0"]
    return paths, features, sp.load_npz(paths["ratings.npz"])


def test_amazoncat_files(amazon):
    paths, features, labels = amazon
    assert features.shape == (4000, 768) and features.dtype == np.float32
    assert sp.isspmatrix_csr(labels) and labels.shape == (4000, 13_330)
    assert set(np.unique(labels.data)) == {1.0}
    for path in paths.values():  # reproducible archives: no wall-clock timestamps
        assert {info.date_time for info in zipfile.ZipFile(path).infolist()} == {(1980, 1, 1, 0, 0, 0)}


def test_amazoncat_label_structure(amazon):
    _, features, labels = amazon
    per_item = labels.getnnz(axis=1)
    assert np.mean((per_item >= 1) & (per_item <= 5)) > 0.75
    counts = np.sort(np.asarray(labels.sum(axis=0)).ravel())[::-1]
    counts = counts[counts > 0]
    slope = np.polyfit(np.log(np.arange(1, counts.size + 1)), np.log(counts), 1)[0]
    assert slope < -0.7  # power-law decay of label frequencies
    # the chapter 4 bandit built on it (categories ranked 3..102; rewards as in AmazonProblem)
    data = prepare_amazon(features, labels)
    stats = reward_statistics(data)
    assert stats["coverage"] > 0.93  # "less than 5% belong to none of the preserved categories"
    assert 0.08 < stats["positive_rate"] < 0.14  # thesis: 10.73% positive rewards
    shares = reward_histogram(data, n_draws=50)["share"].to_numpy()
    assert 0.15 < shares[:5].sum() < 0.24 and 0.15 < shares[50:].sum() < 0.24  # Fig. 4.2: 19.22%, 19.85%


def test_amazoncat_features_predict_labels(amazon):
    _, features, labels = amazon
    arms = category_order(labels)[2:102]
    target = labels[:, arms].toarray()
    half = features.shape[0] // 2

    def precision_at_1(dims):
        x = np.c_[features[:, :dims].astype(np.float64), np.ones(features.shape[0])]
        w = np.linalg.solve(x[:half].T @ x[:half] + np.eye(x.shape[1]), x[:half].T @ target[:half])
        best = (x[half:] @ w).argmax(axis=1)
        return target[half:][np.arange(best.size), best].mean()

    chance = target[half:].mean(axis=0).max()
    assert precision_at_1(400) > 1.6 * chance  # the most frequent kept category holds ~30% of items
    assert chance < precision_at_1(10) < precision_at_1(400)
