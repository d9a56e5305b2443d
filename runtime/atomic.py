"""The one way every stage writes what a user keeps: a file or a folder appears complete or not
at all, and what it replaces stays until the new one is whole.

Training checkpoints, exported bundles, installed models, translations, attention pictures and
metrics all go through `write_atomically` (files) or `replace_directory` (folders).
"""

from __future__ import annotations

import os
import shutil
import stat
import tempfile
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import BinaryIO

from .errors import OutputError

TEMPORARY_SUFFIX = ".partial"


Content = str | bytes | Iterable[bytes] | Callable[[BinaryIO], None]


def write_atomically(output: Path, content: Content) -> None:
    """Write a file so that it appears complete or not at all: `content` (text, bytes, bytes
    streamed in parts, or a function that writes into the open binary file) goes to a temporary
    file beside `output`, renamed onto it when all is written; on any failure the temporary file
    is removed and `output` is left as it was. The file gets the permissions a plain open() would
    give it (mkstemp's are 0600)."""
    if _is_device(output):
        _write_into(output, content)
        return
    partial = None
    try:
        # The temporary name stays well under the 255 bytes a file name may have, however long OUT's.
        handle, name = tempfile.mkstemp(prefix=f".{output.name[:80]}.", suffix=TEMPORARY_SUFFIX, dir=output.parent)
        partial = Path(name)
        with os.fdopen(handle, "wb") as stream:
            _write_content(stream, content)
            stream.flush()
            os.chmod(partial, plain_mode(0o666))
            os.fsync(stream.fileno())
        os.replace(partial, output)
        partial = None
    except OSError as exc:
        raise OutputError(f"cannot write {output}: {exc.strerror}") from None
    finally:
        if partial is not None:
            partial.unlink(missing_ok=True)


def _write_content(stream: BinaryIO, content: Content) -> None:
    if callable(content):
        content(stream)
        return
    for part in [content.encode("utf-8")] if isinstance(content, str) else [content] if isinstance(content, bytes) \
            else content:
        stream.write(part)


def _is_device(path: Path) -> bool:
    """A device, pipe or socket: written into, never replaced (renaming a file onto /dev/null
    would replace the system's /dev/null)."""
    try:
        mode = path.stat().st_mode
    except OSError:
        return False
    return not stat.S_ISREG(mode) and not stat.S_ISDIR(mode)


def _write_into(output: Path, content: Content) -> None:
    try:
        with open(output, "wb") as stream:
            _write_content(stream, content)
    except OSError as exc:
        raise OutputError(f"cannot write {output}: {exc.strerror}") from None


def replace_directory(staging: Path, target: Path, aside: Path | None = None) -> None:
    """Put the complete folder `staging` (beside `target`, on the same file system) where `target`
    is: `target` is renamed to `aside`, `staging` to `target`, then `aside` is removed. Each
    rename is atomic, so a kill between them leaves `aside` whole (a fixed `aside` lets a resuming
    reader look there; by default it is a fresh hidden name). On an error `staging` is removed
    and `target` put back as it was."""
    if aside is None:
        aside = Path(tempfile.mkdtemp(prefix=f".{target.name[:80]}.old-", dir=target.parent))
        aside.rmdir()
    elif aside.exists():
        shutil.rmtree(aside)
    try:
        for file in staging.rglob("*"):
            if file.is_file():
                with open(file, "rb") as handle:
                    os.fsync(handle.fileno())
        if target.exists():
            target.rename(aside)
        staging.rename(target)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        if aside.exists() and not target.exists():
            aside.rename(target)  # the user's folder goes back
        raise
    fsync_directory(target.parent)
    shutil.rmtree(aside, ignore_errors=True)


def fsync_directory(directory: Path) -> None:
    """Make a rename in `directory` durable (where the file system allows)."""
    try:
        handle = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(handle)
    except OSError:
        pass  # some file systems cannot sync a directory; the rename itself is still atomic
    finally:
        os.close(handle)


def plain_mode(mode: int) -> int:
    """`mode` (0o666 for a file, 0o777 for a folder) less the umask: what a plain open() or
    mkdir() gives, where mkstemp and mkdtemp make their files private."""
    mask = os.umask(0)
    os.umask(mask)
    return mode & ~mask
