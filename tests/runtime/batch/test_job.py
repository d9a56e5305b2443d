"""Batch translation a user can trust: nothing lost, resumable after any kill, batch-invariant."""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from s2s.runtime import Translator
from s2s.runtime.cli.translate import main

SCRIPT = Path(sys.executable).parent / "s2s-translate"


@pytest.fixture(scope="module")
def bundle(bundle_factory):
    return bundle_factory("gru", "luong", quantize="int8")


@pytest.fixture(scope="module")
def big_input(tmp_path_factory, make_pairs):
    path = tmp_path_factory.mktemp("input") / "in.txt"
    lines = [s for s, _ in make_pairs(9000, seed=5, min_len=1, max_len=10)]
    lines[7] = ""  # empty lines stay empty lines
    path.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
    return path


def run(*args, input=None):
    return CliRunner().invoke(main, [str(a) for a in args], input=input)


def user_error(result, fragment: str) -> None:
    assert result.exit_code == 2, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("s2s-translate: error:") and fragment in lines[0], result.stderr


def reference_output(bundle, big_input, tmp_path) -> bytes:
    out = tmp_path / "reference.txt"
    result = run("-m", bundle, "-i", big_input, "-o", out, "-q")
    assert result.exit_code == 0, result.output
    return out.read_bytes()


def test_output_onto_the_input_is_refused(bundle, tmp_path):
    source = tmp_path / "same.txt"
    source.write_text("one.\ntwo.\n")
    user_error(run("-m", bundle, "-i", source, "-o", source, "--overwrite"), "is the input file")
    os.link(source, tmp_path / "hardlink.txt")
    user_error(run("-m", bundle, "-i", source, "-o", tmp_path / "hardlink.txt", "--overwrite"), "is the input file")
    assert source.read_text() == "one.\ntwo.\n"


def test_existing_output_is_untouched_unless_the_run_completes(bundle, tmp_path):
    out = tmp_path / "out.txt"
    out.write_text("precious\n")
    user_error(run("-m", bundle, "-i", tmp_path / "missing.txt", "-o", out, "--overwrite"), "not found")
    user_error(run("-m", bundle, "-i", tmp_path, "-o", out, "--overwrite"), "must be a folder")
    user_error(run("-m", bundle, "one.", "-o", out), "--overwrite")
    bad = tmp_path / "bad.txt"
    bad.write_bytes(b"one.\n\xff two.\n")
    user_error(run("-m", bundle, "-i", bad, "-o", out, "--overwrite"), "line 2: invalid UTF-8")
    assert out.read_text() == "precious\n"
    good = tmp_path / "good.txt"
    good.write_text("one.\n")
    (tmp_path / "out.txt.partial").unlink()  # the failed run's partial output (see the resume tests)
    (tmp_path / "out.txt.partial.json").unlink()
    assert run("-m", bundle, "-i", good, "-o", out, "--overwrite").exit_code == 0
    assert out.read_text() == Translator.load(bundle).translate(["one."])[0] + "\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bad.txt", "good.txt", "out.txt"]


def test_bad_output_places_fail_before_any_work(bundle, tmp_path):
    user_error(run("-m", bundle, "one.", "-o", tmp_path / "no" / "such" / "out.txt"), "does not exist")
    user_error(run("-m", bundle, "one.", "-o", tmp_path), "is a directory")
    if Path("/dev/full").exists():
        user_error(run("-m", bundle, "one.", "-o", "/dev/full"), "cannot write")


def _start(bundle, big_input, out, *extra):
    return subprocess.Popen([str(SCRIPT), "-m", str(bundle), "-i", str(big_input), "-o", str(out), "-q",
                             "--batch-size", "16", *extra], stderr=subprocess.PIPE, text=True)


def _wait_for_checkpoint(process, out: Path) -> int:
    state = out.with_name(out.name + ".partial.json")
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and process.poll() is None:
        try:
            lines = json.loads(state.read_text())["checkpoint"]["lines"]
        except (OSError, ValueError, KeyError):
            lines = 0
        if lines > 0:
            return lines
        time.sleep(0.005)
    pytest.fail("the run made no checkpoint before it ended")


@pytest.mark.parametrize("how", [signal.SIGKILL, signal.SIGTERM])
def test_killed_run_resumes_to_the_uninterrupted_bytes(bundle, big_input, tmp_path, how):
    expected = reference_output(bundle, big_input, tmp_path)
    out = tmp_path / "out.txt"
    process = _start(bundle, big_input, out)
    _wait_for_checkpoint(process, out)
    process.send_signal(how)
    _, stderr = process.communicate(timeout=60)
    assert process.returncode == -signal.SIGKILL if how == signal.SIGKILL else process.returncode == 128 + how
    if how == signal.SIGTERM:
        assert "continue with --resume" in stderr
    assert not out.exists()  # nothing that looks finished
    user_error(run("-m", bundle, "-i", big_input, "-o", out), "--resume")
    result = run("-m", bundle, "-i", big_input, "-o", out, "--resume", "--batch-size", "64")
    assert result.exit_code == 0, result.output
    assert "done before" in result.stderr  # it continued; it did not start over
    assert out.read_bytes() == expected
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.txt", "reference.txt"]


def test_resume_refuses_a_changed_input_or_other_options(bundle, big_input, tmp_path):
    out = tmp_path / "out.txt"
    process = _start(bundle, big_input, out)
    _wait_for_checkpoint(process, out)
    process.kill()
    process.wait(timeout=60)
    user_error(run("-m", bundle, "-i", big_input, "-o", out, "--resume", "--beam-size", "2"), "beam_size")
    changed = tmp_path / "changed.txt"
    changed.write_bytes(b"zero." + big_input.read_bytes()[4:])
    user_error(run("-m", bundle, "-i", changed, "-o", out, "--resume"), "not the input")


def test_workers_write_what_one_process_writes(bundle, big_input, tmp_path):
    expected = reference_output(bundle, big_input, tmp_path)
    out = tmp_path / "two.txt"
    result = run("-m", bundle, "-i", big_input, "-o", out, "--workers", "2", "--threads", "1", "-q")
    assert result.exit_code == 0, result.output
    assert out.read_bytes() == expected


def test_a_megabyte_line_tokenises_in_linear_time(bundle, make_pairs, tmp_path):
    from s2s.runtime.decoding.tokenizer import Tokenizer
    from s2s.training.tokenization import train_tokenizer

    texts = [s for s, _ in make_pairs(500, seed=4)]
    train_tokenizer(texts, "bpe", 120).save(str(tmp_path / "bpe.json"))
    tokenizer, limit = Tokenizer.from_file(tmp_path / "bpe.json"), 128
    started = time.perf_counter()
    assert len(tokenizer.encode("seventhree" * 100_000, max_tokens=limit + 1)) >= limit + 1
    # Quadratic BPE took hours on such a line; a generous bound keeps this test robust on slow machines.
    assert time.perf_counter() - started < 5
    # The cut never changes an input that fits.
    for text in texts[:50] + ["seven" * (limit // 4), "  four\tfive  ", "x" * limit]:
        assert tokenizer.encode(text, max_tokens=limit + 1) == tokenizer.encode(text)
    translator = Translator.load(bundle)
    assert translator.translate_results(["one " * 300_000])[0].truncated


def test_resume_with_nothing_to_resume_keeps_an_existing_output(bundle, tmp_path):
    source, out = tmp_path / "in.txt", tmp_path / "out.txt"
    source.write_text("one.\n")
    out.write_text("finished yesterday\n")
    user_error(run("-m", bundle, "-i", source, "-o", out, "--resume"), "--overwrite")
    assert out.read_text() == "finished yesterday\n"


def test_jsonl_with_n_best_is_the_same_bytes_from_workers_and_across_batch_sizes(bundle, big_input, tmp_path):
    source = tmp_path / "in.txt"
    source.write_text("".join(big_input.read_text(encoding="utf-8").splitlines(keepends=True)[:1500]), encoding="utf-8")
    rich = ["--format", "jsonl", "--beam-size", "2", "--n-best", "2", "--alignment", "argmax", "-q"]
    outputs = []
    for name, extra in (("one", ["--batch-size", "64"]), ("small", ["--batch-size", "7"]),
                        ("workers", ["--workers", "2", "--threads", "1"])):
        result = run("-m", bundle, "-i", source, "-o", tmp_path / f"{name}.jsonl", *rich, *extra)
        assert result.exit_code == 0, result.output
        outputs.append((tmp_path / f"{name}.jsonl").read_bytes())
    assert outputs[0] == outputs[1] == outputs[2]
    records = [json.loads(line) for line in outputs[0].decode("utf-8").splitlines()]
    assert len(records) == 1500 and all(len(r["n_best"]) <= 2 for r in records)


def _children(pid: int) -> list[int]:
    """Process ids whose parent is `pid` (Linux /proc)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == pid:
                found.append(int(entry.name))
    return found


def _workers_of(process: subprocess.Popen, count: int) -> list[int]:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        workers = [p for p in _children(process.pid)
                   if "multiprocessing.spawn" in Path(f"/proc/{p}/cmdline").read_bytes().decode(errors="replace")
                   and "resource_tracker" not in Path(f"/proc/{p}/cmdline").read_bytes().decode(errors="replace")]
        if len(workers) >= count:
            return workers
        time.sleep(0.05)
    pytest.fail("the workers did not start")


@pytest.mark.slow
def test_a_killed_worker_stops_the_job_with_one_line_and_resume_is_identical(bundle, big_input, tmp_path):
    expected = reference_output(bundle, big_input, tmp_path)
    out = tmp_path / "out.txt"
    process = subprocess.Popen([str(SCRIPT), "-m", str(bundle), "-i", str(big_input), "-o", str(out), "--workers", "2",
                                "--threads", "1", "-q"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    workers = _workers_of(process, 2)
    _wait_for_checkpoint(process, out)
    os.kill(workers[0], signal.SIGKILL)
    _, stderr = process.communicate(timeout=60)  # it used to hang here for ever
    errors = [line for line in stderr.splitlines() if line.startswith("s2s-translate: error:")]
    assert process.returncode == 2 and len(errors) == 1 and "worker process ended unexpectedly" in errors[0]
    assert "Traceback" not in stderr
    deadline = time.monotonic() + 5
    while any(Path(f"/proc/{w}").exists() for w in workers) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not [w for w in workers if Path(f"/proc/{w}").exists()]  # the other worker ended too
    result = run("-m", bundle, "-i", big_input, "-o", out, "--resume", "--workers", "2", "--threads", "1", "-q")
    assert result.exit_code == 0, result.output
    assert out.read_bytes() == expected


@pytest.mark.slow
def test_no_worker_outlives_a_killed_job(bundle, big_input, tmp_path):
    out = tmp_path / "out.txt"
    process = subprocess.Popen([str(SCRIPT), "-m", str(bundle), "-i", str(big_input), "-o", str(out), "--workers", "2",
                                "--threads", "1", "-q"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    workers = _workers_of(process, 2)
    process.kill()
    process.wait(timeout=30)
    deadline = time.monotonic() + 5
    while any(Path(f"/proc/{w}").exists() for w in workers) and time.monotonic() < deadline:
        time.sleep(0.05)
    alive = [w for w in workers if Path(f"/proc/{w}").exists() and "Z" not in Path(f"/proc/{w}/stat").read_text()
             .rsplit(")", 1)[1].split()[0]]
    assert alive == []


def test_workers_are_capped_at_the_cores_and_say_so(bundle, tmp_path):
    source = tmp_path / "in.txt"
    source.write_text("one two .\n" * 20, encoding="utf-8")
    result = run("-m", bundle, "-i", source, "-o", tmp_path / "out.txt", "--workers", "1000", "-q")
    assert result.exit_code == 0, result.output
    assert f"using {os.cpu_count()}, one per core" in result.stderr


def _interrupted(bundle, big_input, out) -> None:
    process = _start(bundle, big_input, out)
    _wait_for_checkpoint(process, out)
    process.kill()
    process.wait(timeout=60)


def test_resume_never_replaces_a_file_that_appeared_after_the_interruption(bundle, big_input, tmp_path):
    out = tmp_path / "out.txt"
    _interrupted(bundle, big_input, out)
    out.write_text("IMPORTANT USER DATA\n", encoding="utf-8")
    user_error(run("-m", bundle, "-i", big_input, "-o", out, "--resume"), "appeared after the run was interrupted")
    assert out.read_text(encoding="utf-8") == "IMPORTANT USER DATA\n"
    result = run("-m", bundle, "-i", big_input, "-o", out, "--resume", "--overwrite", "-q")
    assert result.exit_code == 0 and out.read_bytes() == reference_output(bundle, big_input, tmp_path)


def test_a_run_started_with_overwrite_resumes_without_it(bundle, big_input, tmp_path):
    out = tmp_path / "out.txt"
    out.write_text("old\n", encoding="utf-8")
    process = _start(bundle, big_input, out, "--overwrite")
    _wait_for_checkpoint(process, out)
    process.kill()
    process.wait(timeout=60)
    assert out.read_text(encoding="utf-8") == "old\n"  # still the old file until the run completes
    result = run("-m", bundle, "-i", big_input, "-o", out, "--resume", "-q")
    assert result.exit_code == 0, result.output


@pytest.mark.parametrize("edit", ["output_bytes", "lines", "partial"])
def test_an_edited_record_or_partial_output_is_refused_not_trusted(bundle, big_input, tmp_path, edit):
    out = tmp_path / "out.txt"
    _interrupted(bundle, big_input, out)
    state = out.with_name("out.txt.partial.json")
    record = json.loads(state.read_text())
    if edit == "partial":
        data = bytearray(out.with_name("out.txt.partial").read_bytes())
        data[0] = ord("#")
        out.with_name("out.txt.partial").write_bytes(bytes(data))
    else:
        record["checkpoint"][edit] -= 1
        state.write_text(json.dumps(record))
    user_error(run("-m", bundle, "-i", big_input, "-o", out, "--resume"), "")
    assert not out.exists()


def test_a_second_job_on_the_same_output_is_refused_while_the_first_runs(bundle, big_input, tmp_path):
    out = tmp_path / "out.txt"
    process = _start(bundle, big_input, out)
    _wait_for_checkpoint(process, out)
    second = run("-m", bundle, "-i", big_input, "-o", out, "--resume")
    process.wait(timeout=120)
    user_error(second, "another running job is writing")
    assert process.returncode == 0 and out.read_bytes() == reference_output(bundle, big_input, tmp_path)
    assert not out.with_name("out.txt.partial.json").exists()


def test_chunks_take_about_two_seconds_whatever_the_decoding_costs():
    """Progress lines and durable checkpoints every few seconds: a 1,024-line chunk of beam 5
    used to take 16 s (no progress line, nothing durable meanwhile)."""
    from s2s.runtime.batch.job import _ChunkSize

    size = _ChunkSize(1024, adaptive=True)
    assert size.lines == 64  # the first chunk is small: its pace is not known yet
    size.took(64, 8.0)  # 8 lines/s (beam search on long sentences)
    assert size.lines == 16
    size.took(16, 0.001)  # very fast: capped
    assert size.lines == 1024
    size.took(1000, 1000.0)  # never below a few lines
    assert size.lines == 8
    fixed = _ChunkSize(1024, adaptive=False)  # workers get fixed chunks
    fixed.took(10, 100.0)
    assert fixed.lines == 1024


def test_a_run_stopped_by_invalid_utf8_goes_on_with_errors_replace(bundle, tmp_path):
    source = tmp_path / "in.txt"
    source.write_bytes(b"one two .\n" * 3000 + b"three \xff .\n" + b"four .\n" * 10)
    out = tmp_path / "out.txt"
    user_error(run("-m", bundle, "-i", source, "-o", out), "invalid UTF-8")
    resumed = run("-m", bundle, "-i", source, "-o", out, "--resume", "--errors", "replace", "-q")
    assert resumed.exit_code == 0, resumed.output
    whole = tmp_path / "whole.txt"
    assert run("-m", bundle, "-i", source, "-o", whole, "--errors", "replace", "-q").exit_code == 0
    assert out.read_bytes() == whole.read_bytes()
    strict_again = tmp_path / "strict.txt"
    user_error(run("-m", bundle, "-i", source, "-o", strict_again), "invalid UTF-8")
    user_error(run("-m", bundle, "-i", source, "-o", strict_again, "--resume", "--beam-size", "2"), "beam_size")
