"""recdyn: regenerate the figures and tables of *The Dynamics of Recommender Systems*.

Targets: figures (everything), ch2 .. ch5, claims, report, one rule per figure/table.
Presets: --config preset=smoke|default|paper (config/presets/*.yaml).
"""

import os
from pathlib import Path

from recdyn.config import ConfigError, resolve_config, validate_config


configfile: os.path.join(workflow.basedir, "config", "config.yaml")


report: "workflow/report/workflow.rst"


try:
    _merged = resolve_config(config, Path(workflow.basedir) / "config" / "presets")
    validate_config(_merged, Path(workflow.basedir) / "workflow" / "schemas" / "config.schema.yaml")
except ConfigError as error:
    raise SystemExit(f"recdyn: {error}") from None
config.clear()
config.update(_merged)


include: "workflow/rules/common.smk"


wildcard_constraints:
    dataset="|".join(DATASETS),


include: "workflow/rules/data.smk"
include: "workflow/rules/fit.smk"
include: "workflow/rules/ch2.smk"
include: "workflow/rules/ch3.smk"
include: "workflow/rules/ch4_twostage.smk"
include: "workflow/rules/ch4_moe.smk"
include: "workflow/rules/ch5_audit.smk"
include: "workflow/rules/ch5_theory.smk"
include: "workflow/rules/report.smk"


onstart:
    announce_data_sources()


onsuccess:
    print_run_summary()


onerror:
    print_run_summary(failed=True)
