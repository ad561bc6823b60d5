"""Rule tab_timing: where the time of the run went, per rule, from the jobs' benchmark files."""

from recdyn.logs import setup_logging
from recdyn.provenance import build_provenance
from recdyn.tables import save_table
from recdyn.timing import BENCHMARK_DIR, read_benchmarks, timing_table

setup_logging(snakemake.log[0])
table = timing_table(read_benchmarks(BENCHMARK_DIR))
save_table(table, snakemake.output.csv, snakemake.output.md,
           "Where the time goes: wall and CPU seconds per rule (Snakemake benchmark files)",
           build_provenance(snakemake.config, {}, []), snakemake.output.provenance,
           notes=["Sums over the jobs whose outputs the figures use, each measured when it last ran "
                  "(results/benchmarks/<rule>/); `share` is of all jobs' wall seconds. Jobs run in "
                  "parallel, so the total exceeds the run's wall time."])
