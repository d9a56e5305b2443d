import itertools
import json
import shutil
import zipfile

import pytest
import torch
from click.testing import CliRunner

from s2s.export import ExportError, ExportOptions, export_bundle
from s2s.export.cli import main as export_cli
from s2s.export.parity import check_fp32
from s2s.runtime import BundleError, Translator, load_bundle
from s2s.training import load_checkpoint
from s2s.training.config import ATTENTIONS, CELLS
from s2s.training.tokenization import encode

VARIANTS = list(itertools.product(CELLS, ATTENTIONS))


@pytest.mark.parametrize("cell,attention", VARIANTS)
def test_every_variant_exports_with_parity(cell, attention, checkpoint_factory, bundle_factory, task_data):
    bundle = load_bundle(bundle_factory(cell, attention))
    report = bundle.manifest.document["verification"]["fp32_parity"]
    assert report["greedy_identical"] == report["sentences"] > 0
    assert report["max_log_prob_error"] <= 1e-4 and report["max_encoder_error"] <= 1e-4
    # Independently of the exporter's own check: fresh sentences, batch sizes 1/3/16.
    checkpoint = load_checkpoint(checkpoint_factory(cell, attention))
    sources = encode(checkpoint.source_tokenizer, ["one two three.", "nine.", "four four five six seven."] * 7)
    fresh = check_fp32(checkpoint.model, bundle, sources)
    assert fresh.passed, fresh.summary()


@pytest.mark.parametrize("cell,bridge", [("gru", "relu"), ("lstm", "copy")])
def test_every_bridge_exports_with_parity(cell, bridge, checkpoint_factory, tmp_path):
    checkpoint = checkpoint_factory(cell, "luong", bridge=bridge)
    result = export_bundle(checkpoint, ExportOptions(out=tmp_path / "b", sample_size=20))
    report = result.manifest["verification"]["fp32_parity"]
    assert report["greedy_identical"] == report["sentences"] > 0 and report["max_encoder_error"] <= 1e-4


def test_two_layer_unidirectional_lstm_exports(checkpoint_factory, tmp_path):
    checkpoint = checkpoint_factory("lstm", "luong", layers=2, bidirectional=False)
    result = export_bundle(checkpoint, ExportOptions(out=tmp_path / "b", sample_size=20))
    assert result.manifest["architecture"]["layers"] == 2


def test_parity_check_catches_a_wrong_graph(checkpoint_factory, bundle_factory):
    checkpoint = load_checkpoint(checkpoint_factory("gru", "bahdanau"))
    with torch.no_grad():
        checkpoint.model.decoder.attentional.bias.add_(0.01)  # the graphs no longer match this model
    sources = encode(checkpoint.source_tokenizer, ["one two.", "three."])
    report = check_fp32(checkpoint.model, load_bundle(bundle_factory("gru", "bahdanau")), sources)
    assert not report.passed and report.max_log_prob_error > 1e-4


def test_int8_export_loads_and_reports_agreement(bundle_factory):
    path = bundle_factory("gru", "bahdanau", quantize="int8")
    bundle = load_bundle(path)
    assert bundle.manifest.document["onnx"]["precision"] == "int8"
    int8 = bundle.manifest.document["verification"]["int8"]
    assert int8["greedy_agreement"] >= 0.8 and int8["int8_bytes"] < int8["fp32_bytes"]
    fp32 = Translator.load(bundle_factory("gru", "bahdanau"))
    sentences = ["one two.", "three four five.", "nine eight seven six."]
    int8_output = Translator.load(path).translate(sentences)
    # The reversal task is easy: int8 and fp32 agree on these short inputs.
    assert int8_output == fp32.translate(sentences) and all(int8_output)


def test_int8_agreement_threshold_fails_the_export(checkpoint_factory, tmp_path):
    with pytest.raises(ExportError, match="agreement"):
        export_bundle(checkpoint_factory("gru", "bahdanau"),
                      ExportOptions(out=tmp_path / "b", quantize="int8", sample_size=20, min_int8_agreement=1.01))
    assert not (tmp_path / "b").exists()


def test_manifest_checksums_verify(bundle_factory, tmp_path):
    copy = tmp_path / "copy"
    shutil.copytree(bundle_factory("gru", "luong"), copy)
    manifest = load_bundle(copy).manifest.document
    assert set(manifest["files"]) == {"encoder.onnx", "decoder.onnx", "source.tokenizer.json",
                                      "target.tokenizer.json", "README.md"}
    with open(copy / "decoder.onnx", "ab") as handle:
        handle.write(b"\0")
    with pytest.raises(BundleError, match="checksum mismatch.*decoder.onnx"):
        load_bundle(copy)


def test_model_card_is_generated_from_the_manifest(bundle_factory):
    path = bundle_factory("gru", "bahdanau")
    card = (path / "README.md").read_text(encoding="utf-8")
    manifest = json.loads((path / "model.json").read_text(encoding="utf-8"))
    assert manifest["provenance"]["export_command"] and manifest["provenance"]["export_command"] in card
    assert f"{manifest['architecture']['parameters']:,}" in card
    assert "fp32 parity with PyTorch" in card


def test_zip_bundle(checkpoint_factory, bundle_factory, tmp_path):
    import re

    # The folder stays in the suggestion (bundles/b -> bundles/b.zip, not b.zip).
    for out, zipped, message in ((tmp_path / "b", True, re.escape(f"give -o {tmp_path / 'b.zip'}")),
                                 (tmp_path / "b.zip", False, "add --zip")):
        with pytest.raises(ExportError, match=message):  # nothing renamed behind the user's back
            export_bundle(checkpoint_factory("gru", "none"), ExportOptions(out=out, zip=zipped, sample_size=10))
        assert not out.exists()
    result = export_bundle(checkpoint_factory("gru", "none"), ExportOptions(out=tmp_path / "b.zip", zip=True, sample_size=10))
    assert result.path.name == "b.zip" and zipfile.is_zipfile(result.path)
    from_zip = Translator.load(result.path).translate(["one two.", "three."])
    assert from_zip == Translator.load(bundle_factory("gru", "none")).translate(["one two.", "three."])


def run_cli(*args):
    return CliRunner().invoke(export_cli, [str(a) for a in args])


def assert_user_error(result, fragment):
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output and fragment in result.output.strip().splitlines()[-1]


def test_cli_missing_checkpoint(tmp_path):
    assert_user_error(run_cli(tmp_path / "none", "-o", tmp_path / "b"), "checkpoint not found")


def test_cli_incomplete_checkpoint(checkpoint_factory, tmp_path):
    broken = tmp_path / "ckpt"
    shutil.copytree(checkpoint_factory("gru", "bahdanau"), broken)
    (broken / "model.safetensors").unlink()
    assert_user_error(run_cli(broken, "-o", tmp_path / "b"), "missing model.safetensors")
    assert not (tmp_path / "b").exists()


def test_cli_newer_checkpoint_format(checkpoint_factory, tmp_path):
    newer = tmp_path / "ckpt"
    shutil.copytree(checkpoint_factory("gru", "bahdanau"), newer)
    meta = json.loads((newer / "checkpoint.json").read_text())
    meta["format_version"] = 99
    (newer / "checkpoint.json").write_text(json.dumps(meta))
    assert_user_error(run_cli(newer, "-o", tmp_path / "b"), "newer")


def test_cli_refuses_to_overwrite_without_force(checkpoint_factory, bundle_factory, tmp_path):
    out = tmp_path / "b"
    shutil.copytree(bundle_factory("gru", "bahdanau"), out)
    before = (out / "model.json").read_bytes()
    assert_user_error(run_cli(checkpoint_factory("gru", "none"), "-o", out), "--force")
    assert (out / "model.json").read_bytes() == before
    result = run_cli(checkpoint_factory("gru", "none"), "-o", out, "--force", "--sample-size", "10")
    assert result.exit_code == 0, result.output
    assert load_bundle(out).manifest.architecture.attention == "none"


def test_cli_unsupported_opset(checkpoint_factory, tmp_path):
    assert_user_error(run_cli(checkpoint_factory("gru", "bahdanau"), "-o", tmp_path / "b", "--opset", "7"),
                      "unsupported opset")


def test_export_prints_no_unexplained_warnings(checkpoint_factory, tmp_path, recwarn):
    export_bundle(checkpoint_factory("gru", "bahdanau"), ExportOptions(out=tmp_path / "b", sample_size=10))
    assert [str(w.message) for w in recwarn] == []


def test_tokenizer_check_records_and_catches_a_runtime_difference(checkpoint_factory, bundle_factory, tmp_path,
                                                                 monkeypatch):
    manifest = load_bundle(bundle_factory("gru", "luong")).manifest.document
    assert manifest["verification"]["tokenizers"]["identical_sentences"]["source"] > 0

    from s2s.runtime.decoding.tokenizer import Tokenizer

    original = Tokenizer.encode
    monkeypatch.setattr(Tokenizer, "encode", lambda self, text: original(self, text)[:-1])
    with pytest.raises(ExportError, match="runtime source tokenizer differs"):
        export_bundle(checkpoint_factory("gru", "luong"), ExportOptions(out=tmp_path / "b"))
    assert not (tmp_path / "b").exists()


def test_a_checkpoint_with_non_finite_weights_is_not_exported(checkpoint_factory, tmp_path):
    import torch

    from s2s.training.checkpoint import load_checkpoint, save_checkpoint

    checkpoint = load_checkpoint(checkpoint_factory("gru", "luong"))
    with torch.no_grad():
        next(checkpoint.model.parameters()).fill_(float("nan"))
    damaged = tmp_path / "damaged"
    save_checkpoint(damaged, checkpoint.model, checkpoint.train_config, checkpoint.state,
                    checkpoint.source_tokenizer, checkpoint.target_tokenizer)
    with pytest.raises(ExportError, match="non-finite weights"):
        export_bundle(damaged, ExportOptions(out=tmp_path / "bundle"))
    assert not (tmp_path / "bundle").exists()


def test_an_export_without_languages_says_so(checkpoint_factory, tmp_path, caplog):
    import logging

    with caplog.at_level(logging.WARNING, logger="s2s"):
        export_bundle(checkpoint_factory("gru", "luong"), ExportOptions(out=tmp_path / "bundle", sample_size=10))
    assert "does not say its languages" in caplog.text


def test_an_export_cleans_the_work_folders_of_killed_exports(checkpoint_factory, tmp_path):
    import tempfile
    from pathlib import Path

    dead = Path(tempfile.gettempdir()) / f"s2s-export-{2 ** 22 + 12345}-leftover"
    (dead / "fp32").mkdir(parents=True, exist_ok=True)
    export_bundle(checkpoint_factory("gru", "luong"), ExportOptions(out=tmp_path / "bundle", sample_size=10,
                                                                   source_lang="en", target_lang="fr"))
    assert not dead.exists()
