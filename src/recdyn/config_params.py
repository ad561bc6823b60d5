"""Constraints between configuration fields that the JSON schema cannot express.

:func:`check_config` runs after the schema passed (``recdyn.config.validate_config``, at parse
time of the Snakefile). It constructs every chapter 2 and 3 environment from its ``params``
(constructors only check and store values; the state is drawn by ``reset``), so their own
checks (``online_users <= n_users``, ``initial_ratings <= n_users * n_items``, ``slate_size <=
n_items``, ...) run before any job, and checks the ``run`` and ``table_3_1`` arguments against
the environment and each other. It imports numpy and the environments, not torch.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

#: Users x items of the real MovieLens-100K; also the defaults of
#: ``recdyn.data.synthetic.ml100k.write_ml100k`` (tests/test_config_params.py checks them).
ML100K_SIZES = (943, 1682)
#: Defaults of :func:`recdyn.cafl.corrections.run_table_3_1` used below (checked by the tests).
TABLE_3_1_DEFAULTS = {"n_items": 1000, "steps": 30, "train_steps": 20, "n_test": 20}

Problem = tuple[str, str]  # (dotted config key, message)


def ml100k_shape(config: Mapping[str, Any]) -> tuple[int, int]:
    """Users and items the fitted ml-100k environment will have: real ML-100K's, the synthetic
    stand-in's (``data.ml100k.synthetic``) or, with ``source: auto``, the smaller of the two."""
    data = config["data"]["ml100k"]
    synthetic = (int(data["synthetic"].get("n_users", ML100K_SIZES[0])),
                 int(data["synthetic"].get("n_items", ML100K_SIZES[1])))
    if data["source"] == "real":
        return ML100K_SIZES
    if data["source"] == "synthetic":
        return synthetic
    return min(ML100K_SIZES[0], synthetic[0]), min(ML100K_SIZES[1], synthetic[1])


def dummy_ml100k_model(config: Mapping[str, Any]) -> Any:
    """An all-zero :class:`~recdyn.fit.libfm.FactorModel` with the sizes of the future fit."""
    import numpy as np

    from recdyn.fit.libfm import FactorModel

    n_users, n_items = ml100k_shape(config)
    dim = int(config["fit"]["ml100k"]["latent_dim"])
    return FactorModel(0.0, np.zeros(n_users), np.zeros(n_items), np.zeros((n_users, dim)),
                       np.zeros((n_items, dim)))


def build_env(name: str, params: Mapping[str, Any], config: Mapping[str, Any]) -> Any:
    """Environment ``name`` with ``params`` (ml-100k: with :func:`dummy_ml100k_model`)."""
    from recdyn.envs import ENVIRONMENTS

    extra = {"model": dummy_ml100k_model(config)} if name == "ml-100k" else {}
    return ENVIRONMENTS[name](**params, **extra)


def _check_retrain_every(ch2: Mapping[str, Any]) -> list[Problem]:
    settings = [("ch2.retrain_every", ch2["retrain_every"])]
    settings += [(f"ch2.envs.{env}.retrain_every", spec["retrain_every"])
                 for env, spec in ch2["envs"].items() if "retrain_every" in spec]
    known = set(ch2["recommenders"]) | {"default"}
    return [(key, f"{name!r} is neither 'default' nor a recommender of ch2.recommenders")
            for key, setting in settings if isinstance(setting, Mapping)
            for name in setting if name not in known]


def _check_run(env: Any, run: Mapping[str, Any], key: str) -> list[Problem]:
    """What :func:`recdyn.cafl.experiment.run_cafl` would reject about ``run`` in ``env``."""
    problems = []
    clip = run.get("rank_clip")
    if clip is not None and not clip[0] < clip[1]:
        problems.append((f"{key}.rank_clip", f"rank_clip must be (low, high) with low < high, got {list(clip)}"))
    per_step = run.get("ratings_per_step")
    if per_step is not None and per_step % env.n_online:
        problems.append((key, f"ratings_per_step={per_step} must be a multiple of the environment's "
                              f"online_users={env.n_online}"))
    available = env.n_users * env.n_items - env.initial_ratings
    if run["test_size"] > available:
        problems.append((key, f"test_size={run['test_size']} exceeds the {available} pairs of the "
                              f"{env.n_users} x {env.n_items} environment outside its "
                              f"initial_ratings={env.initial_ratings}"))
    return problems


def _check_table_3_1(params: Mapping[str, Any], key: str) -> list[Problem]:
    """What :func:`recdyn.cafl.chaney.simulate_chaney` would reject about the sizes."""
    p = {**TABLE_3_1_DEFAULTS, **params}
    problems = []
    if not p["train_steps"] <= p["steps"]:
        problems.append((key, f"train_steps={p['train_steps']} must be in [1, steps={p['steps']}]"))
    if p["steps"] + p["n_test"] > p["n_items"]:
        problems.append((key, f"steps + n_test = {p['steps'] + p['n_test']} exceeds n_items={p['n_items']}"))
    return problems


def check_config(config: Mapping[str, Any]) -> list[Problem]:
    """``(config key, message)`` for every cross-field constraint the configuration violates
    (the configuration must already satisfy the schema), and a ``device`` this machine lacks."""
    from recdyn.devices import check_device  # imports torch only for a cuda setting

    problems = _check_retrain_every(config["ch2"])
    device_problem = check_device(config["device"])
    if device_problem is not None:
        problems.append(("device", device_problem))
    for chapter in ("ch2", "ch3"):
        for name, spec in config[chapter]["envs"].items():
            key = f"{chapter}.envs.{name}"
            try:
                env = build_env(name, spec["params"], config)
            except (ValueError, TypeError) as error:
                problems.append((f"{key}.params", str(error)))
                continue
            if chapter == "ch3":
                problems += _check_run(env, spec["run"], f"{key}.run")
    problems += _check_table_3_1(config["ch3"]["table_3_1"]["params"], "ch3.table_3_1.params")
    return problems
