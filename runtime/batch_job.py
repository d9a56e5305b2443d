"""A batch translation job: lines in, translations out, in order, interruptible and resumable.

The job reads its input in chunks, translates each chunk (in this process or in `workers`
processes) and appends the results to its output; a `PartialOutput` makes them durable every
few seconds. Because a sentence's translation does not depend on its batch (per-row int8,
docs/bundle-format.md), a resumed job, or one split over workers, writes exactly the bytes an
uninterrupted single-process job writes.
"""

from __future__ import annotations

import hashlib
import json
import signal
import threading
from collections import deque
from collections.abc import Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass
from typing import Protocol

from .errors import InputError
from .line_reader import LineReader
from .output_file import Checkpoint
from .progress import Progress
from .translator import Translator


@dataclass
class JobOptions:
    beam_size: int = 1
    max_length: int | None = None
    batch_size: int = 64
    split_sentences: bool = True
    chunk_size: int = 1024  # input lines read, translated and written together
    workers: int = 1
    sync_seconds: float = 2.0  # how often the output is made durable


class Sink(Protocol):
    def append(self, lines: list[str], lines_done: int, input_bytes: int, input_sha256: str) -> None: ...
    def sync(self, every_seconds: float = 0.0) -> None: ...


class Interrupted(Exception):
    """The job stopped on SIGINT or SIGTERM after making its output durable."""

    def __init__(self, signum: int, lines: int) -> None:
        super().__init__(f"interrupted after {lines} lines")
        self.signum = signum
        self.lines = lines


@dataclass
class JobResult:
    lines: int  # input lines done in all (resumed ones included)
    translated: int  # lines translated by this run
    target_tokens: int


def bundle_fingerprint(translator: Translator) -> str:
    """sha256 over the sha256 of every file of the bundle (its model card aside)."""
    from .bundle import MODEL_CARD

    files = {name: entry["sha256"] for name, entry in translator.bundle.manifest["files"].items() if name != MODEL_CARD}
    return hashlib.sha256(json.dumps(files, sort_keys=True).encode()).hexdigest()


@dataclass
class _Chunk:
    lines: list[str]
    lines_done: int  # input lines up to the end of this chunk
    input_bytes: int
    input_sha256: str


def _chunks(reader: LineReader, size: int) -> Iterator[_Chunk]:
    lines: list[str] = []
    for line in reader:
        lines.append(line)
        if len(lines) >= size:
            yield _Chunk(lines, reader.lines_read, reader.bytes_read, reader.digest())
            lines = []
    if lines:
        yield _Chunk(lines, reader.lines_read, reader.bytes_read, reader.digest())


# ---- worker processes --------------------------------------------------------------------
_worker_translator: Translator | None = None


def _init_worker(model: str, device: str, threads: int | None) -> None:
    global _worker_translator
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent stops the job; workers just end
    _worker_translator = Translator.load(model, device=device, threads=threads)


def _translate_in_worker(lines: list[str], beam_size: int, max_length: int | None, batch_size: int,
                         split_sentences: bool) -> list[tuple[str, int]]:
    assert _worker_translator is not None
    return _translate(_worker_translator, lines, beam_size, max_length, batch_size, split_sentences)


def _translate(translator: Translator, lines: list[str], beam_size: int, max_length: int | None,
               batch_size: int, split_sentences: bool) -> list[tuple[str, int]]:
    results = translator.translate_detailed(lines, beam_size=beam_size, max_length=max_length,
                                            batch_size=batch_size, attention=False, split_sentences=split_sentences)
    return [(r.text, len(r.tokens)) for r in results]


class _StopFlag:
    """SIGINT/SIGTERM ask the job to stop after the chunk in hand; a second SIGINT aborts."""

    def __init__(self) -> None:
        self.signum: int | None = None
        self._previous: dict[int, object] = {}

    def __enter__(self) -> "_StopFlag":
        if threading.current_thread() is threading.main_thread():
            for signum in (signal.SIGINT, signal.SIGTERM):
                self._previous[signum] = signal.signal(signum, self._handle)
        return self

    def _handle(self, signum: int, frame) -> None:
        if self.signum is not None and signum == signal.SIGINT:
            raise KeyboardInterrupt
        self.signum = signum

    def __exit__(self, *exc) -> None:
        for signum, handler in self._previous.items():
            signal.signal(signum, handler)


def run_job(translator: Translator, reader: LineReader, sink: Sink, options: JobOptions,
            resumed: Checkpoint | None = None, progress: Progress | None = None,
            device: str = "cpu", threads: int | None = None) -> JobResult:
    """Translate every line of `reader` into `sink`. With `resumed`, the first `resumed.lines`
    lines are checked against the record (same bytes, same sha256) and skipped."""
    resumed = resumed or Checkpoint()
    if resumed.lines:
        for _ in zip(range(resumed.lines), reader):
            pass
        if (reader.lines_read, reader.bytes_read, reader.digest()) != (
                resumed.lines, resumed.input_bytes, resumed.input_sha256):
            raise InputError(f"cannot resume: {reader.name} is not the input of the interrupted run (its first "
                             f"{resumed.lines} lines changed); start over without --resume")
    lines_done, tokens = resumed.lines, 0
    chunks = _chunks(reader, options.chunk_size)
    with _StopFlag() as stop:
        for chunk, results in _translated(translator, chunks, options, device, threads):
            sink.append([text for text, _ in results], chunk.lines_done, chunk.input_bytes, chunk.input_sha256)
            lines_done = chunk.lines_done
            tokens += sum(n for _, n in results)
            if progress is not None:
                progress.update(lines_done, chunk.input_bytes)
            if stop.signum is not None:
                sink.sync()
                raise Interrupted(stop.signum, lines_done)
            sink.sync(options.sync_seconds)
        sink.sync()
    return JobResult(lines_done, lines_done - resumed.lines, tokens)


def _translated(translator: Translator, chunks: Iterator[_Chunk], options: JobOptions, device: str,
                threads: int | None) -> Iterator[tuple[_Chunk, list[tuple[str, int]]]]:
    args = (options.beam_size, options.max_length, options.batch_size, options.split_sentences)
    if options.workers <= 1:
        for chunk in chunks:
            yield chunk, _translate(translator, chunk.lines, *args)
        return
    model = str(translator.bundle.origin)
    pending: deque[tuple[_Chunk, Future]] = deque()
    with ProcessPoolExecutor(options.workers, initializer=_init_worker, initargs=(model, device, threads)) as pool:
        try:
            for chunk in chunks:
                pending.append((chunk, pool.submit(_translate_in_worker, chunk.lines, *args)))
                if len(pending) >= 2 * options.workers:  # bounded read-ahead: memory stays flat
                    done, future = pending.popleft()
                    yield done, future.result()
            while pending:
                done, future = pending.popleft()
                yield done, future.result()
        finally:
            for _, future in pending:
                future.cancel()
