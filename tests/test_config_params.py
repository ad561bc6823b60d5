"""The parameter dicts passed as **kwargs to code are validated before any job runs.

(a) the names params.schema.yaml allows equal the keyword parameters of the code they are passed
to (minus those the pipeline supplies), so the schema cannot drift from the code; (b) the presets
validate; (c) bad values are rejected naming the config key; (d) ``snakemake -n`` stops on them.
"""

from __future__ import annotations

import inspect
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from conftest import ROOT, run_snakemake

from recdyn.config import PRESETS, ConfigError, load_yaml, resolve_config, validate_config
from recdyn.config_params import ML100K_SIZES, TABLE_3_1_DEFAULTS, dummy_ml100k_model

PRESET_DIR = ROOT / "config" / "presets"
SCHEMA = ROOT / "workflow" / "schemas" / "config.schema.yaml"
CONFIG_SCHEMA = load_yaml(SCHEMA)
PARAMS_SCHEMA = load_yaml(SCHEMA.with_name("params.schema.yaml"))
DEFS = PARAMS_SCHEMA["$defs"]


# ---- helpers ---------------------------------------------------------------------------------
def keyword_names(target: Any) -> set[str]:
    """Keyword parameters of a function or class; a class's ``**params`` are followed up the MRO
    to the next ``__init__`` they are passed to."""
    if not inspect.isclass(target):
        return {n for n, p in inspect.signature(target).parameters.items()
                if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)}
    names: set[str] = set()
    for cls in target.__mro__:
        if "__init__" not in vars(cls) or cls is object:
            continue
        params = inspect.signature(vars(cls)["__init__"]).parameters
        names |= {n for n, p in params.items() if n != "self" and p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)}
        if not any(p.kind == p.VAR_KEYWORD for p in params.values()):
            break
    return names


def signature_defaults(target: Any) -> dict[str, Any]:
    return {n: p.default for n, p in inspect.signature(target).parameters.items() if p.default is not p.empty}


def definition(ref: str) -> dict[str, Any]:
    """The params.schema.yaml definition a ``$ref`` of config.schema.yaml points to."""
    file, _, pointer = ref.partition("#")
    assert file == "params.schema.yaml" and pointer.startswith("/$defs/"), ref
    return DEFS[pointer.removeprefix("/$defs/")]


def allowed(schema: dict[str, Any]) -> set[str]:
    assert schema["additionalProperties"] is False
    return set(schema["properties"])


def env_definitions(chapter: str) -> dict[str, dict[str, Any]]:
    envs = CONFIG_SCHEMA["properties"][chapter]["properties"]["envs"]
    return {name: definition(spec["properties"]["params"]["$ref"]) for name, spec in envs["properties"].items()}


def recommender_grids() -> dict[str, dict[str, Any]]:
    spec = CONFIG_SCHEMA["properties"]["ch2"]["properties"]["recommenders"]
    return {name: definition(ref["$ref"])["properties"]["grid"] for name, ref in spec["properties"].items()}


def enum_of(schema: dict[str, Any]) -> set[Any]:
    if "$ref" in schema and "enum" not in schema:
        schema = DEFS[schema["$ref"].removeprefix("#/$defs/")]
    return set(schema["enum"])


def validate(override: dict[str, Any], preset: str = "smoke") -> None:
    validate_config(resolve_config({"preset": preset, **override}, PRESET_DIR), SCHEMA)


# ---- (a) the schema matches the code ---------------------------------------------------------
ML100K_FROM_MODEL = {"n_users", "n_items", "latent_dim", "offset", "bias_sd", "factor_sd"}


@pytest.mark.parametrize("chapter", ["ch2", "ch3"])
def test_environment_params_are_the_constructor_keywords(chapter):
    from recdyn.envs import ENVIRONMENTS

    definitions = env_definitions(chapter)
    names = CONFIG_SCHEMA["properties"][chapter]["properties"]["envs"]["propertyNames"]["enum"]
    assert set(definitions) == set(names) and set(names) <= set(ENVIRONMENTS)
    if chapter == "ch2":
        assert set(names) == set(ENVIRONMENTS)
    for name, schema in definitions.items():
        expected = keyword_names(ENVIRONMENTS[name])
        if name == "ml-100k":  # the pipeline passes the fitted model; the model fixes the rest
            expected -= {"model"} | ML100K_FROM_MODEL
        assert allowed(schema) == expected, name


def test_ml100k_rejects_what_its_schema_leaves_out():
    from recdyn.envs import ML100KEnv
    from recdyn.envs.latent import LatentEnv

    config = resolve_config({"preset": "smoke"}, PRESET_DIR)
    defaults = signature_defaults(LatentEnv)
    for name in ML100K_FROM_MODEL:
        with pytest.raises(ValueError, match="from the model"):
            ML100KEnv(dummy_ml100k_model(config), **{name: defaults[name]})


def test_environment_enums_are_the_module_constants():
    from recdyn.envs.slate import RATING_SCALES
    from recdyn.envs.topics import AFFINITY_RULES, BOREDOM_RULES, OFFLINE_DYNAMICS
    from recdyn.sim.sampling import SCHEMES

    topics = DEFS["env-topics"]["properties"]
    assert enum_of(topics["boredom_rule"]) == set(BOREDOM_RULES)
    assert enum_of(topics["affinity_rule"]) == set(AFFINITY_RULES)
    assert enum_of(DEFS["offline_dynamics"]) == set(OFFLINE_DYNAMICS)
    assert enum_of(DEFS["sampling"]) == set(SCHEMES)
    assert enum_of(DEFS["env-beta-rank"]["properties"]["rating_scale"]) == set(RATING_SCALES)


def test_recommender_grids_are_the_constructor_keywords():
    from recdyn.recommenders import REGISTRY, recommender_class

    builtin = {name for name, target in REGISTRY.items()
               if isinstance(target, str) and target.startswith("recdyn.recommenders.")}
    spec = CONFIG_SCHEMA["properties"]["ch2"]["properties"]["recommenders"]
    assert set(spec["propertyNames"]["enum"]) == builtin
    grids = recommender_grids()
    assert set(grids) == builtin
    for name, grid in grids.items():
        # seed (and env, for the Oracle) are passed by the pipeline
        assert allowed(grid) == keyword_names(recommender_class(name)) - {"seed", "env"}, name
        for values in grid["properties"].values():
            assert values["$ref"] == "#/$defs/grid_of" and "items" in values  # non-empty list of typed values


def test_recommender_enums_are_the_module_constants():
    from recdyn.recommenders.cfnade import ORIENTATIONS
    from recdyn.recommenders.knn import NEIGHBOR_POOLS, SIMILARITIES
    from recdyn.recommenders.libfm import PREDICTION_MODES
    from recdyn.recommenders.llorma import KERNELS

    def items(name: str, key: str) -> set[Any]:
        return enum_of(DEFS[f"recommender-{name}"]["properties"]["grid"]["properties"][key]["items"])

    assert items("knn", "similarity") == set(SIMILARITIES)
    assert items("knn", "neighbor_pool") == set(NEIGHBOR_POOLS)
    assert items("cfnade", "orientation") == set(ORIENTATIONS)
    assert items("bayes-mf", "prediction") == set(PREDICTION_MODES)
    assert items("llorma", "kernel") == set(KERNELS)


def test_ch3_run_is_run_cafl_keywords():
    from recdyn.cafl.experiment import DEFAULT_POLICY, DEFAULT_WALS, run_cafl
    from recdyn.cafl.policy import POLICIES
    from recdyn.cafl.wals import BACKENDS, fit_wals

    ch3_env = CONFIG_SCHEMA["$defs"]["ch3_env"]
    run = definition(ch3_env["properties"]["run"]["$ref"])
    # env, learner and seed come from the pipeline; scripts/ch3_run.py needs a table, not (table, log)
    assert allowed(run) == keyword_names(run_cafl) - {"env", "learner", "seed", "return_log"}
    defaults = signature_defaults(run_cafl)
    for name, prop in run["properties"].items():
        if "default" in prop:
            assert prop["default"] == defaults[name], name
    assert run["properties"]["policy"]["default"] == DEFAULT_POLICY
    assert enum_of(run["properties"]["policy"]) == set(POLICIES)
    for name, cls in POLICIES.items():
        assert allowed(DEFS[f"policy-{name}"]) == keyword_names(cls), name
    # wals_params: fit_wals arguments that run_cafl does not pass itself, plus warm_start
    wals = allowed(DEFS["wals"])
    passed = {"users", "items", "ratings", "weights", "n_users", "n_items", "seed", "init"}
    assert wals == keyword_names(fit_wals) - passed | {"warm_start"}
    assert set(DEFAULT_WALS) <= wals
    assert enum_of(DEFS["wals"]["properties"]["backend"]) == set(BACKENDS)


def test_table_3_1_params_are_run_table_3_1_keywords():
    from recdyn.cafl.chaney import RATING_SCALES, simulate_chaney
    from recdyn.cafl.corrections import METHODS, PAN_ENCODERS, run_table_3_1

    table = definition(CONFIG_SCHEMA["properties"]["ch3"]["properties"]["table_3_1"]["properties"]["params"]["$ref"])
    # seed, runs and threads come from scripts/ch3_corrections.py
    assert allowed(table) == keyword_names(run_table_3_1) - {"seed", "runs", "threads"}
    # run_table_3_1 passes these to simulate_chaney itself (its own arguments of the same names)
    passed = {"seed", "n_users", "n_items", "steps", "train_steps", "n_test", "top_k", "rating_scale"}
    assert passed <= keyword_names(run_table_3_1)
    simulation = table["properties"]["simulation"]
    simulation = DEFS[simulation["$ref"].removeprefix("#/$defs/")]
    assert allowed(simulation) == keyword_names(simulate_chaney) - passed
    for schema, target in ((table, run_table_3_1), (simulation, simulate_chaney)):
        defaults = signature_defaults(target)
        for name, prop in schema["properties"].items():
            if "default" in prop:
                expected = defaults[name]
                assert prop["default"] == (list(expected) if isinstance(expected, tuple) else expected), name
    assert TABLE_3_1_DEFAULTS == {k: signature_defaults(run_table_3_1)[k] for k in TABLE_3_1_DEFAULTS}
    props = table["properties"]
    assert enum_of(props["methods"]["items"]) == set(METHODS)
    assert enum_of(props["pan_encoder"]) == set(PAN_ENCODERS)
    assert enum_of(props["rating_scale"]) == set(RATING_SCALES)


def test_synthetic_sizes_are_the_writer_keywords():
    from recdyn.data.acquire import SYNTHETIC_WRITERS
    from recdyn.data.synthetic.ml100k import write_ml100k

    data = CONFIG_SCHEMA["properties"]["data"]["properties"]
    for dataset, writers in (("ml100k", ["ml100k"]), ("lastfm", ["lastfm", "lastfm_raw"]),
                             ("amazoncat", ["amazoncat"])):
        schema = definition(data[dataset]["properties"]["synthetic"]["$ref"])
        for writer in writers:
            assert allowed(schema) == keyword_names(SYNTHETIC_WRITERS[writer]) - {"out_dir"}, writer
    defaults = signature_defaults(write_ml100k)
    assert ML100K_SIZES == (defaults["n_users"], defaults["n_items"])


# ---- (b) the presets are valid ---------------------------------------------------------------
@pytest.mark.parametrize("preset", PRESETS)
def test_presets_validate(preset):
    validate({}, preset)


def test_paper_validation_does_not_import_torch():
    """Every cluster job re-parses the Snakefile: validation must stay light (no torch)."""
    code = ("import sys; from pathlib import Path; "
            "from recdyn.config import resolve_config, validate_config; "
            f"c = resolve_config({{'preset': 'paper'}}, Path({str(PRESET_DIR)!r})); "
            f"validate_config(c, Path({str(SCHEMA)!r})); "
            "print('torch' in sys.modules)")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "False"


# ---- (c) bad values are rejected, naming the key ---------------------------------------------
BAD = [
    ({"ch2": {"envs": {"topics-static": {"params": {"n_users": -300}}}}},
     "config key 'ch2.envs.topics-static.params.n_users': -300 is less than the minimum of 1"),
    ({"ch2": {"envs": {"latent-static": {"params": {"n_user": 943}}}}},
     "config key 'ch2.envs.latent-static.params': Additional properties are not allowed ('n_user' was unexpected)"),
    ({"ch2": {"envs": {"topics-dynamic": {"params": {"boredom_rule": "more"}}}}},
     "config key 'ch2.envs.topics-dynamic.params.boredom_rule'"),
    ({"ch2": {"envs": {"beta-rank": {"params": {"known_mean": 1.0}}}}},
     "config key 'ch2.envs.beta-rank.params.known_mean'"),
    ({"ch2": {"envs": {"ml-100k": {"params": {"latent_dim": 10}}}}},
     "config key 'ch2.envs.ml-100k.params': Additional properties are not allowed ('latent_dim' was unexpected)"),
    ({"ch2": {"recommenders": {"sgd-mf": {"grid": {"learning_rate": [0.01]}}}}},
     "config key 'ch2.recommenders.sgd-mf.grid': Additional properties are not allowed "
     "('learning_rate' was unexpected)"),
    ({"ch2": {"recommenders": {"autorec": {"grid": {"lr": [1.0e-3, -1.0e-3]}}}}},
     "config key 'ch2.recommenders.autorec.grid.lr.1': -0.001 is less than or equal to the minimum of 0"),
    ({"ch2": {"recommenders": {"ease": {"grid": {"lam": []}}}}}, "config key 'ch2.recommenders.ease.grid.lam'"),
    ({"ch2": {"recommenders": {"user_knn": {"grid": {"seed": [1]}}}}},
     "config key 'ch2.recommenders.user_knn.grid': Additional properties are not allowed ('seed' was unexpected)"),
    ({"ch2": {"recommenders": {"oracle": {"grid": {"env": ["topics-static"]}}}}},
     "config key 'ch2.recommenders.oracle.grid': Additional properties are not allowed ('env' was unexpected)"),
    ({"ch2": {"recommenders": {"sgd_mf": {"grid": {}}}}},
     "config key 'ch2.recommenders': 'sgd_mf' is not one of ['random', 'oracle', 'toppop', 'user_knn', 'item_knn', "
     "'ease', 'sgd-mf', 'bayes-mf', 'llorma', 'autorec', 'cfnade']"),
    ({"ch3": {"envs": {"beta-rank": {"run": {"step": 3}}}}},
     "config key 'ch3.envs.beta-rank.run': Additional properties are not allowed ('step' was unexpected)"),
    ({"ch3": {"envs": {"beta-rank": {"run": {"policy": "softmax", "policy_params": {"eps": 0.1}}}}}},
     "config key 'ch3.envs.beta-rank.run.policy_params': Additional properties are not allowed ('eps' was unexpected)"),
    ({"ch3": {"envs": {"ml-100k": {"run": {"wals_params": {"n_iter": 3}}}}}},
     "config key 'ch3.envs.ml-100k.run.wals_params': Additional properties are not allowed ('n_iter' was unexpected)"),
    ({"ch3": {"table_3_1": {"params": {"n_user": 300}}}},
     "config key 'ch3.table_3_1.params': Additional properties are not allowed ('n_user' was unexpected)"),
    ({"ch3": {"table_3_1": {"params": {"simulation": {"n_topic": 5}}}}},
     "config key 'ch3.table_3_1.params.simulation': Additional properties are not allowed ('n_topic' was unexpected)"),
    ({"data": {"ml100k": {"synthetic": {"n_user": 943}}}},
     "config key 'data.ml100k.synthetic': Additional properties are not allowed ('n_user' was unexpected)"),
    # cross-field constraints, checked by constructing the environments
    ({"ch2": {"envs": {"topics-static": {"params": {"online_users": 300}}}}},
     "config key 'ch2.envs.topics-static.params': online_users=300 must be in [1, n_users=200]"),
    ({"ch2": {"envs": {"latent-score": {"params": {"slate_size": 171}}}}},
     "config key 'ch2.envs.latent-score.params': slate_size=171 must be in [1, n_items=170]"),
    ({"ch2": {"envs": {"topics-static": {"params": {"initial_ratings": 68001}}}}},
     "config key 'ch2.envs.topics-static.params': initial_ratings=68001 must be in [0, n_users*n_items=68000]"),
    ({"data": {"ml100k": {"source": "synthetic", "synthetic": {"n_users": 100}}}},
     "config key 'ch2.envs.ml-100k.params': online_users=188 must be in [1, n_users=100]"),
    ({"ch2": {"retrain_every": {"default": 50, "sgd_mf": 1}}},
     "config key 'ch2.retrain_every': 'sgd_mf' is neither 'default' nor a recommender"),
    ({"ch3": {"envs": {"beta-rank": {"params": {"online_users": 3}}}}},
     "config key 'ch3.envs.beta-rank.run': ratings_per_step=500 must be a multiple of the environment's "
     "online_users=3"),
    ({"ch3": {"envs": {"beta-rank": {"params": {"n_users": 10, "n_items": 10}}}}},
     "config key 'ch3.envs.beta-rank.run': test_size=5000 exceeds the 100 pairs"),
    ({"ch3": {"envs": {"ml-100k": {"run": {"rank_clip": [1, 0]}}}}},
     "config key 'ch3.envs.ml-100k.run.rank_clip': rank_clip must be (low, high) with low < high"),
    ({"ch3": {"table_3_1": {"params": {"train_steps": 31}}}},
     "config key 'ch3.table_3_1.params': train_steps=31 must be in [1, steps=30]"),
    ({"ch3": {"table_3_1": {"params": {"n_items": 40}}}},
     "config key 'ch3.table_3_1.params': steps + n_test = 50 exceeds n_items=40"),
]


@pytest.mark.parametrize("override, message", BAD, ids=[m.split("'")[1] for _, m in BAD])
def test_bad_values_are_rejected_with_the_key(override, message):
    with pytest.raises(ConfigError) as error:
        validate(override)
    assert message in str(error.value)


def test_every_bad_key_is_listed_one_per_line():
    with pytest.raises(ConfigError) as error:
        validate({"ch2": {"envs": {"topics-static": {"params": {"n_users": 0, "noise": -1}}},
                          "recommenders": {"ease": {"grid": {"lam": [0]}}}}})
    lines = str(error.value).splitlines()[1:]
    assert len(lines) == 3 and all(line.startswith("  - config key '") for line in lines)


# ---- (d) snakemake -n stops before any job ---------------------------------------------------
def test_dry_run_stops_on_bad_params(tmp_path):
    # --configfile keeps nested numbers numbers (--config would pass them as strings)
    overlay = tmp_path / "bad.yaml"
    overlay.write_text(yaml.safe_dump({"preset": "smoke", "ch2": {"envs": {"topics-static": {"params": {
        "n_users": -300}}}}}))
    result = run_snakemake("-n", "figures", "--configfile", str(overlay), workdir=tmp_path / "work", timeout=300)
    assert result.returncode != 0
    assert "config key 'ch2.envs.topics-static.params.n_users': -300 is less than the minimum of 1" in result.stderr
    assert "Job stats" not in result.stdout + result.stderr


def test_dry_run_stops_on_cross_field_error(tmp_path):
    overlay = tmp_path / "bad.yaml"
    overlay.write_text(yaml.safe_dump({"preset": "smoke", "ch2": {"envs": {"topics-static": {"params": {
        "online_users": 300}}}}}))
    result = run_snakemake("-n", "figures", "--configfile", str(overlay), workdir=tmp_path / "work", timeout=300)
    assert result.returncode != 0
    assert "config key 'ch2.envs.topics-static.params': online_users=300 must be in [1, n_users=200]" in result.stderr
