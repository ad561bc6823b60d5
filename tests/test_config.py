"""Presets merge and validate; a wrong key or type is reported by name."""

from pathlib import Path

import pytest

from recdyn.config import PRESETS, ConfigError, config_hash, deep_merge, resolve_config, validate_config

ROOT = Path(__file__).resolve().parents[1]
PRESET_DIR = ROOT / "config" / "presets"
SCHEMA = ROOT / "workflow" / "schemas" / "config.schema.yaml"


@pytest.mark.parametrize("preset", PRESETS)
def test_every_preset_is_valid(preset):
    validate_config(resolve_config({"preset": preset}, PRESET_DIR), SCHEMA)


def test_overrides_merge_deeply():
    merged = resolve_config({"preset": "smoke", "data": {"ml100k": {"source": "synthetic"}}}, PRESET_DIR)
    assert merged["data"]["ml100k"]["source"] == "synthetic"
    assert merged["data"]["ml100k"]["synthetic"]["n_users"] == 943  # sibling keys kept
    assert merged["data"]["lastfm"]["variant"] == "shakespeare"


def test_deep_merge_does_not_mutate():
    base = {"a": {"b": 1, "c": 2}}
    merged = deep_merge(base, {"a": {"b": 3}})
    assert merged == {"a": {"b": 3, "c": 2}} and base == {"a": {"b": 1, "c": 2}}


@pytest.mark.parametrize(
    "override, named",
    [
        ({"data": {"ml100k": {"sorce": "real"}}}, "data.ml100k"),
        ({"data": {"ml100k": {"source": "rael"}}}, "data.ml100k.source"),
        ({"fit": {"ml100k": {"folds": "five"}}}, "fit.ml100k.folds"),
        ({"fit": {"ml100k": {"methods": {"sgd": {"lr": 0.01}}}}}, "fit.ml100k.methods.sgd.lr"),
        ({"unknown_key": 1}, "unknown_key"),
    ],
)
def test_schema_errors_name_the_key(override, named):
    config = resolve_config({"preset": "smoke", **override}, PRESET_DIR)
    with pytest.raises(ConfigError) as error:
        validate_config(config, SCHEMA)
    assert named.split(".")[-1] in str(error.value)
    assert "config key" in str(error.value)


def test_unknown_preset_is_rejected():
    with pytest.raises(ConfigError, match="preset"):
        resolve_config({"preset": "fast"}, PRESET_DIR)


def test_config_hash_tracks_content():
    smoke = resolve_config({"preset": "smoke"}, PRESET_DIR)
    assert config_hash(smoke) == config_hash(resolve_config({"preset": "smoke"}, PRESET_DIR))
    assert config_hash(smoke) != config_hash(deep_merge(smoke, {"fit": {"ml100k": {"seed": 1}}}))
