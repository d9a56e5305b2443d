"""A stop that stops: the first Ctrl-C or TERM asks long work to stop at its next safe point; a
second one ends the process at once, whatever it is doing (a long native call included)."""

from __future__ import annotations

import signal
import subprocess
import sys
import time

import pytest

WORKER = """
import sys, time
from s2s.runtime.signals import StopOnSignal
with StopOnSignal() as stop:
    print("ready", flush=True)
    time.sleep(120)  # a step that does not poll: it only ends by itself
    print("finished", stop.signum, flush=True)
"""


@pytest.mark.parametrize("first, second", [(signal.SIGTERM, signal.SIGTERM), (signal.SIGINT, signal.SIGINT),
                                           (signal.SIGTERM, signal.SIGINT)])
def test_a_second_signal_ends_the_process_at_once(first, second):
    worker = subprocess.Popen([sys.executable, "-c", WORKER], stdout=subprocess.PIPE, text=True)
    try:
        assert worker.stdout.readline().strip() == "ready"
        worker.send_signal(first)
        time.sleep(0.5)
        assert worker.poll() is None  # the first only asks
        worker.send_signal(second)
        worker.wait(timeout=10)  # a second TERM was ignored until the step ended
        assert worker.returncode == -second
    finally:
        worker.kill()
        worker.wait()


def test_the_first_signal_is_recorded_for_the_work_to_see():
    from s2s.runtime.signals import StopOnSignal

    previous = signal.getsignal(signal.SIGTERM)
    with StopOnSignal() as stop:
        signal.raise_signal(signal.SIGTERM)
        assert stop.requested and stop.signum == signal.SIGTERM
    assert signal.getsignal(signal.SIGTERM) == previous  # the caller's handler is back
