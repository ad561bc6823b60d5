"""Logging and thread limits for scripts run by Snakemake rules (progress lines go to the rule's log and stderr)."""

from __future__ import annotations

import logging
import sys
from pathlib import Path


def setup_logging(log_file: str | Path | None = None, level: int = logging.INFO) -> None:
    """Send INFO lines with timestamps to ``log_file`` (if given) and to stderr."""
    handlers: list[logging.Handler] = [logging.StreamHandler(sys.stderr)]
    if log_file is not None:
        Path(log_file).parent.mkdir(parents=True, exist_ok=True)
        handlers.append(logging.FileHandler(log_file, mode="w", encoding="utf-8"))
    logging.basicConfig(level=level, format="%(asctime)s %(name)s %(levelname)s: %(message)s",
                        handlers=handlers, force=True)


def limit_threads(threads: int) -> None:
    """Keep torch within the job's ``threads`` (torch otherwise uses every core of the node)."""
    try:
        import torch
    except ImportError:  # pragma: no cover - torch is in the lock file
        return
    torch.set_num_threads(max(1, int(threads)))
