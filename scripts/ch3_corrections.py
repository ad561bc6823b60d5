"""Rule ch3_corrections: a chunk of Table 3.1's runs (each run: one simulation, five weightings)."""

from recdyn.cafl.corrections import run_table_3_1
from recdyn.io import atomic_path
from recdyn.logs import limit_threads, setup_logging

setup_logging(snakemake.log[0])
limit_threads(snakemake.threads)
spec = snakemake.params.table
chunk = int(snakemake.wildcards.chunk)
table = run_table_3_1(seed=spec["seed"] + chunk, runs=spec["runs_per_job"], threads=snakemake.threads,
                      **spec["params"])
table = table.assign(run=table["run"] + chunk * spec["runs_per_job"], chunk=chunk)
with atomic_path(snakemake.output[0]) as tmp:
    table.to_parquet(tmp, index=False)
