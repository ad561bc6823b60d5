"""Progress lines for long jobs (issue 21, item 6): ``step i of N, elapsed, about T left``.

A job that runs longer than about a minute logs through :class:`Progress` into its own log file
(``logs/...``; ``tail -f`` it to watch), at most every ``every`` seconds and once at the end, so a
log never floods. The estimate of the time left assumes the remaining steps cost what the done
ones cost on average.
"""

from __future__ import annotations

import logging
import time

log = logging.getLogger("recdyn.progress")


def duration(seconds: float) -> str:
    """``'1h02m'``, ``'3m05s'`` or ``'12s'``."""
    seconds = max(0, int(round(seconds)))
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours}h{minutes:02d}m"
    if minutes:
        return f"{minutes}m{secs:02d}s"
    return f"{secs}s"


class Progress:
    """Counts steps of a loop of ``total`` steps and logs ``label: step i of N`` lines.

    ``every``: least seconds between two lines (the last step always logs). ``clock``: a
    ``time.monotonic``-like function (tests pass a fake one)."""

    def __init__(self, total: int, label: str, every: float = 30.0, clock=time.monotonic) -> None:
        self.total, self.label, self.every, self.clock = max(int(total), 1), label, float(every), clock
        self.started = self.last = clock()
        self.done = 0

    def line(self, extra: str = "") -> str:
        """The progress line for the steps done so far."""
        elapsed = self.clock() - self.started
        left = elapsed / self.done * (self.total - self.done) if self.done else float("nan")
        estimate = f", about {duration(left)} left" if self.done and self.done < self.total else ""
        return (f"{self.label}: step {self.done} of {self.total}, elapsed {duration(elapsed)}{estimate}"
                + (f" ({extra})" if extra else ""))

    def step(self, count: int = 1, extra: str = "") -> None:
        """Mark ``count`` more steps done; log a line if ``every`` seconds passed or all are done."""
        self.done += int(count)
        now = self.clock()
        if now - self.last >= self.every or self.done >= self.total:
            self.last = now
            log.info(self.line(extra))
