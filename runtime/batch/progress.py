"""Progress of a long translation job: a bar on a terminal, a log line every ~10 s otherwise."""

from __future__ import annotations

import sys
import time
from typing import TextIO


def _duration(seconds: float) -> str:
    seconds = int(seconds)
    hours, rest = divmod(seconds, 3600)
    return f"{hours}:{rest // 60:02d}:{rest % 60:02d}" if hours else f"{rest // 60}:{rest % 60:02d}"


class Progress:
    """Reports lines done, sentences/s and, when the input size is known, percent and time left
    (from bytes read: no pass over the input to count its lines)."""

    def __init__(self, total_bytes: int | None, quiet: bool = False, stream: TextIO | None = None,
                 log_every: float = 10.0, start_lines: int = 0, start_bytes: int = 0) -> None:
        self.stream = stream or sys.stderr
        self.total_bytes = total_bytes
        self.enabled = not quiet
        self.terminal = self.enabled and self.stream.isatty()
        self.log_every = log_every
        self.started = time.monotonic()
        self._last = 0.0
        self._start_lines, self._start_bytes = start_lines, start_bytes
        self.lines = start_lines

    def _status(self, lines: int, bytes_read: int) -> str:
        elapsed = max(time.monotonic() - self.started, 1e-9)
        rate = (lines - self._start_lines) / elapsed
        text = f"{lines:,} lines, {rate:,.0f} sentences/s"
        if self.total_bytes:
            done = min(bytes_read / self.total_bytes, 1.0)
            byte_rate = (bytes_read - self._start_bytes) / elapsed
            left = (self.total_bytes - bytes_read) / byte_rate if byte_rate > 0 else 0.0
            text = f"{100 * done:5.1f}%  {text}, {_duration(left)} left"
        return text

    def update(self, lines: int, bytes_read: int) -> None:
        self.lines = lines
        if not self.enabled:
            return
        now = time.monotonic()
        if self.terminal:
            if now - self._last >= 0.2:
                self.stream.write("\r\x1b[K" + self._status(lines, bytes_read))
                self.stream.flush()
                self._last = now
        elif now - self._last >= self.log_every:
            if self._last:  # the first interval starts now, not at 0
                self.stream.write(f"s2s-translate: {self._status(lines, bytes_read)}\n")
                self.stream.flush()
            self._last = now

    def done(self, summary: str) -> None:
        if not self.enabled:
            return
        if self.terminal:
            self.stream.write("\r\x1b[K")
        self.stream.write(summary + "\n")
        self.stream.flush()
