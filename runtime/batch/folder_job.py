"""A folder of files translated file by file into another folder (`s2s-translate -i docs/ -o docs.fr/`).

Each file is a document of its format (by suffix, or --input-format) or plain text lines, and its
output appears complete or not at all (written to a temporary file beside it, renamed when done).
A file that cannot be translated (malformed, not UTF-8) is reported in one line naming it and the
job goes on with the others; the job then ends with exit 2, listing them. `resume` skips the files
whose output exists (an interrupted job redoes only the files it was in); without it, existing
outputs are refused before any work unless `overwrite` replaces them.
"""

from __future__ import annotations

import glob
import json
import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from ..atomic import TEMPORARY_SUFFIX, write_atomically
from ..documents import DocumentError, document_notes, format_for, translate_document
from ..errors import InputError, OutputError
from ..line_reader import LineReader, batched, open_input
from .job import JobOptions, in_order, translate_lines, worker_count, worker_pool, worker_translator

if TYPE_CHECKING:
    from ..decoding.translator import Translator

log = logging.getLogger("s2s")


@dataclass
class FolderResult:
    translated: list[Path] = field(default_factory=list)
    skipped: list[Path] = field(default_factory=list)  # finished by an earlier run (--resume)
    failed: list[tuple[Path, str]] = field(default_factory=list)  # (file, one-line reason)
    # Entries that are not regular files (links, pipes, devices, sockets): never read, and said so.
    not_regular: list[Path] = field(default_factory=list)


def folder_files(source: Path) -> list[Path]:
    """The files a folder job translates: the folder's regular files, hidden ones aside, by name."""
    return folder_entries(source)[0]


def folder_entries(source: Path) -> tuple[list[Path], list[Path]]:
    """(the regular files a folder job translates, the entries it leaves because they are links,
    pipes, devices or sockets), hidden entries and sub-folders aside, each by name."""
    files, others = [], []
    for path in source.iterdir():
        if path.name.startswith(".") or (path.is_dir() and not path.is_symlink()):
            continue
        (files if path.is_file() and not path.is_symlink() else others).append(path)
    return sorted(files), sorted(others)


def shown(path: Path) -> str:
    """A file's name for a one-line message: as it is, or quoted with escapes where it holds a
    line break or another control character (which could otherwise fake a line of the log)."""
    text = str(path)
    return text if text.isprintable() else json.dumps(text)


def translate_folder(translator: "Translator", source: Path, target: Path, options: JobOptions, *,
                     resume: bool = False, overwrite: bool = False, input_format: str | None = None,
                     encoding_errors: str = "strict", done: Callable[[Path], None] | None = None,
                     failed: Callable[[Path, str], None] | None = None,
                     warned: Callable[[Path, str], None] | None = None, device: str = "cpu",
                     threads: int | None = None) -> FolderResult:
    """Translate every file of `source` into `target` (see the module docstring). With
    `options.workers` above one, files are translated side by side, each whole in one worker
    process; `done`, `failed` and `warned` (what a file's translation gave up) still come in the
    files' order, and every output is the bytes one process writes."""
    if target.exists() and not target.is_dir():
        raise InputError(f"input {source} is a folder, so --output must be a folder; {target} is a file")
    if target.resolve() == source.resolve():
        raise InputError(f"output folder {target} is the input folder; write the translations somewhere else")
    files, not_regular = folder_entries(source)
    if not resume and not overwrite:
        existing = [target / p.name for p in files if (target / p.name).exists()]
        if existing:
            raise InputError(f"{existing[0]} already exists ({len(existing)} output(s) do): --resume skips them, "
                             "--overwrite replaces them")
    try:
        target.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputError(f"cannot create {target}: {exc.strerror}") from None
    _remove_stale_partials(target, files)
    result = FolderResult(not_regular=not_regular)
    todo = []
    for path in files:
        if resume and (target / path.name).exists():
            result.skipped.append(path)
        else:
            todo.append(path)
    task = _FileTask(target, options, input_format, encoding_errors)
    for path, (reason, notes) in _translated_files(translator, todo, task, device, threads):
        for note in notes:
            if warned is not None:
                warned(path, note)
        if reason is None:
            result.translated.append(path)
            if done is not None:
                done(path)
        else:
            result.failed.append((path, reason))
            if failed is not None:
                failed(path, reason)
    return result


@dataclass(frozen=True)
class _FileTask:
    """What every file of a folder job is translated with (sent to the worker processes)."""

    target: Path
    options: JobOptions
    input_format: str | None
    encoding_errors: str

    def run(self, translator: "Translator", path: Path) -> tuple[str | None, list[str]]:
        """Translate `path` into the target folder: (None, or why the file could not be
        translated; what its translation had to give up, a line each, as a file alone reports it)."""
        out = self.target / path.name
        notes: list[str] = []
        try:
            document_format = format_for(path, self.input_format)
            if document_format is not None:
                result = translate_document(translator, path, document_format.name, self.options.decoding)
                write_atomically(out, result.data)
                notes = document_notes(result)
            else:
                write_atomically(out, _text_lines(translator, path, self.options, self.encoding_errors))
        except (DocumentError, InputError) as exc:
            return str(exc), []
        except Exception as exc:  # a bug this file ran into: reported with the file, and the job goes on
            log.debug("internal error on %s", shown(path), exc_info=True)
            return f"internal error ({type(exc).__name__}: {str(exc).splitlines()[0][:200] if str(exc) else ''})", []
        return None, notes


def _remove_stale_partials(target: Path, files: list[Path]) -> None:
    """The temporary files a killed job left beside the outputs it was writing (the atomic writer's
    hidden `.NAME.XXXX.partial`): removed, for this job's file names only."""
    for path in files:
        for stale in target.glob(f".{glob.escape(path.name[:80])}.*{TEMPORARY_SUFFIX}"):
            stale.unlink(missing_ok=True)


def _translated_files(translator: "Translator", files: list[Path], task: _FileTask, device: str,
                      threads: int | None) -> Iterator[tuple[Path, tuple[str | None, list[str]]]]:
    if task.options.workers <= 1:
        for path in files:
            yield path, task.run(translator, path)
        return
    with worker_pool(translator, task.options.workers, device, threads) as pool:
        submitted = ((path, pool.submit(_run_in_worker, task, path)) for path in files)
        yield from in_order(submitted, 2 * worker_count(task.options.workers))


def _run_in_worker(task: _FileTask, path: Path) -> tuple[str | None, list[str]]:
    return task.run(worker_translator(), path)


def _text_lines(translator: "Translator", path: Path, options: JobOptions, encoding_errors: str):
    with open_input(path) as stream:
        for chunk in batched(LineReader(stream, str(path), encoding_errors), options.chunk_size):
            yield "".join(text + "\n" for text, _, _ in translate_lines(translator, chunk, options)).encode()
