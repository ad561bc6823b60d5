"""Write envs/recdyn.yaml (for `snakemake --sdm conda` users) from requirements.lock, so the pins agree.

Usage: python scripts/install/sync_conda_envs.py [--check]   (--check: exit 1 if the file is stale)
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
LOCK = ROOT / "requirements.lock"
ENV_FILE = ROOT / "envs" / "recdyn.yaml"


def lock_pins(lock: Path = LOCK) -> list[str]:
    """The `name==version` lines of the lock file, in order."""
    return [line.strip() for line in lock.read_text().splitlines() if line.strip() and not line.startswith("#")]


def render_env(pins: list[str]) -> str:
    """The conda environment: Python 3.11 from conda-forge, every pin of the lock through pip."""
    lines = [
        "# Generated from requirements.lock by scripts/install/sync_conda_envs.py: do not edit by hand.",
        "# envs/recdyn.post-deploy.sh builds the libFM bindings (wpyfm) and installs recdyn itself.",
        "name: recdyn",
        "channels:",
        "  - conda-forge",
        "dependencies:",
        "  - python=3.11",
        "  - pip",
        "  - pip:",
        "      - --extra-index-url https://download.pytorch.org/whl/cpu",
        *[f"      - {pin}" for pin in pins],
    ]
    return "\n".join(lines) + "\n"


def main() -> int:
    expected = render_env(lock_pins())
    if "--check" in sys.argv:
        if not ENV_FILE.exists() or ENV_FILE.read_text() != expected:
            print(f"{ENV_FILE} is out of date with {LOCK}: run `make lock`", file=sys.stderr)
            return 1
        return 0
    ENV_FILE.write_text(expected)
    return 0


if __name__ == "__main__":
    sys.exit(main())
