"""Output files that appear complete or not at all, and that an interrupted job resumes.

While a job runs, its lines go to `OUT.partial`, flushed and fsync'd at every checkpoint; beside
it `OUT.partial.json` records how far the job had got at that checkpoint: lines done, output
bytes, input bytes and the sha256 of that input prefix, and what produced the lines (model and
options). `finish` renames the partial file onto OUT atomically. An interruption at any moment,
kill -9 and power loss included, leaves OUT as it was (absent, or the user's old file) and a
partial file whose recorded prefix is intact; `resume` cuts anything written after the last
checkpoint and continues from there.
"""

from __future__ import annotations

import hashlib
import json
import os
import stat
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, BinaryIO

from ..atomic import fsync_directory
from ..errors import InputError, OutputError

# 2 records the sha256 of the output written so far and whether the job may replace OUT.
STATE_VERSION = 2
PARTIAL_SUFFIX = ".partial"
STATE_SUFFIX = ".partial.json"


@dataclass
class ResumePoint:
    """How far a job had got when its partial output was last made durable."""

    lines: int = 0
    output_bytes: int = 0
    input_bytes: int = 0
    input_sha256: str = ""
    output_sha256: str = hashlib.sha256().hexdigest()  # of the first output_bytes of OUT.partial


def _same_file(a: Path, b: Path) -> bool:
    try:
        return a.exists() and b.exists() and os.path.samefile(a, b)
    except OSError:
        return False


def check_output_path(output: Path, inputs: list[Path], overwrite: bool) -> None:
    """Fail before any work when `output` cannot (or must not) be written."""
    if not output.name or output.is_dir():  # ".", "./", "/", "": a folder, never a file name
        raise InputError(f"output {str(output) or repr('')} is a directory; give a file name")
    for path in inputs:
        for candidate in (output, partial_path(output), state_path(output)):
            if _same_file(candidate, path) or candidate.resolve() == path.resolve():
                raise InputError(f"output {output} is the input file {path}; write the output somewhere else")
    if output.is_dir():
        raise InputError(f"output {output} is a directory")
    parent = output.parent
    if not parent.is_dir():
        raise InputError(f"cannot write {output}: folder {parent} does not exist")
    if not os.access(parent, os.W_OK):
        raise InputError(f"cannot write {output}: folder {parent} is not writable")
    if output.exists() and is_regular(output) and not overwrite:
        raise InputError(f"{output} already exists; use --overwrite to replace it when the run completes")


def is_regular(path: Path) -> bool:
    """A path that is (or will be) a regular file; devices and pipes are written directly."""
    try:
        return stat.S_ISREG(path.stat().st_mode)
    except FileNotFoundError:
        return True


def partial_path(output: Path) -> Path:
    return output.with_name(output.name + PARTIAL_SUFFIX)


def state_path(output: Path) -> Path:
    return output.with_name(output.name + STATE_SUFFIX)


class PartialOutput:
    """A text output written through `OUT.partial` (see the module docstring).

    `start` begins a new job or, with `resume=True`, continues the one recorded beside OUT;
    `resumed` then holds where it stopped. `fingerprint` (JSON-able) names what produces the
    lines: a job resumes only with the same one.
    """

    def __init__(self, output: Path, fingerprint: dict[str, Any], handle: BinaryIO, resumed: ResumePoint,
                 may_replace: bool = False, digest: "hashlib._Hash | None" = None) -> None:
        self.output = output
        self.fingerprint = fingerprint
        self.may_replace = may_replace  # the job was started with --overwrite
        self._handle = handle
        self._digest = digest or hashlib.sha256()  # of everything written to the partial file
        self.resumed = resumed
        self.last = resumed  # the last durable checkpoint
        self._pending = resumed  # what has been appended since
        self._last_sync = 0.0  # the first chunk is made durable at once

    @classmethod
    def start(cls, output: Path, fingerprint: dict[str, Any], resume: bool = False,
              overwrite: bool = False) -> "PartialOutput":
        partial, state_file = partial_path(output), state_path(output)
        if partial.exists() or state_file.exists():
            if not resume:
                raise InputError(
                    f"{partial} holds an interrupted run: add --resume to continue it, or delete "
                    f"{partial} and {state_file.name} to start over"
                )
            try:
                handle = open(partial, "r+b")
            except FileNotFoundError:
                raise InputError(f"cannot resume: {partial} is missing; delete {state_file} to start over") from None
            _lock(handle, output)  # before anything is read or cut: another job may be writing it
            try:
                checkpoint, may_replace = cls._read_state(state_file, fingerprint)
                if output.exists() and is_regular(output) and not (overwrite or may_replace):
                    raise InputError(f"{output} appeared after the run was interrupted; the run was started without "
                                     "--overwrite, so it will not replace it: add --overwrite, or move the file")
                digest = _verified_prefix(handle, partial, checkpoint)
            except BaseException:
                handle.close()
                raise
            handle.truncate(checkpoint.output_bytes)  # lines written after the last checkpoint
            handle.seek(checkpoint.output_bytes)
            return cls(output, fingerprint, handle, checkpoint, may_replace or overwrite, digest)
        try:
            handle = open(partial, "xb")
        except FileExistsError:
            raise InputError(f"{partial} appeared meanwhile: another job writes {output}") from None
        except OSError as exc:
            raise OutputError(f"cannot write {partial}: {exc.strerror}") from None
        _lock(handle, output)
        job = cls(output, fingerprint, handle, ResumePoint(), may_replace=overwrite)
        try:
            job._write_state(job.last)
        except OSError as exc:
            # A full disk before the first record: nothing is left behind to block a later run.
            handle.close()
            for leftover in (partial, state_path(output), state_path(output).with_name(state_path(output).name + ".tmp")):
                leftover.unlink(missing_ok=True)
            raise OutputError(f"cannot write {state_path(output)}: {exc.strerror}") from None
        return job

    @staticmethod
    def _read_state(state_file: Path, fingerprint: dict[str, Any]) -> tuple[ResumePoint, bool]:
        try:
            record = json.loads(state_file.read_text(encoding="utf-8"))
            if record.get("version") != STATE_VERSION:
                raise InputError(f"cannot resume: {state_file} was written by another version of s2s-onnx; delete it "
                                 "and the partial output to start over")
            checkpoint = ResumePoint(**record["checkpoint"])
            if not all(isinstance(getattr(checkpoint, f), t) for f, t in
                       (("lines", int), ("output_bytes", int), ("input_bytes", int), ("input_sha256", str),
                        ("output_sha256", str))) \
                    or min(checkpoint.lines, checkpoint.output_bytes, checkpoint.input_bytes) < 0 \
                    or not isinstance(record.get("may_replace"), bool):
                raise ValueError("bad record")
            previous = record["fingerprint"]
        except FileNotFoundError:
            raise InputError(f"cannot resume: {state_file} is missing; delete the partial output to start over") from None
        except (OSError, ValueError, KeyError, TypeError):
            raise InputError(f"cannot resume: {state_file} is damaged; delete it and the partial output to start over") from None
        changed = sorted(k for k in set(previous) | set(fingerprint) if previous.get(k) != fingerprint.get(k))
        # A run stopped by invalid UTF-8 under --errors strict may go on with --errors replace:
        # every line it translated was valid UTF-8, which both settings read alike.
        if changed == ["errors"] and (previous["errors"], fingerprint["errors"]) == ("strict", "replace"):
            changed = []
        if changed:
            raise InputError(f"cannot resume: the interrupted run used other settings ({', '.join(changed)}); "
                             "rerun it with the same model and options, or start over")
        return checkpoint, record["may_replace"]

    def _write_state(self, checkpoint: ResumePoint) -> None:
        state_file = state_path(self.output)
        temporary = state_file.with_name(state_file.name + ".tmp")
        record = {"version": STATE_VERSION, "fingerprint": self.fingerprint, "may_replace": self.may_replace,
                  "checkpoint": asdict(checkpoint)}
        with open(temporary, "w", encoding="utf-8") as handle:
            handle.write(json.dumps(record) + "\n")
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, state_file)

    def append(self, lines: list[str], lines_done: int, input_bytes: int, input_sha256: str) -> None:
        """Write `lines`, which bring the job to `lines_done` input lines (`input_bytes` bytes of
        input, whose sha256 is `input_sha256`): the next checkpoint records exactly that."""
        data = "".join(line + "\n" for line in lines).encode("utf-8")
        try:
            self._handle.write(data)
        except OSError as exc:
            raise OutputError(f"cannot write {partial_path(self.output)}: {exc.strerror}") from None
        self._digest.update(data)
        self._pending = ResumePoint(lines_done, self._pending.output_bytes + len(data), input_bytes, input_sha256,
                                   self._digest.hexdigest())

    def sync(self, every_seconds: float = 0.0) -> None:
        """Make what was appended durable and record it (at most once every `every_seconds`)."""
        if every_seconds and time.monotonic() - self._last_sync < every_seconds:
            return
        if self._pending == self.last:
            return
        try:
            self._handle.flush()
            os.fsync(self._handle.fileno())
            self._write_state(self._pending)
        except OSError as exc:
            raise OutputError(f"cannot write {partial_path(self.output)}: {exc.strerror}") from None
        self.last = self._pending
        self._last_sync = time.monotonic()

    def finish(self) -> None:
        """Last checkpoint, then OUT appears, complete, in one rename."""
        self.sync()
        self._handle.close()
        try:
            os.replace(partial_path(self.output), self.output)
        except OSError as exc:
            raise OutputError(f"cannot write {self.output}: {exc.strerror}") from None
        state_path(self.output).unlink(missing_ok=True)
        fsync_directory(self.output.parent)

    def close(self) -> None:
        """Stop without finishing: the partial output is cut back to the last checkpoint."""
        if self._handle.closed:
            return
        try:
            self._handle.flush()
            self._handle.truncate(self.last.output_bytes)
        except OSError:
            pass  # the next --resume cuts it back instead
        self._handle.close()


def _lock(handle: BinaryIO, output: Path) -> None:
    """Hold an exclusive lock on the partial file for the job's life: a second job on the same
    output (a --resume started while the first still runs) is refused before it touches anything."""
    try:
        import fcntl
    except ImportError:  # Windows: the exclusive create of the partial file is the only guard
        return
    try:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        handle.close()
        raise InputError(f"another running job is writing {output} (it holds {partial_path(output)}); wait for it, "
                         "or stop it first") from None


def _verified_prefix(handle: BinaryIO, partial: Path, checkpoint: ResumePoint) -> "hashlib._Hash":
    """The sha256 state of the partial file's recorded prefix, after checking that prefix against
    the record: its length, its sha256 and one line per input line (a hand-edited or damaged
    record must not give a silently wrong output)."""
    size = os.fstat(handle.fileno()).st_size
    if size < checkpoint.output_bytes:
        raise InputError(f"cannot resume: {partial} is shorter than its record says; delete it to start over")
    digest, newlines, left = hashlib.sha256(), 0, checkpoint.output_bytes
    handle.seek(0)
    while left:
        block = handle.read(min(left, 1 << 20))
        if not block:
            break
        digest.update(block)
        newlines += block.count(b"\n")
        left -= len(block)
    if digest.hexdigest() != checkpoint.output_sha256 or newlines != checkpoint.lines:
        raise InputError(f"cannot resume: {partial} does not match its record ({state_path(partial.with_suffix(''))} "
                         "was edited, or the file damaged); delete both to start over")
    return digest
