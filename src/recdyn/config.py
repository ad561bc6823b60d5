"""Configuration: presets, user overrides, JSON-schema validation, config hash.

The merged configuration is ``presets/<preset>.yaml`` deep-merged with the user's
overrides (``config/config.yaml`` and ``snakemake --config ...``). Every size, grid and
seed lives in the presets (DESIGN.md section 2), never in code.

Validation (:func:`validate_config`) runs when the Snakefile is parsed, so it stays light (no
torch): the JSON schema (``config.schema.yaml`` with the keyword arguments of the parameter
dicts in ``params.schema.yaml`` beside it), then the cross-field checks of
:mod:`recdyn.config_params`.
"""

from __future__ import annotations

import copy
import hashlib
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import jsonschema
import yaml
from referencing import Registry
from referencing.jsonschema import DRAFT202012

PRESETS = ("smoke", "default", "paper")
#: Schema files beside ``config.schema.yaml`` that it references by file name.
SCHEMA_PARTS = ("params.schema.yaml",)
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml: 5x faster on the schema


class ConfigError(ValueError):
    """A configuration value is missing, unknown or of the wrong type."""


def deep_merge(base: Mapping[str, Any], override: Mapping[str, Any]) -> dict[str, Any]:
    """Return ``base`` updated recursively by ``override`` (neither is modified)."""
    merged = copy.deepcopy(dict(base))
    for key, value in override.items():
        if isinstance(value, Mapping) and isinstance(merged.get(key), Mapping):
            merged[key] = deep_merge(merged[key], value)
        else:
            merged[key] = copy.deepcopy(value)
    return merged


def load_yaml(path: Path) -> dict[str, Any]:
    """Read a YAML mapping; an empty file is an empty mapping."""
    with open(path, encoding="utf-8") as handle:
        data = yaml.load(handle, Loader=_LOADER) or {}
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: expected a mapping at the top level, got {type(data).__name__}")
    return data


def resolve_config(user_config: Mapping[str, Any], preset_dir: Path) -> dict[str, Any]:
    """Merge the preset named by ``user_config['preset']`` with the user's overrides."""
    preset = user_config.get("preset", "default")
    if preset not in PRESETS:
        raise ConfigError(f"config key 'preset': expected one of {list(PRESETS)}, got {preset!r}")
    preset_path = Path(preset_dir) / f"{preset}.yaml"
    if not preset_path.exists():
        raise ConfigError(f"preset file {preset_path} is missing")
    return deep_merge(load_yaml(preset_path), user_config)


def _error_path(error: jsonschema.ValidationError) -> str:
    return ".".join(str(part) for part in error.absolute_path) or "<top level>"


def config_validator(schema_path: Path) -> jsonschema.Draft202012Validator:
    """Validator of ``schema_path``, with the :data:`SCHEMA_PARTS` beside it registered under
    their file names (so ``$ref: params.schema.yaml#/$defs/...`` resolves)."""
    schema_path = Path(schema_path)
    parts = [schema_path.with_name(name) for name in SCHEMA_PARTS]
    registry = Registry().with_resources(
        (part.name, DRAFT202012.create_resource(load_yaml(part))) for part in parts)
    return jsonschema.Draft202012Validator(load_yaml(schema_path), registry=registry)


def _raise(lines: list[str]) -> None:
    if lines:
        raise ConfigError("invalid configuration:\n" + "\n".join(lines))


def validate_config(config: Mapping[str, Any], schema_path: Path) -> None:
    """Validate against the JSON schema, then the constraints between fields
    (:func:`recdyn.config_params.check_config`); raise :class:`ConfigError` naming every bad key."""
    validator = config_validator(schema_path)
    errors = sorted(validator.iter_errors(config), key=lambda e: list(map(str, e.absolute_path)))
    _raise([f"  - config key '{_error_path(e)}': {e.message}" for e in errors])
    from recdyn.config_params import check_config  # imports numpy and the environments

    _raise([f"  - config key '{key}': {message}" for key, message in check_config(config)])


def config_hash(config: Mapping[str, Any]) -> str:
    """SHA-256 (first 16 hex digits) of the canonical JSON of the merged config."""
    canonical = json.dumps(config, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()[:16]
