"""Benchmark: recdyn's rating recommenders against Surprise on MovieLens-100K's official splits.

Fits every recdyn recommender that predicts ratings (``user_knn``, ``item_knn``, ``sgd-mf``,
``bayes-mf``, ``llorma``, ``autorec``, ``cfnade``; each with its DEFAULT arguments and
``seed=0``) and Surprise's peers (:data:`SURPRISE_MODELS`, Surprise's defaults, fixed random
seeds) on the very same train/test pairs, the official splits ``u1.base/u1.test`` ..
``u5.base/u5.test``, in one run, and prints

1. a header saying where the data came from (see below), the test pairs whose user or item has
   no training rating, the commit that ran (and whether the tree had uncommitted changes), each
   recdyn model's hyperparameters as run (its ``repr``) and Surprise's version;
2. per model and split: RMSE, MAE, fit seconds, predict seconds (``predict`` of all test pairs
   for recdyn, ``algo.test`` for Surprise) and how many predictions lie outside 1..5 (evaluated
   as returned, never clipped here), then per model the mean over the splits (the mean of the
   per-split RMSEs, as Surprise's ``cross_validate`` reports it);
3. per recdyn model, its mean RMSE beside the best Surprise model of its family
   (:data:`FAMILIES`) and the difference (recdyn - Surprise; negative: recdyn is better).

Data, in this order: ``--data DIR`` (a folder holding ``u1.base`` .. ``u5.test``; if it holds
``u.data`` too, its SHA-256 is compared with the real file's and the splits with GroupLens'
``mku.sh`` rule); else the real archive staged the way the pipeline finds it
(``data/raw/ml-100k.zip`` or ``data/raw/ml-100k/``, verified and extracted by
:func:`recdyn.data.fetch.find_staged`); else the synthetic stand-in
(:func:`recdyn.data.synthetic.ml100k.write_ml100k`, seed 100 as in the default preset) written
to a temporary folder, announced by the line ``STAND-IN DATA (synthetic, not MovieLens): ...``.
Every split is read and validated by :func:`recdyn.data.loaders.load_ml100k_split`.

Surprise runs in its own virtual environment through a subprocess (like RecLab in
``bench_topics_dynamic.py``; see benchmarks/README.md for the venv); it reads the same validated
(user, item, rating) triples, written to temporary files, and must return its predictions for
exactly the test pairs, in order (checked by a digest). Without that venv the script warns, says
how to create it and runs recdyn only::

    python benchmarks/bench_ml100k.py [--data DIR] [--splits u1,u2,u3,u4,u5]
        [--models user_knn,item_knn,...] [--no-surprise] [--surprise-python PATH]
        [--json] [--out FILE.csv]

``--json`` prints one JSON line per model and split, per model mean and per family comparison
(after a first line describing the data and the code) instead of the tables; ``--out`` also writes
the per-split rows and the means as CSV. Progress and warnings go to stderr. Exit status 1 if the
Surprise run failed (the recdyn results are still printed). Not part of the test suite
(``tests/test_bench_ml100k.py`` runs it once on the stand-in, recdyn only).
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import json
import math
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from recdyn.data import fetch
from recdyn.data.loaders import ML100K_SPLITS, load_ml100k, load_ml100k_split
from recdyn.data.registry import ML100K
from recdyn.data.synthetic.ml100k import official_splits, write_ml100k
from recdyn.metrics import rmse
from recdyn.provenance import git_commit
from recdyn.ratings import Ratings
from recdyn.recommenders import make_recommender

#: Which Surprise models a recdyn model is compared with (the best mean RMSE among them is shown):
#: the KNNs with Surprise's KNNs of the same orientation (recdyn's KNNs are KNNWithMeans,
#: KNNBaseline is the stronger variant); the factorisation models (libFM's SGD and MCMC
#: factorisation machines, LLORMA's local low-rank factorisations) and the neural models
#: (AutoRec, CF-NADE) with Surprise's latent-factor models SVD and SVD++.
FAMILIES: dict[str, tuple[str, ...]] = {
    "user_knn": ("KNNWithMeans (user)", "KNNBaseline (user)"),
    "item_knn": ("KNNWithMeans (item)", "KNNBaseline (item)"),
    "sgd-mf": ("SVD", "SVD++"),
    "bayes-mf": ("SVD", "SVD++"),
    "llorma": ("SVD", "SVD++"),
    "autorec": ("SVD", "SVD++"),
    "cfnade": ("SVD", "SVD++"),
}
#: recdyn's rating recommenders (EASE does not predict ratings; random/oracle/toppop are baselines).
RECDYN_MODELS: tuple[str, ...] = tuple(FAMILIES)
#: Surprise models: label -> (class in ``surprise``, keyword arguments). Surprise's defaults,
#: except the item-based KNNs' ``sim_options`` and fixed seeds of the randomly initialised ones.
SURPRISE_MODELS: dict[str, tuple[str, dict]] = {
    "BaselineOnly": ("BaselineOnly", {}),
    "KNNWithMeans (user)": ("KNNWithMeans", {}),
    "KNNWithMeans (item)": ("KNNWithMeans", {"sim_options": {"user_based": False}}),
    "KNNBaseline (user)": ("KNNBaseline", {}),
    "KNNBaseline (item)": ("KNNBaseline", {"sim_options": {"user_based": False}}),
    "SVD": ("SVD", {"random_state": 0}),
    "SVD++": ("SVDpp", {"random_state": 0}),
    "NMF": ("NMF", {"random_state": 0}),
    "SlopeOne": ("SlopeOne", {}),
}
DEFAULT_SPLITS = ("u1", "u2", "u3", "u4", "u5")
DEFAULT_SURPRISE_PYTHON = "/tmp/surprise-venv/bin/python"
STAND_IN_SEED = 100  # config/presets/*.yaml: data.ml100k.synthetic.seed
STAND_IN_LABEL = "STAND-IN DATA (synthetic, not MovieLens): numbers say nothing about real-data accuracy"
RAW_DIR = Path(__file__).resolve().parents[1] / "data" / "raw"
VENV_RECIPE = ("python3.11 -m venv /tmp/surprise-venv && "
               "/tmp/surprise-venv/bin/pip install numpy==2.4.6 scikit-surprise==1.1.5")

# Runs inside Surprise's venv. Reads a job (JSON: split files, models) on stdin; prints one JSON line
# with each model's predictions of each split's test pairs (in order), timings and a digest of the pairs.
SURPRISE_SCRIPT = r"""
import contextlib, hashlib, json, os, sys, time
import numpy as np
import surprise
from surprise.model_selection import PredefinedKFold

job = json.load(sys.stdin)
reader = surprise.Reader(line_format="user item rating", sep="\t", rating_scale=(1, 5))
results = []
for split, files in job["splits"].items():
    data = surprise.Dataset.load_from_folds([(files["base"], files["test"])], reader)
    trainset, testset = next(PredefinedKFold().split(data))
    for label, (cls, kwargs) in job["models"].items():
        algo = getattr(surprise, cls)(**kwargs)
        with open(os.devnull, "w") as null, contextlib.redirect_stdout(null):  # KNNs print their progress
            t = time.perf_counter(); algo.fit(trainset); fit_s = time.perf_counter() - t
            t = time.perf_counter(); preds = algo.test(testset); predict_s = time.perf_counter() - t
        pairs = "".join(f"{p.uid}\t{p.iid}\t{int(p.r_ui)}\n" for p in preds)
        results.append({"model": label, "split": split, "est": [p.est for p in preds],
                        "impossible": sum(bool(p.details.get("was_impossible")) for p in preds),
                        "fit_s": fit_s, "predict_s": predict_s,
                        "pairs_sha256": hashlib.sha256(pairs.encode()).hexdigest()})
        print(f"surprise {label} {split}: fit {fit_s:.1f} s, test {predict_s:.1f} s", file=sys.stderr, flush=True)
print(json.dumps({"version": surprise.__version__, "numpy": np.__version__, "results": results}))
"""


@dataclass(frozen=True)
class DataSource:
    """Where the splits are read from: ``folder``, ``kind`` ("real", "given" or "stand-in") and
    human-readable lines saying so."""

    folder: Path
    kind: str
    lines: tuple[str, ...]


@dataclass(frozen=True)
class Result:
    """One model on one split (``split == "mean"``: the mean over the splits)."""

    library: str
    model: str
    split: str
    rmse: float
    mae: float
    fit_s: float
    predict_s: float
    n_test: int
    outside_1_5: int
    note: str = ""


# ---------------------------------------------------------------------------------- data


def _log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def udata_checks(folder: Path, data: dict[str, tuple[pd.DataFrame, pd.DataFrame]]) -> list[str]:
    """If ``folder`` holds ``u.data``: is it the real file (the registry's SHA-256), and are the
    loaded splits the ones GroupLens' ``mku.sh`` makes from it (u.data read by ``load_ml100k``,
    so ``u.user`` and ``u.item`` must be there too)?"""
    udata = folder / "u.data"
    if not udata.is_file():
        return ["no u.data beside the splits: not checked against the real file"]
    real = fetch.file_digest(udata) == ML100K.archives[0].files["u.data"]
    lines = ["u.data's SHA-256 is the real MovieLens-100K's (recdyn.data.registry)" if real
             else "u.data's SHA-256 is NOT the real MovieLens-100K's: these are not the real data"]
    try:
        expected = official_splits(load_ml100k(folder).ratings)
    except FileNotFoundError as error:
        return [*lines, f"splits not compared with u.data: {error}"]
    differ = [split for split, pair in data.items() if not all(
        frame.reset_index(drop=True).equals(expected[f"{split}.{part}"].reset_index(drop=True))
        for part, frame in zip(("base", "test"), pair))]
    rule = "as GroupLens' mku.sh makes them from u.data"
    lines.append(f"{', '.join(data)}: " + (f"NOT {rule} ({', '.join(differ)} differ)" if differ else rule))
    return lines


def find_data(given: str | None, splits: Sequence[str], scratch: Path) -> DataSource:
    """``--data``, else the staged real archive (verified), else the stand-in written to ``scratch``."""
    if given:
        return DataSource(Path(given).resolve(), "given", (f"data: --data {Path(given).resolve()}",))
    try:
        staged = fetch.find_staged(ML100K, RAW_DIR)
    except fetch.DataError as error:
        sys.exit(f"real ML-100K staged in {RAW_DIR} does not verify (fix it, or pass --data):\n{error}")
    if staged is not None:
        missing = [f"{s}.{p}" for s in splits for p in ("base", "test") if not (staged / f"{s}.{p}").is_file()]
        if missing:
            sys.exit(f"{staged} (staged real ML-100K) lacks {', '.join(missing)}: stage the whole "
                     f"ml-100k.zip, or pass --data")
        return DataSource(staged, "real", (
            f"data: REAL MovieLens-100K staged in {RAW_DIR} (verified by recdyn.data.fetch.find_staged): {staged}",))
    write_ml100k(scratch, seed=STAND_IN_SEED)
    return DataSource(scratch, "stand-in", (
        STAND_IN_LABEL,
        f"data: nothing staged in {RAW_DIR} and no --data; recdyn.data.synthetic.ml100k.write_ml100k"
        f"(seed={STAND_IN_SEED}) in a temporary folder"))


def checked(source: DataSource, data: dict[str, tuple[pd.DataFrame, pd.DataFrame]]) -> DataSource:
    """``source`` with the :func:`udata_checks` lines; ``--data`` whose u.data and splits are the
    real ones becomes kind "real"."""
    if source.kind == "stand-in":
        return source
    lines = udata_checks(source.folder, data)
    if source.kind != "given":
        return DataSource(source.folder, source.kind, (*source.lines, *lines))
    real = len(lines) == 2 and "NOT" not in lines[0] + lines[1]
    head = source.lines[0] + (": REAL MovieLens-100K (checks below)" if real
                              else ": NOT verified as the real MovieLens-100K (see below)")
    return DataSource(source.folder, "real" if real else "given", (head, *lines))


def load_splits(folder: Path, splits: Sequence[str]) -> dict[str, tuple[pd.DataFrame, pd.DataFrame]]:
    """Each split's validated (base, test) rating tables."""
    return {split: load_ml100k_split(folder, split) for split in splits}


def to_ratings(frame: pd.DataFrame, n_users: int, n_items: int) -> Ratings:
    """A rating table (ids from 1) as 0-based :class:`Ratings`."""
    return Ratings(frame["user_id"].to_numpy(np.int64) - 1, frame["item_id"].to_numpy(np.int64) - 1,
                   frame["rating"].to_numpy(np.float64), n_users, n_items)


def pairs_digest(test: pd.DataFrame) -> str:
    """SHA-256 of the test triples in order, as the Surprise script computes it."""
    text = "".join(f"{u}\t{i}\t{r}\n" for u, i, r in test[["user_id", "item_id", "rating"]].itertuples(index=False))
    return hashlib.sha256(text.encode()).hexdigest()


def cold_note(base: pd.DataFrame, test: pd.DataFrame) -> str:
    """Test pairs whose user or item has no training rating."""
    cold_items = int((~test["item_id"].isin(base["item_id"])).sum())
    cold_users = int((~test["user_id"].isin(base["user_id"])).sum())
    return f"{cold_users} test pairs with a user and {cold_items} with an item absent from the base"


# ---------------------------------------------------------------------------------- models


def score(library: str, model: str, split: str, predicted: np.ndarray, true: np.ndarray,
          fit_s: float, predict_s: float, note: str = "") -> Result:
    """RMSE and MAE of the predictions as given (no clipping)."""
    predicted = np.asarray(predicted, dtype=np.float64)
    error = predicted - np.asarray(true, dtype=np.float64)
    outside = int(np.sum((predicted < 1) | (predicted > 5) | ~np.isfinite(predicted)))
    return Result(library, model, split, rmse(predicted, true), float(np.mean(np.abs(error))),
                  fit_s, predict_s, int(error.size), outside, note)


def run_recdyn(name: str, split: str, base: pd.DataFrame, test: pd.DataFrame) -> Result:
    """Fit recdyn's ``name`` (default arguments, seed 0) on ``base`` and predict ``test``."""
    n_users = int(max(base["user_id"].max(), test["user_id"].max()))
    n_items = int(max(base["item_id"].max(), test["item_id"].max()))
    rec = make_recommender(name, seed=0)
    if not rec.predicts_ratings:
        raise ValueError(f"recdyn {name} does not predict ratings")
    start = time.perf_counter()
    rec.fit(to_ratings(base, n_users, n_items))
    fit_s = time.perf_counter() - start
    truth = to_ratings(test, n_users, n_items)
    start = time.perf_counter()
    predicted = np.asarray(rec.predict(truth.users, truth.items), dtype=np.float64)
    predict_s = time.perf_counter() - start
    _log(f"recdyn {name} {split}: fit {fit_s:.1f} s, predict {predict_s:.2f} s")
    return score("recdyn", name, split, predicted, truth.ratings, fit_s, predict_s)


def surprise_problem(python: str) -> str | None:
    """Why Surprise cannot run from ``python`` (None: it can)."""
    if not Path(python).exists():
        return f"{python} not found"
    proc = subprocess.run([python, "-c", "import surprise"], capture_output=True, text=True, check=False)
    return None if proc.returncode == 0 else f"{python} cannot import surprise: {proc.stderr.strip()[-300:]}"


def run_surprise(python: str, data: dict[str, tuple[pd.DataFrame, pd.DataFrame]],
                 scratch: Path) -> tuple[list[Result], str]:
    """Every Surprise model on every split, in Surprise's venv; returns results and its version line."""
    files = {}
    for split, (base, test) in data.items():
        files[split] = {}
        for part, frame in (("base", base), ("test", test)):
            path = scratch / f"surprise_{split}.{part}"
            frame[["user_id", "item_id", "rating"]].to_csv(path, sep="\t", header=False, index=False)
            files[split][part] = str(path)
    job = json.dumps({"splits": files, "models": SURPRISE_MODELS})
    proc = subprocess.run([python, "-c", SURPRISE_SCRIPT], input=job, stdout=subprocess.PIPE,
                          stderr=None, text=True, check=False)
    if proc.returncode != 0:
        raise RuntimeError(f"Surprise run failed ({python}, exit {proc.returncode}); its stderr is above")
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    results = []
    for r in out["results"]:
        test = data[r["split"]][1]
        if r["pairs_sha256"] != pairs_digest(test):
            raise RuntimeError(f"Surprise {r['model']} {r['split']}: predicted other pairs than the test file's")
        note = f"{r['impossible']} impossible (default prediction)" if r["impossible"] else ""
        results.append(score("surprise", r["model"], r["split"], np.array(r["est"]), test["rating"].to_numpy(),
                             r["fit_s"], r["predict_s"], note))
    return results, f"scikit-surprise {out['version']} (numpy {out['numpy']}) at {python}"


# ---------------------------------------------------------------------------------- summaries


def means(results: list[Result]) -> list[Result]:
    """Per (library, model): the mean of each column over its splits (outside counts summed)."""
    groups: dict[tuple[str, str], list[Result]] = {}
    for r in results:
        groups.setdefault((r.library, r.model), []).append(r)
    return [Result(lib, model, "mean", *(float(np.mean([getattr(r, f) for r in rs]))
                                         for f in ("rmse", "mae", "fit_s", "predict_s")),
                   sum(r.n_test for r in rs), sum(r.outside_1_5 for r in rs), f"{len(rs)} splits")
            for (lib, model), rs in groups.items()]


def family_rows(mean_results: list[Result]) -> list[dict]:
    """Per recdyn model: its mean RMSE, the best Surprise model of its family and the difference."""
    surprise = {r.model: r.rmse for r in mean_results if r.library == "surprise"}
    rows = []
    for r in mean_results:
        if r.library != "recdyn":
            continue
        peers = [(surprise[m], m) for m in FAMILIES[r.model] if m in surprise]
        best = min(peers) if peers else (math.nan, "")
        rows.append({"recdyn_model": r.model, "recdyn_rmse": r.rmse, "surprise_model": best[1],
                     "surprise_rmse": best[0], "difference": r.rmse - best[0],
                     "family": list(FAMILIES[r.model])})
    return rows


def _fmt(x: float, digits: int = 4) -> str:
    return "n/a" if x is None or (isinstance(x, float) and math.isnan(x)) else f"{x:.{digits}f}"


def print_tables(results: list[Result], mean_results: list[Result], families: list[dict]) -> None:
    """The per-split table with each model's mean, then the family comparison."""
    print(f"\n{'model':<30s} {'split':<6s} {'RMSE':>7s} {'MAE':>7s} {'fit s':>8s} {'predict s':>10s} "
          f"{'out 1..5':>9s}  note")
    for m in mean_results:
        for r in [r for r in results if (r.library, r.model) == (m.library, m.model)] + [m]:
            print(f"{r.library + ' ' + r.model:<30s} {r.split:<6s} {r.rmse:7.4f} {r.mae:7.4f} {r.fit_s:8.2f} "
                  f"{r.predict_s:10.3f} {r.outside_1_5:9d}  {r.note}")
    if not families:
        return
    print(f"\n{'recdyn model':<14s} {'mean RMSE':>9s}  {'best Surprise of its family':<28s} {'mean RMSE':>9s} "
          f"{'recdyn - Surprise':>18s}  family")
    for f in families:
        diff = "n/a" if math.isnan(f["difference"]) else format(f["difference"], "+.4f")
        print(f"{f['recdyn_model']:<14s} {f['recdyn_rmse']:9.4f}  {f['surprise_model'] or 'n/a':<28s} "
              f"{_fmt(f['surprise_rmse']):>9s} {diff:>18s}  {', '.join(f['family'])}")


def recdyn_line() -> str:
    """The code that ran: commit, uncommitted changes, numpy and CPUs."""
    git = git_commit()
    dirty = " with uncommitted changes" if git["dirty"] else ""
    return f"recdyn: commit {git['commit'][:10]}{dirty}; numpy {np.__version__}, {os.cpu_count()} CPUs"


def print_json(source: DataSource, recdyn: dict[str, str], surprise_line: str, results: list[Result],
               mean_results: list[Result], families: list[dict]) -> None:
    """One JSON line for the data and code, per model and split, per model mean, per family comparison."""
    print(json.dumps({"record": "data", "kind": source.kind, "folder": str(source.folder),
                      "lines": list(source.lines), "recdyn": recdyn_line(), "recdyn_models": recdyn,
                      "surprise": surprise_line}))
    for r in results + mean_results:
        print(json.dumps({"record": "split" if r.split != "mean" else "mean", **asdict(r)}))
    for f in families:
        print(json.dumps({"record": "family", **{k: (None if isinstance(v, float) and math.isnan(v) else v)
                                                  for k, v in f.items()}}))


def write_csv(path: str, results: list[Result], mean_results: list[Result]) -> None:
    """Per model and split, then the means, as CSV."""
    names = list(Result.__dataclass_fields__)
    with open(path, "w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=names)
        writer.writeheader()
        for r in results + mean_results:
            writer.writerow(asdict(r))


# ---------------------------------------------------------------------------------- main


def _names(text: str, allowed: Sequence[str], what: str) -> list[str]:
    names = [n.strip() for n in text.split(",") if n.strip()]
    unknown = [n for n in names if n not in allowed]
    if unknown or not names:
        raise SystemExit(f"unknown or no {what}: {unknown or text!r}; choose from {', '.join(allowed)}")
    return names


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", help="folder holding u1.base .. u5.test "
                                       "(default: the staged real data, else the stand-in)")
    parser.add_argument("--splits", default=",".join(DEFAULT_SPLITS), help="comma-separated (default %(default)s)")
    parser.add_argument("--models", default=",".join(RECDYN_MODELS), help="recdyn models (default: all)")
    parser.add_argument("--no-surprise", action="store_true", help="run recdyn only")
    parser.add_argument("--surprise-python", default=os.environ.get("SURPRISE_PYTHON", DEFAULT_SURPRISE_PYTHON),
                        help="python of a venv with scikit-surprise (env SURPRISE_PYTHON; default %(default)s)")
    parser.add_argument("--json", action="store_true", help="JSON lines instead of tables")
    parser.add_argument("--out", help="also write the per-split rows and means to this CSV file")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the benchmark; returns the exit status (1 if the Surprise run failed)."""
    args = parse_args(argv)
    splits = _names(args.splits, ML100K_SPLITS, "splits")
    models = _names(args.models, RECDYN_MODELS, "recdyn models")
    status = 0
    surprise_line = "Surprise: skipped (--no-surprise)"
    want_surprise = not args.no_surprise
    if want_surprise and (problem := surprise_problem(args.surprise_python)) is not None:
        want_surprise = False
        surprise_line = f"Surprise: NOT RUN, {problem}; create its venv with: {VENV_RECIPE}"
        _log(f"WARNING: {surprise_line}. Continuing with recdyn only.")
    with tempfile.TemporaryDirectory(prefix="bench_ml100k_") as tmp:
        scratch = Path(tmp)
        (scratch / "stand-in").mkdir()
        source = find_data(args.data, splits, scratch / "stand-in")
        if source.kind == "stand-in":
            _log(STAND_IN_LABEL)
        data = load_splits(source.folder, splits)
        source = checked(source, data)
        recdyn = {name: repr(make_recommender(name, seed=0)) for name in models}  # the defaults as run
        results = [run_recdyn(name, split, base, test) for name in models for split, (base, test) in data.items()]
        if want_surprise:
            try:
                found, surprise_line = run_surprise(args.surprise_python, data, scratch)
                results += found
                surprise_line = f"Surprise: {surprise_line}"
            except RuntimeError as error:
                surprise_line = f"Surprise: FAILED, {error}"
                _log(f"WARNING: {surprise_line}")
                status = 1
    mean_results = means(results)
    families = family_rows(mean_results)
    if args.json:
        print_json(source, recdyn, surprise_line, results, mean_results, families)
    else:
        print("recdyn vs Surprise on MovieLens-100K's official splits " + ", ".join(splits))
        print("\n".join(source.lines))
        for split, (base, test) in data.items():
            print(f"{split}: {len(base)} base / {len(test)} test ratings; {cold_note(base, test)}")
        print(recdyn_line())
        print("\n".join(f"  {name}: {params}" for name, params in recdyn.items()))
        print(surprise_line)
        print_tables(results, mean_results, families)
    if args.out:
        write_csv(args.out, results, mean_results)
    return status


if __name__ == "__main__":
    sys.exit(main())
