#!/usr/bin/env bash
# Run by Snakemake after it creates the conda env envs/recdyn.yaml (with the env active):
# Snakemake unsets PYTHONPATH inside conda envs, so the library and libFM bindings are installed here.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
bash "$root/scripts/install/build_wpyfm.sh" "$(command -v python)"
python -m pip install --no-deps --no-build-isolation -e "$root"
