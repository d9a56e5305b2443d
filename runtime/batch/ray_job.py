"""Batch translation on a Ray cluster: Ray Data runs the runtime on every batch, in actors that
load the bundle once. Ray is an optional extra (`pip install "s2s-onnx[ray]"`); nothing else of
the runtime imports this module.

    import ray
    from s2s.runtime.batch.ray_job import TranslateBatch
    ray.data.DataContext.get_current().execution_options.preserve_order = True  # rows stay in order
    ds = ray.data.from_items([{"text": "I am a student."}])
    ds = ds.map_batches(TranslateBatch, fn_constructor_kwargs={"model": "models/eng-fra"}, concurrency=2)

Decoding is batch-invariant (docs/bundle-format.md), so how Ray cuts the data into batches and
blocks never changes a translation: the output is byte for byte the local runtime's.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ..decoding.translator import Translator
from ..errors import InputError
from ..line_reader import read_lines
from .job import JobOptions, translate_lines
from ..atomic import write_atomically
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


def connect(address: str) -> None:
    """Join the Ray cluster at `address` ("auto": the one this machine belongs to), or start a
    one-machine instance for this run ("local")."""
    try:
        import ray
    except ImportError:
        raise InputError("--ray needs Ray: pip install 's2s-onnx[ray]'") from None
    if address not in ("local", "auto"):
        _check_reachable(address)
    if ray.is_initialized():
        return
    try:
        if address == "local":
            ray.init(num_cpus=os.cpu_count(), include_dashboard=False, log_to_driver=False,
                     configure_logging=False)
        else:
            ray.init(address=address, log_to_driver=False, configure_logging=False)
    except (ConnectionError, RuntimeError, ValueError, TimeoutError) as exc:  # what ray.init raises for a bad address
        message = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise InputError(f"cannot join the Ray cluster at {address!r}: {message}") from None
    import logging

    logging.getLogger("ray").setLevel(logging.WARNING)  # Ray Data's progress lines; errors still show
    ray.data.DataContext.get_current().enable_progress_bars = False


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
    (output, lines) as each completes. An output appears only complete (written at once when its
    file is done); `resume` skips outputs that exist, so an interrupted job redoes only the
    files it had not finished."""
    import ray

    context = ray.data.DataContext.get_current()
    context.execution_options.preserve_order = True  # output line i is input line i
    for source, target in pairs:
        if resume and target.exists():
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        check_output_path(target, [source], overwrite)
        lines = read_lines(source)
        translations = _translate_lines(lines, job) if lines else []
        write_atomically(target, "".join(line + "\n" for line in translations))
        yield target, len(lines)


def _translate_lines(lines: list[str], job: RayJob) -> list[str]:
    import ray

    # At least one block per actor (when there are lines enough): one file in one block kept every
    # actor but one idle.
    blocks = max(1, min(len(lines), max(job.actors, -(-len(lines) // job.rows_per_block))))
    rows = -(-len(lines) // blocks)
    dataset = ray.data.from_items([{"text": line} for line in lines], override_num_blocks=blocks)
    kwargs: dict[str, Any] = dict(model=job.model, threads=job.threads, **asdict(job.options))
    translated = dataset.map_batches(TranslateBatch, fn_constructor_kwargs=kwargs, concurrency=job.actors,
                                     batch_size=rows, batch_format="numpy", num_cpus=job.threads)
    return [str(row["translation"]) for row in translated.iter_rows()]
