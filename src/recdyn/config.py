"""Configuration: presets, user overrides, JSON-schema validation, config hash.

The merged configuration is ``presets/<preset>.yaml`` deep-merged with the user's
overrides (``config/config.yaml`` and ``snakemake --config ...``). Every size, grid and
seed lives in the presets (DESIGN.md section 2), never in code.
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

PRESETS = ("smoke", "default", "paper")


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
        data = yaml.safe_load(handle) or {}
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


def validate_config(config: Mapping[str, Any], schema_path: Path) -> None:
    """Validate against the JSON schema; raise :class:`ConfigError` naming every bad key."""
    schema = load_yaml(Path(schema_path))
    validator = jsonschema.Draft202012Validator(schema)
    errors = sorted(validator.iter_errors(config), key=lambda e: list(map(str, e.absolute_path)))
    if errors:
        lines = [f"  - config key '{_error_path(e)}': {e.message}" for e in errors]
        raise ConfigError("invalid configuration:\n" + "\n".join(lines))


def config_hash(config: Mapping[str, Any]) -> str:
    """SHA-256 (first 16 hex digits) of the canonical JSON of the merged config."""
    canonical = json.dumps(config, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()[:16]
