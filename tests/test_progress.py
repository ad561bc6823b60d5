"""Progress lines of long jobs: step i of N, elapsed, time left; never more often than asked."""

import logging

from recdyn.progress import Progress, duration


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_lines_are_rate_limited_and_estimate_the_time_left(caplog):
    clock = Clock()
    progress = Progress(10, "online trial seed 3", every=30.0, clock=clock)
    with caplog.at_level(logging.INFO, logger="recdyn.progress"):
        for _ in range(9):
            clock.now += 12.0
            progress.step()
        clock.now += 12.0
        progress.step(extra="done")
    lines = [record.getMessage() for record in caplog.records]
    assert lines[0] == "online trial seed 3: step 3 of 10, elapsed 36s, about 1m24s left"
    assert len(lines) == 4  # at 36 s, 72 s, 108 s, and the last step
    assert lines[-1] == "online trial seed 3: step 10 of 10, elapsed 2m00s (done)"


def test_duration_formats():
    assert (duration(5), duration(65), duration(3725)) == ("5s", "1m05s", "1h02m")
