"""Rule ch3_corrections: a chunk of Table 3.1's runs (each run: one simulation, five weightings); the
wall times go to the rule's .timing. file."""

from recdyn.cafl.corrections import run_table_3_1
from recdyn.logs import limit_threads, setup_logging
from recdyn.timing import write_with_timings

setup_logging(snakemake.log[0])
limit_threads(snakemake.threads)
spec = snakemake.params.table
chunk = int(snakemake.wildcards.chunk)
table = run_table_3_1(seed=spec["seed"] + chunk, runs=spec["runs_per_job"], threads=snakemake.threads,
                      **spec["params"])
table = table.assign(run=table["run"] + chunk * spec["runs_per_job"], chunk=chunk)
write_with_timings(table, snakemake.output.runs, snakemake.output.timing, keys=["chunk", "run", "method"])
