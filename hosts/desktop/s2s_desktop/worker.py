"""Translations off the window's thread: the latest request wins, older ones are dropped.

The window calls `submit(model, text)` on every edit; one worker thread loads models (once each)
and translates the newest request; `cancel()` drops what is pending or running (its result is
discarded when it arrives: ONNX Runtime cannot stop a call half-way, but a sentence takes
milliseconds). Results go to `deliver`, called on the worker thread (the window passes a queue's
`put` and reads it on its own thread: Tk may be called from one thread only).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass

from s2s.runtime import S2SRuntimeError, Translator


@dataclass(frozen=True)
class Outcome:
    request: int  # the number submit() returned
    text: str | None = None  # the translation, or None on error
    error: str | None = None  # one line, for the status bar
    seconds: float = 0.0


class TranslationWorker:
    def __init__(self, deliver: Callable[[Outcome], None],
                 load: Callable[[str | None], Translator] = lambda model: Translator.load(model)) -> None:
        self._deliver = deliver
        self._load = load
        self._translators: dict[str | None, Translator] = {}
        self._lock = threading.Condition()
        self._pending: tuple[int, str | None, str] | None = None
        self._latest = 0
        self._closed = False
        self._thread = threading.Thread(target=self._run, name="s2s-translate", daemon=True)
        self._thread.start()

    def submit(self, model: str | None, text: str) -> int:
        """Queue `text` for translation with `model` (None: the packaged model); returns its number."""
        with self._lock:
            self._latest += 1
            self._pending = (self._latest, model, text)
            self._lock.notify()
            return self._latest

    def cancel(self) -> None:
        """Forget the pending request and the result of the one running."""
        with self._lock:
            self._latest += 1
            self._pending = None

    def close(self) -> None:
        with self._lock:
            self._closed = True
            self._lock.notify()
        self._thread.join(timeout=5)

    def _run(self) -> None:
        import time

        while True:
            with self._lock:
                while self._pending is None and not self._closed:
                    self._lock.wait()
                if self._closed:
                    return
                request, model, text = self._pending
                self._pending = None
            started = time.perf_counter()
            try:
                translator = self._translators.get(model)
                if translator is None:
                    translator = self._translators[model] = self._load(model)
                outcome = Outcome(request, text="\n".join(translator.translate(text.split("\n"))),
                                  seconds=time.perf_counter() - started)
            except S2SRuntimeError as exc:
                outcome = Outcome(request, error=str(exc))
            except Exception as exc:  # a bug: shown in the status line; the worker lives on for the next request
                outcome = Outcome(request, error=f"internal error ({type(exc).__name__}: {str(exc)[:200]})")
            with self._lock:
                current = request == self._latest
            if current:  # a newer request or a cancel makes this result stale
                self._deliver(outcome)
