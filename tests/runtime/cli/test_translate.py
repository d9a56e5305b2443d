"""s2s-translate: the input modes, and one-line errors (exit code 2) for bad bundles and input."""

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from s2s.runtime import Translator
from s2s.runtime.bundle.reader import sha256_file
from s2s.runtime.cli.translate import main


@pytest.fixture(scope="module")
def bundle(bundle_factory):
    return bundle_factory("gru", "bahdanau")


def run(*args, input=None):
    return CliRunner().invoke(main, [str(a) for a in args], input=input)


def test_arguments(bundle):
    result = run("-m", bundle, "one two.", "three.")
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == Translator.load(bundle).translate(["one two.", "three."])


def test_stdin_to_stdout_keeps_line_count_and_empty_lines(bundle):
    result = run("-m", bundle, input="one two.\n\nthree.\n   \n")
    assert result.exit_code == 0, result.output
    lines = result.stdout.split("\n")
    assert len(lines) == 5 and lines[1] == "" and lines[3] == "" and lines[4] == ""
    assert "translated 4 sentences" in result.stderr


def test_files(bundle, tmp_path):
    source, target = tmp_path / "in.txt", tmp_path / "out.txt"
    source.write_text("one.\ntwo three.\n\nfour.\n", encoding="utf-8")
    result = run("-m", bundle, "-i", source, "-o", target, "--beam-size", "3", "--batch-size", "2")
    assert result.exit_code == 0, result.output
    assert len(target.read_text(encoding="utf-8").splitlines()) == 4


def test_zip_bundle_and_crlf_input(bundle, tmp_path):
    archive = shutil.make_archive(str(tmp_path / "b"), "zip", bundle)
    result = run("-m", archive, input="one.\r\ntwo.\r\n")
    assert result.exit_code == 0, result.output
    assert len(result.stdout.splitlines()) == 2


def user_error(result, *fragments):
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    line = result.output.strip().splitlines()[-1]
    assert line.startswith("s2s-translate: error:")
    for fragment in fragments:
        assert fragment in line, line


def test_invalid_utf8_names_the_line_or_is_replaced(bundle, tmp_path):
    path = tmp_path / "bad.txt"
    path.write_bytes(b"one.\ntwo \xff.\n")
    user_error(run("-m", bundle, "-i", path), "line 2", "UTF-8")
    result = run("-m", bundle, "-i", path, "--errors", "replace")
    assert result.exit_code == 0 and len(result.stdout.splitlines()) == 2


def test_missing_input_file(bundle, tmp_path):
    user_error(run("-m", bundle, "-i", tmp_path / "nope.txt"), "not found")


def test_missing_bundle(tmp_path):
    user_error(run("-m", tmp_path / "nothing", "x"), "not found")


def copy_of(bundle, tmp_path):
    copy = tmp_path / "bundle"
    shutil.copytree(bundle, copy)
    return copy


def test_missing_bundle_file(bundle, tmp_path):
    copy = copy_of(bundle, tmp_path)
    (copy / "decoder.onnx").unlink()
    user_error(run("-m", copy, "x"), "decoder.onnx is missing")


def test_checksum_mismatch(bundle, tmp_path):
    copy = copy_of(bundle, tmp_path)
    with open(copy / "target.tokenizer.json", "a") as handle:
        handle.write(" ")
    user_error(run("-m", copy, "x"), "checksum mismatch")


def test_newer_format(bundle, tmp_path):
    copy = copy_of(bundle, tmp_path)
    manifest = json.loads((copy / "model.json").read_text())
    manifest["format_version"] = 999
    (copy / "model.json").write_text(json.dumps(manifest))
    user_error(run("-m", copy, "x"), "newer", "upgrade")


def test_corrupt_onnx_with_matching_checksum(bundle, tmp_path):
    copy = copy_of(bundle, tmp_path)
    (copy / "encoder.onnx").write_bytes(b"this is not a protobuf")
    manifest = json.loads((copy / "model.json").read_text())
    manifest["files"]["encoder.onnx"] = {"sha256": sha256_file(copy / "encoder.onnx"),
                                         "bytes": (copy / "encoder.onnx").stat().st_size}
    (copy / "model.json").write_text(json.dumps(manifest))
    user_error(run("-m", copy, "x"), "cannot load", "encoder.onnx")


def test_not_a_bundle(tmp_path):
    (tmp_path / "file.txt").write_text("hello")
    user_error(run("-m", tmp_path / "file.txt", "x"), "neither a bundle directory nor a .zip")
    user_error(run("-m", tmp_path, "x"), "no model.json")


def test_cuda_without_gpu_is_a_clear_error(bundle):
    import onnxruntime

    if "CUDAExecutionProvider" in onnxruntime.get_available_providers():
        pytest.skip("a CUDA provider is available here")
    user_error(run("-m", bundle, "--device", "cuda", "x"), "onnxruntime-gpu")


def test_installed_console_script(bundle):
    script = Path(sys.executable).parent / "s2s-translate"  # installed beside the interpreter
    result = subprocess.run([str(script), "-m", str(bundle), "one."], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert len(result.stdout.splitlines()) == 1


def test_a_reader_that_goes_away_ends_the_job_quietly(bundle_factory, tmp_path):
    """`s2s-translate -i big.txt | head -1`: a closed pipe is not an error (no message, exit 141
    as a writer killed by SIGPIPE), where it used to print "cannot write the output" and exit 2."""
    import subprocess
    import sys

    source = tmp_path / "big.txt"
    source.write_text("one two three .\n" * 20000, encoding="utf-8")
    command = [sys.executable, "-c", "from s2s.runtime.cli.translate import main; main()", "-m",
               str(bundle_factory("gru", "bahdanau")), "-i", str(source), "-q"]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert process.stdout.readline()
    process.stdout.close()
    _, stderr = process.communicate(timeout=120)
    assert process.returncode == 141 and stderr == b""


@pytest.mark.parametrize("args, fragment", [(["--beam-size", "x", "hi"], "--beam-size"), (["--nope"], "--nope")])
def test_click_usage_errors_are_one_line_like_every_user_error(args, fragment):
    result = CliRunner().invoke(main, args, prog_name="s2s-translate")
    assert result.exit_code == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("s2s-translate: error:") and fragment in lines[0]
