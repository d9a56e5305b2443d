"""Durable outputs: OUT appears only when a job finishes; an interrupted job's partial output and
record let a resumed one continue exactly where the last checkpoint was."""

from __future__ import annotations

import json

import pytest

from s2s.runtime.errors import InputError
from s2s.runtime.atomic import write_atomically
from s2s.runtime.batch.output_file import PartialOutput, partial_path, state_path

FINGERPRINT = {"model": "x", "beam_size": 1}


def test_out_appears_only_when_the_job_finishes(tmp_path):
    out = tmp_path / "out.txt"
    job = PartialOutput.start(out, FINGERPRINT)
    job.append(["un", "deux"], 2, 10, "sha-a")
    job.sync()
    assert not out.exists() and partial_path(out).read_text() == "un\ndeux\n"
    job.finish()
    assert out.read_text() == "un\ndeux\n" and not partial_path(out).exists() and not state_path(out).exists()


def test_resume_cuts_what_came_after_the_last_checkpoint(tmp_path):
    out = tmp_path / "out.txt"
    job = PartialOutput.start(out, FINGERPRINT)
    job.append(["un"], 1, 5, "sha-a")
    job.sync()
    job.append(["deux"], 2, 10, "sha-b")  # written, never made durable: a kill here
    job._handle.flush()
    del job
    resumed = PartialOutput.start(out, FINGERPRINT, resume=True)
    assert resumed.resumed.lines == 1 and partial_path(out).read_text() == "un\n"
    resumed.append(["deux"], 2, 10, "sha-b")
    resumed.finish()
    assert out.read_text() == "un\ndeux\n"


def test_other_settings_or_no_resume_are_refused(tmp_path):
    out = tmp_path / "out.txt"
    job = PartialOutput.start(out, FINGERPRINT)
    job.append(["un"], 1, 5, "sha-a")
    job.sync()
    job.close()
    with pytest.raises(InputError, match="--resume"):
        PartialOutput.start(out, FINGERPRINT)
    with pytest.raises(InputError, match="beam_size"):
        PartialOutput.start(out, {**FINGERPRINT, "beam_size": 5}, resume=True)
    record = json.loads(state_path(out).read_text())
    assert record["version"] == 2 and record["may_replace"] is False


def test_write_atomically_leaves_nothing_behind_on_failure(tmp_path):
    out = tmp_path / "out.txt"
    out.write_text("old\n")

    def parts():
        yield b"new "
        raise InputError("the input went bad half-way")

    with pytest.raises(InputError):
        write_atomically(out, parts())
    assert out.read_text() == "old\n" and sorted(p.name for p in tmp_path.iterdir()) == ["out.txt"]


def test_a_full_disk_before_the_first_record_is_one_error_and_leaves_nothing(tmp_path, monkeypatch):
    import errno

    from s2s.runtime.errors import OutputError

    def full(self, checkpoint):
        record = state_path(self.output).with_name(state_path(self.output).name + ".tmp")
        record.write_text("{")  # what a write cut by ENOSPC leaves
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(PartialOutput, "_write_state", full)
    out = tmp_path / "out.txt"
    with pytest.raises(OutputError, match="No space left"):
        PartialOutput.start(out, FINGERPRINT)
    assert list(tmp_path.iterdir()) == []  # a later run (or --resume) is not blocked by debris
