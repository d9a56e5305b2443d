"""Only the output is touched, and reads are bounded: a document written to a pipe or device
goes into it (never replacing it), standard input is read no further than the limit, and a run
refused at start leaves nothing behind."""

from __future__ import annotations

import os
import stat
import sys
import threading

import pytest
from click.testing import CliRunner

from s2s.runtime.atomic import write_atomically
from s2s.runtime.cli.translate import main


@pytest.fixture(scope="module")
def bundle(bundle_factory):
    return bundle_factory("gru", "bahdanau")


def run(*args, input=None):
    return CliRunner().invoke(main, [str(a) for a in args], input=input)


def _drain(fifo, into: list[bytes]) -> threading.Thread:
    def read() -> None:
        with open(fifo, "rb") as handle:
            into.append(handle.read())

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    return reader


def test_an_atomic_write_onto_a_pipe_writes_into_it_and_leaves_the_pipe(tmp_path):
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    received: list[bytes] = []
    reader = _drain(fifo, received)
    write_atomically(fifo, b"translated\n")
    reader.join(10)
    assert received == [b"translated\n"] and stat.S_ISFIFO(fifo.stat().st_mode)  # was replaced by a file


def test_a_document_written_to_a_pipe_goes_into_it(bundle, tmp_path):
    pytest.importorskip("bs4")
    page, fifo = tmp_path / "page.html", tmp_path / "pipe"
    page.write_text("<p>one two.</p>", encoding="utf-8")
    os.mkfifo(fifo)
    received: list[bytes] = []
    reader = _drain(fifo, received)
    result = run("-m", bundle, "-i", page, "-o", fifo, "--overwrite")
    reader.join(10)
    assert result.exit_code == 0, result.output
    assert received and received[0].startswith(b"<p>") and stat.S_ISFIFO(fifo.stat().st_mode)


def test_a_document_on_standard_input_is_read_no_further_than_the_limit(bundle, monkeypatch):
    pytest.importorskip("bs4")
    import s2s.runtime.documents as documents

    monkeypatch.setattr(documents, "MAX_DOCUMENT_BYTES", 1000)
    result = run("-m", bundle, "--input-format", "html", input=b"<p>" + b"x" * 5000 + b"</p>")
    assert result.exit_code == 2 and "standard input" in result.stderr and len(result.stderr.splitlines()) == 1


def test_a_run_refused_for_want_of_matplotlib_leaves_nothing(bundle, tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # import matplotlib raises ImportError
    source, target, pictures = tmp_path / "in.txt", tmp_path / "out.txt", tmp_path / "pictures"
    source.write_text("one two.\n", encoding="utf-8")
    result = run("-m", bundle, "-i", source, "-o", target, "--plot-attention", pictures)
    assert result.exit_code == 2 and "matplotlib" in result.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.txt"]  # no OUT.partial, .partial.json or folder
