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
import logging
import os
import signal
import threading
import time
from collections import deque
from collections.abc import Iterator
from concurrent.futures import Future
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

if TYPE_CHECKING:
    from concurrent.futures import ProcessPoolExecutor

T = TypeVar("T")

from ..errors import InputError, S2SRuntimeError
from ..signals import StopOnSignal


class WorkerError(S2SRuntimeError):
    """A worker process of a job died; what was done before it is durable and resumable."""
from ..decoding.options import DecodeOptions
from ..decoding.translator import Translator
from ..line_reader import LineReader
from .output_file import ResumePoint
from .output_format import format_line
from .progress import Progress


@dataclass
class JobOptions:
    decoding: DecodeOptions = field(default_factory=DecodeOptions)
    output_format: str = "text"  # or "jsonl" (output_format.FORMATS)
    alignment: str | None = None  # jsonl: None, "argmax" or "full"
    plot_attention: Path | None = None  # a folder for one attention picture per input line
    chunk_size: int = 1024  # at most this many input lines read, translated and written together
    workers: int = 1
    sync_seconds: float = 2.0  # how often the output is made durable

    def __post_init__(self) -> None:
        if isinstance(self.decoding, dict):  # through Ray's actor arguments (dataclasses.asdict)
            self.decoding = DecodeOptions(**self.decoding)


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
    repaired: int = 0  # protected items the model dropped, put back by the attention alignment (this run)


def bundle_fingerprint(translator: Translator) -> str:
    """sha256 over the sha256 of every file of the bundle (its model card aside)."""
    from ..bundle.contract import MODEL_CARD

    bundles = getattr(translator, "bundles", (translator.bundle,))  # two through a pivot language
    files = [{name: entry.sha256 for name, entry in bundle.manifest.files.items() if name != MODEL_CARD}
             for bundle in bundles]
    return hashlib.sha256(json.dumps(files[0] if len(files) == 1 else files, sort_keys=True).encode()).hexdigest()


@dataclass
class _Chunk:
    lines: list[str]
    lines_done: int  # input lines up to the end of this chunk
    input_bytes: int
    input_sha256: str


class _ChunkSize:
    """How many lines the next chunk reads: in one process, sized to take about `seconds` each
    (from the last chunk's pace), so that progress lines and durable checkpoints come every few
    seconds whatever the decoding costs (a 1,024-line chunk of beam 5 took 16 s); never more than
    `limit`. Chunk sizes change nothing in the output: a sentence never depends on its batch."""

    def __init__(self, limit: int, adaptive: bool, seconds: float = 2.0) -> None:
        self.limit, self.adaptive, self.seconds = limit, adaptive, seconds
        self.lines = min(limit, 64) if adaptive else limit

    def took(self, lines: int, seconds: float) -> None:
        if self.adaptive and lines:
            pace = lines / max(seconds, 1e-3)
            self.lines = max(8, min(self.limit, int(pace * self.seconds)))


def _chunks(reader: LineReader, size: _ChunkSize) -> Iterator[_Chunk]:
    lines: list[str] = []
    for line in reader:
        lines.append(line)
        if len(lines) >= size.lines:
            yield _Chunk(lines, reader.lines_read, reader.bytes_read, reader.digest())
            lines = []
    if lines:
        yield _Chunk(lines, reader.lines_read, reader.bytes_read, reader.digest())


# ---- worker processes --------------------------------------------------------------------
_worker_translator: Translator | None = None


def _init_worker(model: str, device: str, threads: int | None, parent: int, logs: tuple[int, str | None]) -> None:
    global _worker_translator
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent stops the job; workers just end
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    _die_with(parent)
    level, form = logs  # a spawned worker starts without the parent's logging: the same, so warnings read alike
    logger = logging.getLogger("s2s")
    logger.setLevel(level)
    if form is not None:
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter(form))
        logger.handlers[:] = [handler]
        logger.propagate = False
    _worker_translator = Translator.load(model, device=device, threads=threads)


def _die_with(parent: int) -> None:
    """End this worker when the job's process ends, however it ends (kill -9 included): no
    worker outlives the job it serves. Linux is told at once (PR_SET_PDEATHSIG); everywhere, a
    watchdog thread also checks the parent every half second."""
    try:
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass  # not Linux: the watchdog alone

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(0.5)
        os._exit(1)

    if os.getppid() != parent:
        os._exit(1)
    threading.Thread(target=watch, name="s2s-parent-watchdog", daemon=True).start()


def worker_count(requested: int) -> int:
    """Workers for a job: at most one per core (each loads the model and takes a core; more only
    costs memory: 64 took 4.8 GB for nothing)."""
    return max(1, min(requested, os.cpu_count() or 1))


def worker_translator() -> Translator:
    """The translator of this worker process (loaded once by the pool's initializer)."""
    assert _worker_translator is not None, "not in a worker process of worker_pool"
    return _worker_translator


def _translate_in_worker(lines: list[str], options: JobOptions, first_line: int) -> list[tuple[str, int, int]]:
    return translate_lines(worker_translator(), lines, options, first_line)


def attention_picture(folder: Path, line_number: int) -> Path:
    """Where the attention picture of input line `line_number` (1-based) goes."""
    return folder / f"line-{line_number:06d}.png"


def translate_lines(translator: Translator, lines: list[str], options: JobOptions,
                    first_line: int | None = None) -> list[tuple[str, int, int]]:
    """The output line, target token count and repaired protected items of each input line
    (`first_line`: the 1-based number of `lines[0]` in the input, which names the attention pictures)."""
    pictures = options.plot_attention is not None
    results = translator.translate_results(lines, options.decoding, attention=options.alignment is not None or pictures)
    if pictures:
        from .attention_plot import plot_attention

        assert first_line is not None and options.plot_attention is not None
        for number, result in enumerate(results, start=first_line):
            if result.source_tokens:  # an empty line has nothing to picture
                plot_attention(result, attention_picture(options.plot_attention, number))
    return [(format_line(r, options.output_format, options.alignment), len(r.hypotheses[0].tokens),
             r.hypotheses[0].repaired) for r in results]


def run_job(translator: Translator, reader: LineReader, sink: Sink, options: JobOptions,
            resumed: ResumePoint | None = None, progress: Progress | None = None,
            device: str = "cpu", threads: int | None = None) -> JobResult:
    """Translate every line of `reader` into `sink`. With `resumed`, the first `resumed.lines`
    lines are checked against the record (same bytes, same sha256) and skipped."""
    resumed = resumed or ResumePoint()
    if resumed.lines:
        for _ in zip(range(resumed.lines), reader):
            pass
        if (reader.lines_read, reader.bytes_read, reader.digest()) != (
                resumed.lines, resumed.input_bytes, resumed.input_sha256):
            raise InputError(f"cannot resume: {reader.name} is not the input of the interrupted run (its first "
                             f"{resumed.lines} lines changed); start over without --resume")
    lines_done, tokens, repaired = resumed.lines, 0, 0
    size = _ChunkSize(options.chunk_size, adaptive=options.workers <= 1)
    chunks = _chunks(reader, size)
    with StopOnSignal() as stop:
        started = time.perf_counter()
        for chunk, results in _translated(translator, chunks, options, device, threads):
            size.took(len(chunk.lines), time.perf_counter() - started)
            sink.append([text for text, _, _ in results], chunk.lines_done, chunk.input_bytes, chunk.input_sha256)
            lines_done = chunk.lines_done
            tokens += sum(n for _, n, _ in results)
            repaired += sum(r for _, _, r in results)
            if progress is not None:
                progress.update(lines_done, chunk.input_bytes)
            if stop.signum is not None:
                sink.sync()
                raise Interrupted(stop.signum, lines_done)
            sink.sync(options.sync_seconds)
            started = time.perf_counter()
        sink.sync()
    return JobResult(lines_done, lines_done - resumed.lines, tokens, repaired)


def _translated(translator: Translator, chunks: Iterator[_Chunk], options: JobOptions, device: str,
                threads: int | None) -> Iterator[tuple[_Chunk, list[tuple[str, int, int]]]]:
    if options.workers <= 1:
        for chunk in chunks:
            yield chunk, translate_lines(translator, chunk.lines, options, _first_line(chunk))
        return
    with worker_pool(translator, options.workers, device, threads) as pool:
        submitted = ((chunk, pool.submit(_translate_in_worker, chunk.lines, options, _first_line(chunk)))
                     for chunk in chunks)
        yield from in_order(submitted, 2 * worker_count(options.workers))


@contextmanager
def worker_pool(translator: Translator, workers: int, device: str,
                threads: int | None) -> Iterator[ProcessPoolExecutor]:
    """Worker processes that each load `translator`'s bundle once (`_worker_translator`), die with
    this process, and are shut down (work not started cancelled) when the block ends."""
    if hasattr(translator, "bundles"):
        raise InputError("translation through a pivot language runs in one process: drop --workers")
    import multiprocessing  # imported here: one process (the common case) never pays for it
    from concurrent.futures import ProcessPoolExecutor

    # Spawned, not forked: the parent holds ONNX Runtime's threads, and a fork of a threaded
    # process can leave a child's locks held forever (a killed worker then hung the whole job).
    pool = ProcessPoolExecutor(worker_count(workers), mp_context=multiprocessing.get_context("spawn"),
                               initializer=_init_worker,
                               initargs=(str(translator.bundle.origin), device, threads, os.getpid(), _log_settings()))
    try:
        yield pool
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def in_order(submitted: Iterator[tuple[T, Future]], ahead: int) -> Iterator[tuple[T, Any]]:
    """(item, result) in the order submitted, keeping at most `ahead` submissions in flight: a
    bounded read-ahead, so memory stays flat however long the input."""
    pending: deque[tuple[T, Future]] = deque()
    try:
        for item, future in submitted:
            pending.append((item, future))
            if len(pending) >= ahead:
                done, first = pending.popleft()
                yield done, _result(first)
        while pending:
            done, first = pending.popleft()
            yield done, _result(first)
    finally:
        for _, future in pending:
            future.cancel()


def _log_settings() -> tuple[int, str | None]:
    logger = logging.getLogger("s2s")
    handler = next((h for h in logger.handlers if h.formatter is not None), None)
    return logger.getEffectiveLevel(), handler.formatter._fmt if handler is not None else None


def _result(future: Future) -> Any:
    from concurrent.futures.process import BrokenProcessPool

    try:
        return future.result()
    except BrokenProcessPool:
        raise WorkerError("a worker process ended unexpectedly (killed, or out of memory); what was translated "
                          "before it is kept: continue with --resume") from None


def _first_line(chunk: _Chunk) -> int:
    return chunk.lines_done - len(chunk.lines) + 1
