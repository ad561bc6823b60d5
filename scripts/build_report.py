"""Rule report: `snakemake figures --report report.html` with this run's merged configuration."""

import subprocess
import sys
import tempfile
from pathlib import Path

import yaml

from recdyn.logs import setup_logging

setup_logging(snakemake.log[0])
with tempfile.NamedTemporaryFile("w", suffix=".yaml", delete=False, dir=".") as handle:
    yaml.safe_dump(dict(snakemake.config), handle)
    config_file = handle.name
try:
    snakefile = Path(snakemake.scriptdir).parent / "Snakefile"
    command = [sys.executable, "-m", "snakemake", "-s", str(snakefile), "figures", "--report", snakemake.output[0],
               "--configfile", config_file, "--nolock", "--quiet"]
    with open(snakemake.log[0], "a", encoding="utf-8") as log:
        subprocess.run(command, check=True, stdout=log, stderr=subprocess.STDOUT)
finally:
    Path(config_file).unlink(missing_ok=True)
