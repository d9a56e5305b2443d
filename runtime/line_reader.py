"""The one line reader of the project: lines of a binary stream, with the bytes consumed and
their running sha256 (what a resumed job checks its input against), and the one way to open a
user's input file."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import BinaryIO

from .errors import InputError

# A line longer than this is cut while it is read (the rest up to its line end is skipped, still
# counted and hashed): memory stays bounded whatever the input (/dev/zero, a 200 MB line). A
# megabyte is thousands of sentences, far more than a line of real text holds.
MAX_LINE_BYTES = 1 << 20
_SKIP_BLOCK = 1 << 16


class LineReader:
    """Iterate the lines of `stream` as text, without their line ending.

    Only LF ends a line (a trailing CR is dropped); other Unicode line separators are ordinary
    characters. Invalid UTF-8 is an error naming the line (errors="strict") or is replaced with
    U+FFFD (errors="replace"). `bytes_read` and `digest()` cover exactly the lines yielded so far.
    A line longer than `max_line_bytes` is cut to that many bytes (at a character boundary);
    `lines_cut` counts them.
    """

    def __init__(self, stream: BinaryIO, name: str, errors: str = "strict", hint: str = "",
                 max_line_bytes: int = MAX_LINE_BYTES) -> None:
        if errors not in ("strict", "replace"):
            raise InputError(f"unknown error handling {errors!r}; expected strict or replace")
        self._stream = stream
        self.name = name
        self._errors = errors
        self._hint = hint  # appended to the invalid UTF-8 error, e.g. the option that skips it
        self.lines_read = 0
        self.bytes_read = 0
        self.lines_cut = 0
        self._max = max_line_bytes
        self._hash = hashlib.sha256()

    def _take(self, raw: bytes) -> None:
        self.bytes_read += len(raw)
        self._hash.update(raw)

    def __iter__(self) -> Iterator[str]:
        while True:
            raw = self._stream.readline(self._max + 1)
            if not raw:
                return
            self.lines_read += 1
            self._take(raw)
            if len(raw) > self._max and not raw.endswith(b"\n"):
                self.lines_cut += 1
                while True:  # skip the rest of the line, a block at a time
                    rest = self._stream.readline(_SKIP_BLOCK)
                    self._take(rest)
                    if not rest or rest.endswith(b"\n"):
                        break
                raw = _cut(raw[: self._max])
            try:
                line = raw.decode("utf-8", errors=self._errors)
            except UnicodeDecodeError as exc:
                raise InputError(
                    f"{self.name}, line {self.lines_read}: invalid UTF-8 (byte {exc.start + 1}){self._hint}"
                ) from None
            yield line.removesuffix("\n").removesuffix("\r")

    def digest(self) -> str:
        """sha256 of every byte of the lines yielded so far."""
        return self._hash.hexdigest()


def batched(lines: Iterable[str], max_lines: int, max_chars: int | None = None) -> Iterator[list[str]]:
    """`lines` in lists of at most `max_lines` lines (and, with `max_chars`, about that many
    characters): what a job holds in memory at once, whatever the length of its input."""
    batch: list[str] = []
    size = 0
    for line in lines:
        batch.append(line)
        size += len(line)
        if len(batch) >= max_lines or (max_chars is not None and size >= max_chars):
            yield batch
            batch, size = [], 0
    if batch:
        yield batch


def _cut(data: bytes) -> bytes:
    """`data` without its last character if the cut split it (a UTF-8 sequence short of bytes)."""
    start = len(data) - 1
    while start > 0 and (data[start] & 0xC0) == 0x80 and len(data) - start < 4:
        start -= 1
    if start < 0:
        return data
    lead = data[start]
    needed = 1 if lead < 0x80 else 2 if lead < 0xE0 else 3 if lead < 0xF0 else 4
    return data if len(data) - start >= needed else data[:start]


def open_input(path: Path) -> BinaryIO:
    """`path` opened for reading bytes; a missing, unreadable or folder path is an `InputError`."""
    try:
        return open(path, "rb")
    except FileNotFoundError:
        raise InputError(f"file not found: {path}") from None
    except IsADirectoryError:
        raise InputError(f"expected a file, got a directory: {path}") from None
    except OSError as exc:
        raise InputError(f"cannot read {path}: {exc.strerror}") from None


def read_bounded(path: Path, limit: int, what: str) -> bytes:
    """The bytes of the user's regular file `path` (a glossary, a document), refused before reading
    when it is not a regular file (a FIFO would block, a device never end) or over `limit` bytes."""
    try:
        if not path.is_file():
            raise InputError(f"{what} {path}: not a regular file")
        if path.stat().st_size > limit:
            raise InputError(f"{what} {path} is larger than {limit >> 20} MiB")
        return path.read_bytes()
    except OSError as exc:
        raise InputError(f"cannot read {what} {path}: {exc.strerror}") from None


def read_lines(path: Path) -> list[str]:
    """Every line of the UTF-8 text file `path` (strict: invalid UTF-8 is an `InputError`)."""
    with open_input(path) as handle:
        try:
            return list(LineReader(handle, str(path)))
        except OSError as exc:  # e.g. EIO half-way through
            raise InputError(f"cannot read {path}: {exc.strerror}") from None


def read_pairs(path: Path, second: str = "target") -> list[tuple[str, str]]:
    """The `source<TAB>second[<TAB>...]` pairs of the TSV file `path`, one a line; a blank line is
    an empty pair, a line without a tab an `InputError` naming it (the one TSV reader: training
    corpora and test sets)."""
    pairs = []
    for number, line in enumerate(read_lines(path), start=1):
        if not line.strip():
            pairs.append(("", ""))
            continue
        columns = line.split("\t")
        if len(columns) < 2:
            raise InputError(f"{path}, line {number}: no tab; expected source<TAB>{second}")
        pairs.append((columns[0], columns[1]))
    return pairs


def read_sources(path: Path) -> list[str]:
    """Source sentences: the first column of a TSV file, or every line of a text file."""
    return [line.split("\t")[0] for line in read_lines(path)]
