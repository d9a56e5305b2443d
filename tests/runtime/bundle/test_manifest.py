"""The typed manifest: one parser that checks and types every field a reader needs."""

import json
from pathlib import Path

import pytest

from s2s.runtime import BundleError, Manifest, default_bundle_path
from s2s.runtime.bundle.contract import ENCODER, GREEDY, length_limit
from s2s.runtime.bundle.manifest import serialise


@pytest.fixture(scope="module")
def shipped() -> tuple[Manifest, dict]:
    path = default_bundle_path()
    return Manifest.read(path), json.loads((path / "model.json").read_text(encoding="utf-8"))


def test_the_typed_fields_are_the_documents_values(shipped):
    manifest, document = shipped
    assert manifest.architecture.cell == document["architecture"]["cell"]
    assert manifest.architecture.source_vocab_size == document["architecture"]["source_vocab_size"]
    assert (manifest.special_ids.pad, manifest.special_ids.sos, manifest.special_ids.eos) == (
        document["special_ids"]["pad"], document["special_ids"]["sos"], document["special_ids"]["eos"])
    assert (manifest.source_language, manifest.target_language) == ("en", "fr")
    assert manifest.precision == document["onnx"]["precision"]
    assert manifest.longest_training_source == document["training_data"]["source_tokens"]["max"]
    assert manifest.protects and manifest.protection_share == document["protection"]["trained_share"]
    assert {name: (entry.sha256, entry.bytes) for name, entry in manifest.files.items()} == {
        name: (entry["sha256"], entry["bytes"]) for name, entry in document["files"].items()}
    assert manifest.lists(ENCODER) and manifest.lists(GREEDY) and not manifest.lists("model.json")


def test_the_length_rule_is_the_contracts(shipped):
    manifest, document = shipped
    rule = document["decoding"]
    for source_length in (0, 1, 7, 50, 1000):
        assert manifest.decoding.limit(source_length) == length_limit(
            source_length, rule["length_ratio"], rule["length_offset"], rule["max_target_length"])


def test_writers_edit_a_copy_and_serialise_as_the_exporter_wrote(shipped):
    manifest, _ = shipped
    copy = manifest.editable()
    copy["name"] = "changed"
    assert manifest.name == "eng-fra" and manifest.document["name"] == "eng-fra"
    written = (default_bundle_path() / "model.json").read_text(encoding="utf-8")
    assert serialise(manifest.document) == written


def test_a_manifest_is_typed_only_when_whole(shipped):
    _, document = shipped
    assert Manifest.parse(document, "x").architecture.attention == "luong"
    with pytest.raises(BundleError, match="^where is not a manifest"):
        Manifest.parse([document], "where")
    broken = json.loads(json.dumps(document))
    broken["protection"]["trained_share"] = 2
    with pytest.raises(BundleError, match="protection.trained_share must be between 0.0 and 1.0"):
        Manifest.parse(broken, "where")
    without = {key: value for key, value in document.items() if key not in ("protection", "training_data", "onnx")}
    typed = Manifest.parse(without, "where")
    assert not typed.protects and typed.longest_training_source is None and typed.precision is None


def test_reading_is_bounded_and_one_line(tmp_path: Path):
    (tmp_path / "model.json").write_bytes(b"{" * (1 << 16))
    with pytest.raises(BundleError, match="nested too deeply|not valid JSON"):
        Manifest.read(tmp_path)
    with pytest.raises(BundleError, match="cannot read"):
        Manifest.read(tmp_path / "absent")
