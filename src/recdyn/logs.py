"""Logging and thread limits for scripts run by Snakemake rules (progress lines go to the rule's log and stderr)."""

from __future__ import annotations

import logging
import sys
from pathlib import Path


def setup_logging(log_file: str | Path | None = None, level: int = logging.INFO) -> None:
    """Send INFO lines with timestamps to ``log_file`` (if given) and to stderr.

    An exception that ends the script is written to the log file too, with its traceback (the
    job's log is where Snakemake tells the user to look), before Python prints it to stderr.
    """
    handlers: list[logging.Handler] = [logging.StreamHandler(sys.stderr)]
    file_handler = None
    if log_file is not None:
        Path(log_file).parent.mkdir(parents=True, exist_ok=True)
        file_handler = logging.FileHandler(log_file, mode="w", encoding="utf-8")
        handlers.append(file_handler)
    logging.basicConfig(level=level, format="%(asctime)s %(name)s %(levelname)s: %(message)s",
                        handlers=handlers, force=True)
    if file_handler is not None:
        sys.excepthook = _log_then_raise(file_handler)


def _log_then_raise(handler: logging.Handler):
    """An excepthook writing the uncaught exception with its traceback to ``handler``'s file,
    then running Python's default hook (stderr)."""
    def hook(kind, error, traceback) -> None:
        if not issubclass(kind, KeyboardInterrupt):
            record = logging.LogRecord("recdyn", logging.ERROR, "", 0, "the job failed:", None,
                                       (kind, error, traceback))
            handler.handle(record)
            handler.flush()
        sys.__excepthook__(kind, error, traceback)
    return hook


def limit_threads(threads: int) -> None:
    """Keep torch and the BLAS/OpenMP pools of numpy and scipy within the job's ``threads``.

    Both otherwise start one thread per core of the node; on a shared or loaded machine numpy's
    batched small matrix products then run many times slower (measured about 75x for the chapter 4
    bandit learners). Environment variables come too late once numpy is imported, so the native
    pools are limited through ``threadpoolctl``. torch is not imported here (about 2 s of start-up
    that most jobs never need): if a job has imported it already its pool is set now, otherwise
    ``OMP_NUM_THREADS``, which torch reads when it is imported, makes its default the same.
    """
    import os
    import sys

    import threadpoolctl

    threads = max(1, int(threads))
    threadpoolctl.threadpool_limits(limits=threads)
    os.environ["OMP_NUM_THREADS"] = str(threads)
    torch = sys.modules.get("torch")
    if torch is not None:
        torch.set_num_threads(threads)
