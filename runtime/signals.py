"""The one way long work (training, batch jobs) meets Ctrl-C and SIGTERM: the first asks it to
stop at its next safe point (after the batch or chunk in hand, which is then saved), a second
one ends the process at once, whatever it is doing."""

from __future__ import annotations

import logging
import os
import signal
import threading

log = logging.getLogger("s2s")


class StopOnSignal:
    """While active, SIGINT and SIGTERM set `signum` instead of ending the process; the work polls
    `requested` at its safe points. The first signal also gives both signals back to the system's
    default action, so a second one (Ctrl-C again, `timeout`'s or a supervisor's TERM) ends the
    process at once, even inside a long call into native code, where a Python handler would wait
    for the call to return. What was saved stays whole: every output is written atomically, and
    a run resumes from its last save as after kill -9. Handlers can only be installed in the main
    thread; elsewhere this changes nothing but `request` still works (another process's
    interruption can count as this one's)."""

    def __init__(self, notice: str | None = None) -> None:
        self.notice = notice  # logged once, when the first signal arrives
        self.signum: int | None = None
        self._previous: dict[int, object] = {}

    @property
    def requested(self) -> bool:
        return self.signum is not None

    def request(self, signum: int = signal.SIGINT) -> None:
        if self.signum is None:
            self.signum = signum

    def __enter__(self) -> StopOnSignal:
        if threading.current_thread() is threading.main_thread():
            for signum in (signal.SIGINT, signal.SIGTERM):
                self._previous[signum] = signal.signal(signum, self._handle)
        return self

    def _handle(self, signum: int, frame) -> None:
        if self.signum is not None:  # a signal that raced the reset below
            signal.signal(signum, signal.SIG_DFL)
            os.kill(os.getpid(), signum)
            return
        self.signum = signum
        for each in (signal.SIGINT, signal.SIGTERM):
            signal.signal(each, signal.SIG_DFL)
        if self.notice:
            log.warning("%s", self.notice)

    def __exit__(self, *exc) -> None:
        for signum, handler in self._previous.items():
            signal.signal(signum, handler)
        self._previous.clear()
