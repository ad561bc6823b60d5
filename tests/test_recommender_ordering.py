"""Issue 4's acceptance check at small scale: every model-based recommender, at its tuned values, beats
Random and TopPop in 3-fold CV RMSE on latent-static and on an ml-100k environment fitted to the ML-100K
stand-in; EASE (no rating predictions) is compared by nDCG@20. "Tuned" = the best point of a small grid
(``SMALL_GRIDS``) where the constructor defaults (the thesis framework's settings for ML-100K's size,
DESIGN.md section 4) underfit this 300 x 500 problem, the constructor defaults elsewhere. The pipeline's
own tuning (rule ch2_tune) reports the same comparison at full size in figures/ch2/table_recommenders.md.

Opt-in (about 3 minutes): ``pytest -m acceptance tests/test_recommender_ordering.py``.
Known failures are marked ``xfail(strict=True)`` with the measured reason, so they are reported and the
test fails as soon as one starts passing (then the mark must go)."""

from __future__ import annotations

import functools
from pathlib import Path

import pytest

from recdyn.data.loaders import load_ml100k
from recdyn.data.synthetic.ml100k import write_ml100k
from recdyn.envs import make_env
from recdyn.fit.libfm import fit_libfm
from recdyn.ratings import ratings_from_tables
from recdyn.recommenders import make_recommender
from recdyn.sim.offline import grid_search

MODEL_BASED = ["user_knn", "item_knn", "ease", "sgd-mf", "bayes-mf", "llorma", "autorec", "cfnade"]
ENVS = ["latent-static", "ml-100k"]
#: Small grids for the neural recommenders: at their defaults (20 and 10 epochs) they underfit this
#: size; measured 3-fold RMSE at the best point, latent-static / ml-100k: AutoRec 0.906 / 0.781,
#: CF-NADE 0.907 / 0.775, TopPop 0.953 / 0.811 (defaults: AutoRec 0.951 / 0.818, CF-NADE 0.966 / 0.827).
SMALL_GRIDS = {
    "autorec": {"lr": [1e-3, 3e-3], "reg": [30.0], "epochs": [20, 60]},
    "cfnade": {"lr": [1e-3, 3e-3], "epochs": [10, 30]},
}
KNOWN = {  # (env, recommender, baseline) -> why it does not (yet) hold; measured, see issue 4's note
    ("latent-static", "ease", "toppop"): "no lam or input makes EASE beat TopPop on uniform explicit data: "
                                         "binarised it scores co-occurrences (Random's nDCG), on ratings it "
                                         "tends to a rating sum carrying count noise (see EASE's "
                                         "docstring); the thesis authors' own offline run shows the same "
                                         "order (EASE 0.711, TopPop 0.824, Random 0.645 on latent-static)",
    ("ml-100k", "ease", "toppop"): "as on latent-static",
}


@pytest.fixture(scope="module")
def scores(tmp_path_factory) -> dict:
    """Best CV score of every recommender (rmse, or ndcg for EASE) per environment."""
    out = {}
    for env_name in ENVS:
        if env_name == "latent-static":
            env = make_env("latent-static", n_users=300, n_items=500, online_users=60, initial_ratings=24_000)
        else:
            folder = tmp_path_factory.mktemp("ml100k")
            write_ml100k(folder, seed=3, n_users=300, n_items=500, n_ratings=30_000)
            tables = load_ml100k(folder)
            r = ratings_from_tables(tables.ratings, tables.users, tables.items)
            model = fit_libfm(r.users, r.items, r.ratings, r.n_users, r.n_items, method="sgd", dim=10,
                              num_iter=60, init_stdev=0.1, lr=0.01, reg=(0.0, 0.05, 0.05), seed=0)
            env = make_env("ml-100k", model=model, online_users=60, initial_ratings=24_000)
        data = env.reset(0)
        for name in ["random", "toppop", *MODEL_BASED]:
            grid = SMALL_GRIDS.get(name, [{}])
            factory = functools.partial(make_recommender, name, seed=0)
            table = grid_search(factory, grid, data, folds=3, seed=0)
            out[env_name, name] = {"rmse": float(table["rmse"].min()), "ndcg": float(table["ndcg"].max())}
    return out


CASES = [
    pytest.param(env, name, base, marks=pytest.mark.xfail(strict=True, reason=KNOWN[env, name, base]))
    if (env, name, base) in KNOWN else (env, name, base)
    for env in ENVS for name in MODEL_BASED for base in ("random", "toppop")
]


@pytest.mark.acceptance
@pytest.mark.parametrize("env_name, name, baseline", CASES)
def test_tuned_recommender_beats_baseline(scores, env_name, name, baseline):
    if name == "ease":
        assert scores[env_name, name]["ndcg"] > scores[env_name, baseline]["ndcg"]
    else:
        assert scores[env_name, name]["rmse"] < scores[env_name, baseline]["rmse"]
