"""Putting a verified bundle in place: only a bundle is ever replaced, only a complete one appears."""

from __future__ import annotations

import os
import shutil
import tempfile
import zipfile
from pathlib import Path
from typing import BinaryIO

from s2s.runtime.atomic import plain_mode, replace_directory, write_atomically
from s2s.runtime.bundle.contract import MANIFEST

from .errors import ExportError


def _is_bundle(path: Path) -> bool:
    if path.is_dir():
        return (path / MANIFEST).is_file()
    try:
        with zipfile.ZipFile(path) as archive:
            return any(Path(name).name == MANIFEST for name in archive.namelist())
    except (OSError, zipfile.BadZipFile):
        return False


def check_output(out: Path, force: bool, protected: Path | None = None) -> None:
    """Refuse any `out` whose replacement could destroy what the export did not create."""
    target = out.resolve()
    if protected is not None:
        source = protected.resolve()
        if target == source or target in source.parents:
            raise ExportError(f"-o {out} would replace the input being exported ({protected}) or a folder holding it")
    if not out.exists() and not out.is_symlink():
        return
    if not force:
        raise ExportError(f"{out} already exists; use --force to replace it (only a model bundle is ever replaced)")
    if out.is_symlink() or not _is_bundle(out):
        raise ExportError(f"{out} exists and is not a model bundle; refusing to replace it, even with --force")


def publish(directory: Path, out: Path, as_zip: bool = False) -> None:
    """Move the verified bundle into place; only a complete bundle ever appears at `out`.

    The bundle is staged beside `out` under a fresh name made by `tempfile` (never a name a user
    could own), then renamed over it; a replaced bundle is moved aside the same way first."""
    out.parent.mkdir(parents=True, exist_ok=True)
    if as_zip:
        def zip_into(stream: BinaryIO) -> None:
            with zipfile.ZipFile(stream, "w", compression=zipfile.ZIP_DEFLATED) as archive:
                for path in sorted(directory.iterdir()):
                    archive.write(path, arcname=path.name)

        write_atomically(out, zip_into)  # a replaced .zip bundle was checked by check_output
        return
    staging = Path(tempfile.mkdtemp(prefix=f".{out.name}.s2s-export-", dir=out.parent))
    try:
        shutil.copytree(directory, staging, dirs_exist_ok=True)
        os.chmod(staging, plain_mode(0o777))  # mkdtemp (and the copied work folder) made it private
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    replace_directory(staging, out)
