"""Batch translation on a Ray cluster: Ray Data runs the runtime on every batch, in actors that
load the bundle once. Ray is an optional extra (`pip install "s2s-onnx[ray]"`); nothing else of
the runtime imports this module.

    import ray
    from s2s.runtime.batch.ray_job import TranslateBatch
    ray.data.DataContext.get_current().execution_options.preserve_order = True  # rows stay in order
    ds = ray.data.from_items([{"text": "I am a student."}])
    ds = ds.map_batches(TranslateBatch, fn_constructor_kwargs={"model": "models/eng-fra"},
                        compute=ray.data.ActorPoolStrategy(size=2))

Decoding is batch-invariant (docs/bundle-format.md), so how Ray cuts the data into batches and
blocks never changes a translation: the output is byte for byte the local runtime's.
"""

from __future__ import annotations

import os
import re
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ..atomic import write_atomically
from ..decoding.translator import Translator
from ..errors import InputError
from ..line_reader import LineReader, batched, open_input
from .job import JobOptions, translate_lines
from .output_file import check_output_path


class TranslateBatch:
    """A callable class for `Dataset.map_batches`: adds a "translation" column translating the
    batch's "text" column (numpy batch format); the keyword options are `JobOptions`'."""

    def __init__(self, model: str | None = None, *, threads: int | None = 1, device: str = "cpu",
                 **options: Any) -> None:
        self.translator = Translator.load(model, device=device, threads=threads)
        self.options = JobOptions(**options)
        if self.options.plot_attention is not None:
            raise InputError("attention pictures are not drawn on Ray; translate without --ray")

    def __call__(self, batch: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        texts = [str(text) for text in batch["text"]]
        lines = [line for line, _, _ in translate_lines(self.translator, texts, self.options)]
        return {**batch, "translation": np.array(lines, dtype=object)}


def connect(address: str, quiet: bool = False) -> None:
    """Join the Ray cluster at `address` ("auto": the one this machine belongs to), or start a
    one-machine instance for this run ("local"). Ray's own notices go with `quiet`; its errors
    still show (except the one below)."""
    import logging

    try:
        import ray
    except ImportError:
        raise InputError("--ray needs Ray: pip install 's2s-onnx[ray]'") from None
    if address not in ("local", "auto"):
        _check_reachable(address)
    if ray.is_initialized():
        return
    level = logging.ERROR if quiet else logging.WARNING
    logging.getLogger("ray").setLevel(level)  # the token notice of a local instance is a warning
    try:
        if address == "local":
            ray.init(num_cpus=os.cpu_count(), include_dashboard=False, log_to_driver=False,
                     configure_logging=False)
        else:
            ray.init(address=address, log_to_driver=False, configure_logging=False)
    except (ConnectionError, RuntimeError, ValueError, TimeoutError) as exc:  # what ray.init raises for a bad address
        message = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise InputError(f"cannot join the Ray cluster at {address!r}: {message}") from None
    ray.data.DataContext.get_current().enable_progress_bars = False
    # Ray Data sets its loggers' levels when imported: its per-dataset INFO lines go, and under
    # `quiet` its warnings too.
    for name in ("ray", "ray.data"):
        logging.getLogger(name).setLevel(level)
    # The progress bars are off on purpose (a line a file is ours): no warning that they are.
    logging.getLogger("ray.data._internal.progress").setLevel(logging.ERROR)


# A line of Ray's own logging: C++ ("[2026-12-04 19:47:12,408 E 23313 23313] core_worker.cc:...")
# or Python ("2026-12-04 19:47:12,291\tWARNING util.py:650 -- ...").
_RAY_LOG_LINE = re.compile(rb"^(\[\d{4}-\d\d-\d\d [\d:,.]+ [A-Z] \d+ \d+\]|\d{4}-\d\d-\d\d [\d:,.]+\t[A-Z]+ \S+:\d+ --)")


@contextmanager
def ray_logs_dropped(quiet: bool) -> Iterator[None]:
    """Under `quiet`, drop what Ray prints to this process's stderr on its own account while the
    block runs: Ray Data's actors log a C++ error on every run that nothing can act on (ray#57733:
    Ray's own constructor arguments live in the object store), and C++ logging has no switch but
    a level for everything. The process's stderr goes to a temporary file meanwhile; what is not
    Ray's is passed on when the block ends."""
    if not quiet:
        yield
        return
    sys.stderr.flush()
    held = tempfile.TemporaryFile()
    saved = os.dup(2)
    os.dup2(held.fileno(), 2)
    try:
        yield
    finally:
        sys.stderr.flush()
        os.dup2(saved, 2)  # Ray's processes keep the file; it goes when they do
        os.close(saved)
        held.seek(0)
        for line in held:
            if not _RAY_LOG_LINE.match(line):
                sys.stderr.buffer.write(line)
        sys.stderr.flush()
        held.close()


def _check_reachable(address: str, timeout: float = 5.0) -> None:
    """Fail in seconds, not minutes: ray.init retries an unreachable address for a long time."""
    import socket

    host, _, port = address.removeprefix("ray://").rpartition(":")
    if not host or not port.isdigit():
        raise InputError(f"--ray ADDRESS must be auto, local or HOST:PORT, got {address!r}")
    try:
        with socket.create_connection((host, int(port)), timeout=timeout):
            pass
    except OSError as exc:
        raise InputError(f"cannot reach the Ray cluster at {address}: {exc.strerror or exc}") from None


@dataclass
class RayJob:
    model: str
    options: JobOptions
    actors: int = 1
    threads: int = 1  # per actor
    rows_per_block: int = 1024


def file_pairs(source: Path, target: Path) -> list[tuple[Path, Path]]:
    """(input, output) files: a file to a file, or every file of a folder to the same name in another."""
    if source.is_dir():
        if target.exists() and not target.is_dir():
            raise InputError(f"input {source} is a folder, so --output must be a folder; {target} is a file")
        return [(path, target / path.name) for path in sorted(source.iterdir()) if path.is_file()]
    if not source.is_file():
        raise InputError(f"input file not found: {source}")
    return [(source, target)]


def translate_files(pairs: list[tuple[Path, Path]], job: RayJob, resume: bool = False,
                    overwrite: bool = False) -> Iterator[tuple[Path, int]]:
    """Translate each input file into its output file on the connected Ray cluster; yields
    (output, lines) as each completes. An output appears only complete (renamed into place when
    its file is done); `resume` skips outputs that exist, so an interrupted job redoes only the
    files it had not finished. The driver holds one chunk of a file at a time (`RAY_CHUNK_LINES`
    lines, `RAY_CHUNK_BYTES` bytes), so its memory does not grow with the input."""
    import ray

    context = ray.data.DataContext.get_current()
    context.execution_options.preserve_order = True  # output line i is input line i
    for source, target in pairs:
        if resume and target.exists():
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        check_output_path(target, [source], overwrite)
        counted: list[int] = []
        write_atomically(target, _translated(source, job, counted))
        yield target, counted[0]


# A chunk is what the driver holds and hands Ray at once: enough lines that starting the actors
# (each loads the bundle) is a small part of a chunk's time, few enough bytes to stay small.
RAY_CHUNK_LINES = 100_000
RAY_CHUNK_BYTES = 32 << 20


def _translated(source: Path, job: RayJob, counted: list[int]) -> Iterator[bytes]:
    """The translation of `source`, chunk by chunk, as UTF-8 lines; appends the line count to
    `counted` when the file is done."""
    with open_input(source) as handle:
        reader = LineReader(handle, str(source))
        try:
            for chunk in batched(reader, RAY_CHUNK_LINES, RAY_CHUNK_BYTES):
                yield "".join(line + "\n" for line in _translate_lines(chunk, job)).encode("utf-8")
        except OSError as exc:  # e.g. EIO half-way through: the input's fault, not the output's
            raise InputError(f"cannot read {source}: {exc.strerror}") from None
        counted.append(reader.lines_read)


def block_layout(lines: int, actors: int, rows_per_block: int) -> tuple[int, int]:
    """(blocks, rows per batch) for a chunk of `lines`: at least one block per actor when there
    are lines enough (one file in one block kept every actor but one idle), else blocks of
    `rows_per_block`."""
    blocks = max(1, min(lines, max(actors, -(-lines // rows_per_block))))
    return blocks, -(-lines // blocks)


def _translate_lines(lines: list[str], job: RayJob) -> list[str]:
    import ray

    blocks, rows = block_layout(len(lines), job.actors, job.rows_per_block)
    dataset = ray.data.from_items([{"text": line} for line in lines], override_num_blocks=blocks)
    kwargs: dict[str, Any] = dict(model=job.model, threads=job.threads, **asdict(job.options))
    translated = dataset.map_batches(TranslateBatch, fn_constructor_kwargs=kwargs,
                                     compute=ray.data.ActorPoolStrategy(size=job.actors),
                                     batch_size=rows, batch_format="numpy", num_cpus=job.threads)
    return [str(row["translation"]) for row in translated.iter_rows()]
