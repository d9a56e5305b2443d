"""Models by name (s2s-models), and what every command shares: --version, one-line errors."""

import pytest
from click.testing import CliRunner

from s2s.runtime import Translator
from s2s.runtime.cli.translate import main as translate_cli
from s2s.runtime.cli.models import main as models_cli


@pytest.fixture
def store(tmp_path, monkeypatch):
    monkeypatch.setenv("S2S_MODELS_DIR", str(tmp_path / "models"))
    return tmp_path / "models"


def test_install_list_use_remove(bundle_factory, store, tmp_path, monkeypatch):
    bundle = bundle_factory("gru", "luong", quantize="int8")
    runner = CliRunner()
    result = runner.invoke(models_cli, ["install", str(bundle), "--name", "tiny"])
    assert result.exit_code == 0, result.output
    listing = runner.invoke(models_cli, ["list"]).stdout
    assert "tiny" in listing and "en→fr" in listing
    monkeypatch.chdir(tmp_path)  # found by name from any directory
    by_name = runner.invoke(translate_cli, ["-m", "tiny", "one two."])
    assert by_name.exit_code == 0 and by_name.stdout.splitlines() == Translator.load(bundle).translate(["one two."])
    again = runner.invoke(models_cli, ["install", str(bundle), "--name", "tiny"])
    assert again.exit_code == 2 and "--force" in again.stderr
    assert runner.invoke(models_cli, ["install", str(bundle), "--name", "tiny", "--force"]).exit_code == 0
    assert runner.invoke(models_cli, ["remove", "tiny"]).exit_code == 0
    gone = runner.invoke(translate_cli, ["-m", "tiny", "one."])
    assert gone.exit_code == 2 and "not found: tiny" in gone.stderr and "s2s-models install" in gone.stderr


def test_a_damaged_bundle_is_not_installed(bundle_factory, store, tmp_path):
    import shutil

    copy = tmp_path / "copy"
    shutil.copytree(bundle_factory("gru", "luong"), copy)
    with open(copy / "decoder.onnx", "ab") as handle:
        handle.write(b"\0")
    result = CliRunner().invoke(models_cli, ["install", str(copy)])
    assert result.exit_code == 2 and "checksum mismatch" in result.stderr
    assert not store.exists() or not any(store.iterdir())


@pytest.mark.parametrize("module,prog", [("s2s.runtime.cli.translate", "s2s-translate"), ("s2s.tools.eval_cli", "s2s-eval"),
                                         ("s2s.tools.bench_cli", "s2s-bench"), ("s2s.runtime.cli.models", "s2s-models"),
                                         ("s2s.training.cli", "s2s-train"), ("s2s.export.cli", "s2s-export")])
def test_every_command_has_version(module, prog):
    import importlib

    result = CliRunner().invoke(importlib.import_module(module).main, ["--version"])
    assert result.exit_code == 0 and result.output.startswith(f"{prog} (s2s-onnx) ")


def test_a_language_pair_picks_the_one_model_that_translates_it(bundle_factory, store):
    from pathlib import Path

    runner = CliRunner()
    german = Path(__file__).parents[3] / "models" / "deu-eng"
    assert runner.invoke(models_cli, ["install", str(german)]).exit_code == 0
    path = runner.invoke(models_cli, ["path", "deu-eng"])
    assert path.exit_code == 0 and path.stdout.strip() == str((store / "deu-eng").absolute())
    by_pair = runner.invoke(translate_cli, ["--source-lang", "de", "--target-lang", "en", "Ein Mann fährt Fahrrad."])
    assert by_pair.exit_code == 0, by_pair.output
    assert by_pair.stdout.splitlines() == Translator.load("deu-eng").translate(["Ein Mann fährt Fahrrad."])
    # Two models translate en→fr once the tiny one is installed too: the user must choose.
    assert runner.invoke(models_cli, ["install", str(bundle_factory("gru", "luong")), "--name", "tiny"]).exit_code == 0
    several = runner.invoke(translate_cli, ["--source-lang", "en", "--target-lang", "fr", "one."])
    assert several.exit_code == 2 and "several models" in several.stderr and "-m NAME" in several.stderr
    missing = runner.invoke(translate_cli, ["--source-lang", "xx", "one."])
    assert missing.exit_code == 2 and "no installed model translates xx→any" in missing.stderr
    assert runner.invoke(models_cli, ["path", "nothing"]).exit_code == 2


def test_one_wrapper_turns_project_errors_and_ctrl_c_into_one_line():
    import click

    from s2s.runtime.cli.command import user_errors
    from s2s.runtime.errors import InputError

    @click.command()
    @click.argument("what")
    def command(what):
        with user_errors("s2s-x"):
            raise {"error": InputError("no such thing"), "interrupt": KeyboardInterrupt(), "bug": KeyError("k")}[what]

    error = CliRunner().invoke(command, ["error"])
    assert (error.exit_code, error.stderr) == (2, "s2s-x: error: no such thing\n")
    interrupt = CliRunner().invoke(command, ["interrupt"])
    assert (interrupt.exit_code, interrupt.stderr) == (130, "s2s-x: interrupted\n")
    bug = CliRunner().invoke(command, ["bug"])
    assert isinstance(bug.exception, KeyError)  # a bug keeps its traceback


def test_the_old_out_spelling_is_one_line_naming_the_new_one(checkpoint_factory, tmp_path):
    from s2s.export.cli import main as export_cli

    result = CliRunner().invoke(export_cli, [str(checkpoint_factory("gru", "luong")), "--out", str(tmp_path / "b")])
    lines = result.stderr.strip().splitlines()
    assert result.exit_code == 2 and len(lines) == 1 and lines[0].endswith("error: --out was renamed: use -o/--output")
    assert not (tmp_path / "b").exists()
    missing = CliRunner().invoke(export_cli, [str(checkpoint_factory("gru", "luong"))])
    assert missing.exit_code == 2 and "Missing option '-o' / '--output'" in missing.output


def test_a_name_is_a_name_and_a_clash_with_a_local_folder_is_refused(bundle_factory, store, tmp_path, monkeypatch):
    import shutil

    bundle = bundle_factory("gru", "luong", quantize="int8")
    runner = CliRunner()
    assert runner.invoke(models_cli, ["install", str(bundle), "--name", "tiny"]).exit_code == 0
    monkeypatch.chdir(tmp_path)
    shutil.copytree(bundle_factory("gru", "bahdanau"), tmp_path / "tiny")  # another model, same name, right here
    clash = runner.invoke(translate_cli, ["-m", "tiny", "one ."])
    assert clash.exit_code == 2 and "both a model's name" in clash.stderr and "./tiny" in clash.stderr
    local = runner.invoke(translate_cli, ["-m", "./tiny", "one two ."])
    assert local.exit_code == 0
    assert local.stdout.splitlines() == Translator.load(tmp_path / "tiny").translate(["one two ."])


def test_the_packaged_models_name_cannot_be_taken(bundle_factory, store):
    from s2s.runtime.bundle.store import default_bundle_path

    if not (default_bundle_path() / "model.json").is_file():
        pytest.skip("no packaged model in this install")
    result = CliRunner().invoke(models_cli, ["install", str(bundle_factory("gru", "luong")), "--name",
                                             default_bundle_path().name])
    assert result.exit_code == 2 and "packaged" in result.stderr


def _refresh_digests(bundle) -> None:
    import hashlib
    import json

    manifest = json.loads((bundle / "model.json").read_text(encoding="utf-8"))
    for name in manifest["files"]:
        data = (bundle / name).read_bytes()
        manifest["files"][name] = {"sha256": hashlib.sha256(data).hexdigest(), "bytes": len(data)}
    (bundle / "model.json").write_text(json.dumps(manifest), encoding="utf-8")


@pytest.mark.parametrize("damage", ["swapped", "garbage"])
def test_a_bundle_whose_graphs_cannot_translate_is_not_installed(bundle_factory, store, tmp_path, damage):
    import shutil

    copy = tmp_path / "copy"
    shutil.copytree(bundle_factory("gru", "luong"), copy)
    encoder, decoder = (copy / "encoder.onnx").read_bytes(), (copy / "decoder.onnx").read_bytes()
    if damage == "swapped":
        (copy / "encoder.onnx").write_bytes(decoder)
        (copy / "decoder.onnx").write_bytes(encoder)
    else:
        (copy / "decoder.onnx").write_bytes(b"\x08\x07garbage" * 50)
    _refresh_digests(copy)  # the files match their manifest: only loading the graphs tells
    result = CliRunner().invoke(models_cli, ["install", str(copy), "--name", "broken"])
    assert result.exit_code == 2 and len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert not (store / "broken").exists()


def test_one_hostile_folder_in_the_model_folder_hides_no_other_model(bundle_factory, store):
    import shutil

    runner = CliRunner()
    assert runner.invoke(models_cli, ["install", str(bundle_factory("gru", "luong")), "--name", "good"]).exit_code == 0
    hostile = store / "hostile"
    shutil.copytree(store / "good", hostile)
    text = (hostile / "model.json").read_text(encoding="utf-8")
    (hostile / "model.json").write_text(text.replace('"format_version": ', '"format_version": ' + "9" * 5000 + ", "
                                                     '"x": ', 1), encoding="utf-8")
    listing = runner.invoke(models_cli, ["list"])
    assert listing.exit_code == 0 and "good" in listing.stdout and "Traceback" not in listing.output
    assert "skipped hostile" in listing.stderr
    assert runner.invoke(translate_cli, ["-m", "good", "one two."]).exit_code == 0
    by_name = runner.invoke(translate_cli, ["-m", "hostile", "one two."])
    assert by_name.exit_code == 2 and len(by_name.stderr.strip().splitlines()) == 1, by_name.stderr
