"""A folder of mixed files, file by file: outputs whole or absent, malformed files reported and
skipped, --resume redoing only what is missing, the bytes of translating each file alone."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from s2s.runtime.cli.translate import main

pytest.importorskip("polib")
pytest.importorskip("srt")

PO = 'msgid ""\nmsgstr ""\n"Content-Type: text/plain; charset=UTF-8\\n"\n\nmsgid "one two ."\nmsgstr ""\n'
SRT = "1\n00:00:01,000 --> 00:00:02,000\nthree four .\n"


@pytest.fixture
def folder(tmp_path):
    source = tmp_path / "in"
    source.mkdir()
    (source / "a.po").write_text(PO, encoding="utf-8")
    (source / "b.srt").write_text(SRT, encoding="utf-8")
    (source / "c.txt").write_text("five six .\n\nseven .\n", encoding="utf-8")
    (source / "d.po").write_text("hello world\n", encoding="utf-8")  # malformed
    (source / "e.txt").write_bytes(b"\xff\xfe\n")  # not UTF-8
    (source / ".hidden").write_text("x", encoding="utf-8")
    return source


def _run(bundle, *args):
    return CliRunner().invoke(main, ["-m", str(bundle), "-q", *map(str, args)])


def test_each_file_as_translated_alone_and_the_bad_ones_reported(bundle_factory, folder, tmp_path):
    bundle = bundle_factory("gru", "bahdanau")
    out = tmp_path / "out"
    result = _run(bundle, "-i", folder, "-o", out)
    assert result.exit_code == 2
    errors = [line for line in result.stderr.splitlines() if line.startswith("s2s-translate: error:")]
    assert len(errors) == 3 and "d.po" in errors[0] and "e.txt" in errors[1] and "2 file(s)" in errors[2]
    assert sorted(p.name for p in out.iterdir()) == ["a.po", "b.srt", "c.txt"]  # nothing half-written
    for name in ("a.po", "b.srt", "c.txt"):
        alone = _run(bundle, "-i", folder / name, "-o", tmp_path / f"alone-{name}")
        assert alone.exit_code == 0 and (out / name).read_bytes() == (tmp_path / f"alone-{name}").read_bytes()


def test_resume_redoes_only_what_is_missing_and_outputs_are_never_replaced_unasked(bundle_factory, folder, tmp_path):
    bundle = bundle_factory("gru", "bahdanau")
    for bad in ("d.po", "e.txt"):
        (folder / bad).unlink()
    out = tmp_path / "out"
    assert _run(bundle, "-i", folder, "-o", out).exit_code == 0
    first = {p.name: p.read_bytes() for p in out.iterdir()}
    (out / "b.srt").unlink()  # as if the job had been killed while on it
    (out / "c.txt").write_text("MY EDITS\n", encoding="utf-8")
    refused = _run(bundle, "-i", folder, "-o", out)
    assert refused.exit_code == 2 and "--resume" in refused.stderr
    assert _run(bundle, "-i", folder, "-o", out, "--resume").exit_code == 0
    assert (out / "b.srt").read_bytes() == first["b.srt"] and (out / "c.txt").read_text() == "MY EDITS\n"
    assert _run(bundle, "-i", folder, "-o", out, "--overwrite").exit_code == 0
    assert {p.name: p.read_bytes() for p in out.iterdir()} == first


def test_a_folder_needs_an_output_folder(bundle_factory, folder, tmp_path):
    bundle = bundle_factory("gru", "bahdanau")
    assert "give an output folder" in _run(bundle, "-i", folder).stderr
    afile = tmp_path / "afile"
    afile.write_text("x")
    assert "must be a folder" in _run(bundle, "-i", folder, "-o", afile).stderr
    assert "is the input folder" in _run(bundle, "-i", folder, "-o", folder).stderr


@pytest.mark.slow
def test_workers_translate_files_side_by_side_into_the_same_bytes(bundle_factory, folder, tmp_path):
    bundle = bundle_factory("gru", "bahdanau")
    for name in "fghij":  # more files than workers, so they run side by side
        (folder / f"{name}.txt").write_text(f"one {name} two .\nthree .\n", encoding="utf-8")
    one, two = tmp_path / "one", tmp_path / "two"
    alone = _run(bundle, "-i", folder, "-o", one)
    side_by_side = _run(bundle, "-i", folder, "-o", two, "--workers", "2", "--threads", "1")
    assert alone.exit_code == side_by_side.exit_code == 2  # the two bad files, reported by both
    errors = [line for line in side_by_side.stderr.splitlines() if line.startswith("s2s-translate: error:")]
    assert len(errors) == 3 and "d.po" in errors[0] and "e.txt" in errors[1]  # in the files' order
    assert sorted(p.name for p in two.iterdir()) == sorted(p.name for p in one.iterdir())
    assert all((two / p.name).read_bytes() == p.read_bytes() for p in one.iterdir())


def test_a_file_that_raises_anything_is_reported_and_the_job_goes_on(bundle_factory, folder, tmp_path, monkeypatch):
    from s2s.runtime.documents.po import PoFormat

    def broken(self, data):
        raise KeyError("a bug on this file")  # not the project's own error: it ended the job with a traceback

    monkeypatch.setattr(PoFormat, "extract", broken)
    out = tmp_path / "out"
    result = _run(bundle_factory("gru", "bahdanau"), "-i", folder, "-o", out)
    assert result.exit_code == 2 and "Traceback" not in result.stderr
    assert "a.po: internal error (KeyError" in result.stderr and "d.po: internal error" in result.stderr
    assert sorted(p.name for p in out.iterdir()) == ["b.srt", "c.txt"]  # the files after a.po were translated


def test_resume_removes_what_a_killed_job_left_half_written(bundle_factory, folder, tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    (out / ".c.txt.k3x9q1.partial").write_text("half", encoding="utf-8")  # kill -9 during c.txt
    (out / ".notes.partial").write_text("the user's", encoding="utf-8")  # not this job's: left alone
    _run(bundle_factory("gru", "bahdanau"), "-i", folder, "-o", out, "--resume")
    assert sorted(p.name for p in out.iterdir()) == [".notes.partial", "a.po", "b.srt", "c.txt"]


def test_links_pipes_and_odd_names_are_said_and_quoted(bundle_factory, folder, tmp_path):
    import os

    os.symlink(folder / "c.txt", folder / "link.txt")
    os.mkfifo(folder / "pipe.txt")
    (folder / "bad\nname.po").write_text("not a catalogue\n", encoding="utf-8")
    result = _run(bundle_factory("gru", "bahdanau"), "-i", folder, "-o", tmp_path / "out")
    assert "left 2 entries that are not regular files (links, pipes, devices): link.txt, pipe.txt" in result.stderr
    error = next(line for line in result.stderr.splitlines() if "bad" in line)
    assert error.startswith('s2s-translate: error: "') and 'bad\\nname.po": not a readable' in error  # quoted, escaped


def test_each_files_warnings_are_reported_with_its_name(bundle_factory, folder, tmp_path, monkeypatch):
    import s2s.runtime.batch.folder_job as folder_job
    from s2s.runtime.documents import DocumentResult

    real = folder_job.translate_document

    def lossy(translator, path, *args, **kwargs):
        result = real(translator, path, *args, **kwargs)
        return DocumentResult(result.data, result.segments, kept_source=2 if path.name == "a.po" else 0)

    monkeypatch.setattr(folder_job, "translate_document", lossy)
    result = _run(bundle_factory("gru", "bahdanau"), "-i", folder, "-o", tmp_path / "out")
    warnings = [line for line in result.stderr.splitlines() if "warning" in line]
    assert any(line.endswith("a.po: 2 segment(s) kept their source text: their translation lost a format placeholder or a link")
               for line in warnings), result.stderr  # a folder job said nothing of them
