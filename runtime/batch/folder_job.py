"""A folder of files translated file by file into another folder (`s2s-translate -i docs/ -o docs.fr/`).

Each file is a document of its format (by suffix, or --input-format) or plain text lines, and its
output appears complete or not at all (written to a temporary file beside it, renamed when done).
A file that cannot be translated (malformed, not UTF-8) is reported in one line naming it and the
job goes on with the others; the job then ends with exit 2, listing them. `resume` skips the files
whose output exists (an interrupted job redoes only the file it was in); without it, existing
outputs are refused before any work unless `overwrite` replaces them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from ..documents import DocumentError, format_for, translate_document
from ..errors import InputError, OutputError
from ..line_reader import LineReader, open_input
from .job import JobOptions, translate_lines
from ..atomic import write_atomically

if TYPE_CHECKING:
    from ..decoding.translator import Translator

@dataclass
class FolderResult:
    translated: list[Path] = field(default_factory=list)
    skipped: list[Path] = field(default_factory=list)  # finished by an earlier run (--resume)
    failed: list[tuple[Path, str]] = field(default_factory=list)  # (file, one-line reason)


def folder_files(source: Path) -> list[Path]:
    """The files a folder job translates: the folder's regular files, hidden ones aside, by name."""
    return sorted(p for p in source.iterdir() if p.is_file() and not p.is_symlink() and not p.name.startswith("."))


def translate_folder(translator: "Translator", source: Path, target: Path, options: JobOptions, *,
                     resume: bool = False, overwrite: bool = False, input_format: str | None = None,
                     encoding_errors: str = "strict", done: Callable[[Path], None] | None = None,
                     failed: Callable[[Path, str], None] | None = None) -> FolderResult:
    if target.exists() and not target.is_dir():
        raise InputError(f"input {source} is a folder, so --output must be a folder; {target} is a file")
    if target.resolve() == source.resolve():
        raise InputError(f"output folder {target} is the input folder; write the translations somewhere else")
    files = folder_files(source)
    if not resume and not overwrite:
        existing = [target / p.name for p in files if (target / p.name).exists()]
        if existing:
            raise InputError(f"{existing[0]} already exists ({len(existing)} output(s) do): --resume skips them, "
                             "--overwrite replaces them")
    try:
        target.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputError(f"cannot create {target}: {exc.strerror}") from None
    result = FolderResult()
    for path in files:
        out = target / path.name
        if resume and out.exists():
            result.skipped.append(path)
            continue
        try:
            document_format = format_for(path, input_format)
            if document_format is not None:
                write_atomically(out, translate_document(translator, path, document_format.name, options.decoding).data)
            else:
                write_atomically(out, _text_lines(translator, path, options, encoding_errors))
        except (DocumentError, InputError) as exc:
            result.failed.append((path, str(exc)))
            if failed is not None:
                failed(path, str(exc))
            continue
        result.translated.append(path)
        if done is not None:
            done(path)
    return result


def _text_lines(translator: "Translator", path: Path, options: JobOptions, encoding_errors: str):
    with open_input(path) as stream:
        reader = LineReader(stream, str(path), encoding_errors)
        chunk: list[str] = []
        for line in reader:
            chunk.append(line)
            if len(chunk) >= options.chunk_size:
                yield "".join(text + "\n" for text, _, _ in translate_lines(translator, chunk, options)).encode()
                chunk = []
        if chunk:
            yield "".join(text + "\n" for text, _, _ in translate_lines(translator, chunk, options)).encode()
