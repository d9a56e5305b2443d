"""The one line reader of the project: lines of a binary stream, with the bytes consumed and
their running sha256 (what a resumed job checks its input against), and the one way to open a
user's input file."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

from .errors import InputError


class LineReader:
    """Iterate the lines of `stream` as text, without their line ending.

    Only LF ends a line (a trailing CR is dropped); other Unicode line separators are ordinary
    characters. Invalid UTF-8 is an error naming the line (errors="strict") or is replaced with
    U+FFFD (errors="replace"). `bytes_read` and `digest()` cover exactly the lines yielded so far.
    """

    def __init__(self, stream: BinaryIO, name: str, errors: str = "strict", hint: str = "") -> None:
        if errors not in ("strict", "replace"):
            raise InputError(f"unknown error handling {errors!r}; expected strict or replace")
        self._stream = stream
        self.name = name
        self._errors = errors
        self._hint = hint  # appended to the invalid UTF-8 error, e.g. the option that skips it
        self.lines_read = 0
        self.bytes_read = 0
        self._hash = hashlib.sha256()

    def __iter__(self) -> Iterator[str]:
        for raw in self._stream:
            self.lines_read += 1
            self.bytes_read += len(raw)
            self._hash.update(raw)
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


def read_lines(path: Path) -> list[str]:
    """Every line of the UTF-8 text file `path` (strict: invalid UTF-8 is an `InputError`)."""
    with open_input(path) as handle:
        try:
            return list(LineReader(handle, str(path)))
        except OSError as exc:  # e.g. EIO half-way through
            raise InputError(f"cannot read {path}: {exc.strerror}") from None
