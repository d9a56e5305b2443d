"""Progress of a job: a bar on a terminal, a line every log_every seconds otherwise, quiet with -q."""

from __future__ import annotations

import io

from s2s.runtime.batch import progress as progress_module
from s2s.runtime.batch.progress import Progress


class _Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_off_a_terminal_a_line_every_interval_with_percent_and_time_left(monkeypatch):
    clock = _Clock()
    monkeypatch.setattr(progress_module.time, "monotonic", clock)
    stream = io.StringIO()
    job = Progress(total_bytes=1000, stream=stream, log_every=10.0)
    for second, (lines, read) in enumerate([(10, 100), (20, 200), (30, 300), (40, 400)]):
        clock.now = 1000.0 + 6 * (second + 1)
        job.update(lines, read)
    job.done("translated 40 sentences")
    written = stream.getvalue().splitlines()
    assert written[-1] == "translated 40 sentences"
    assert len(written) == 2 and "30 lines" in written[0] and "30.0%" in written[0] and "left" in written[0]


def test_quiet_writes_nothing():
    stream = io.StringIO()
    job = Progress(total_bytes=None, quiet=True, stream=stream)
    job.update(5, 50)
    job.done("done")
    assert stream.getvalue() == ""


def test_a_resumed_job_reports_the_rate_of_this_run_only(monkeypatch):
    clock = _Clock()
    monkeypatch.setattr(progress_module.time, "monotonic", clock)
    job = Progress(total_bytes=None, stream=io.StringIO(), start_lines=1000, start_bytes=5000)
    clock.now += 10
    assert "1,100 lines, 10 sentences/s" in job._status(1100, 5500)
