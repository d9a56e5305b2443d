"""Tampered bundles: one line and exit 2, nothing outside the bundle read, nothing unverified used."""

import json
import math
import shutil
import zipfile
from pathlib import Path

import onnx
import pytest
from click.testing import CliRunner

from s2s.runtime import BundleError, Translator, load_bundle
from s2s.runtime.bundle.reader import sha256_file
from s2s.runtime.cli.translate import main


@pytest.fixture(scope="module")
def bundle(bundle_factory):
    return bundle_factory("gru", "luong")


def copy_of(bundle, tmp_path) -> Path:
    copy = tmp_path / "bundle"
    shutil.copytree(bundle, copy)
    return copy


def rehash(copy: Path, *names: str) -> None:
    """Recompute the manifest entries of `names`, as an attacker who edits a bundle would."""
    manifest = json.loads((copy / "model.json").read_text())
    for name in names:
        manifest["files"][name] = {"sha256": sha256_file(copy / name), "bytes": (copy / name).stat().st_size}
    (copy / "model.json").write_text(json.dumps(manifest))


def refused(path, *fragments) -> None:
    result = CliRunner().invoke(main, ["-m", str(path), "one."])
    assert result.exit_code == 2, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("s2s-translate: error:"), result.stderr
    for fragment in fragments:
        assert fragment in lines[0], lines[0]


def mutate(copy: Path, change) -> None:
    manifest = json.loads((copy / "model.json").read_text())
    change(manifest)
    (copy / "model.json").write_text(json.dumps(manifest))


MUTATIONS = {
    "no cell": (lambda m: m["architecture"].pop("cell"), "architecture.cell"),
    "unknown cell": (lambda m: m["architecture"].update(cell="transformer"), "architecture.cell"),
    "negative version": (lambda m: m.update(format_version=-7), "format_version"),
    "boolean version": (lambda m: m.update(format_version=True), "format_version"),
    "string vocabulary size": (lambda m: m["architecture"].update(source_vocab_size="64"), "source_vocab_size"),
    "no eos": (lambda m: m["special_ids"].pop("eos"), "special_ids.eos"),
    "huge eos": (lambda m: m["special_ids"].update(eos=10**12), "special_ids.eos"),
    "zero source length": (lambda m: m["decoding"].update(max_source_length=0), "max_source_length"),
    "negative source length": (lambda m: m["decoding"].update(max_source_length=-1), "max_source_length"),
    "NaN ratio": (lambda m: m["decoding"].update(length_ratio=math.nan), "length_ratio"),
    "list for an object": (lambda m: m.update(decoding=[1, 2]), "decoding"),
    "file without sha256": (lambda m: m["files"]["decoder.onnx"].pop("sha256"), "files.decoder.onnx.sha256"),
    "file outside the bundle": (lambda m: m["files"].update({"../../../../etc/hostname": m["files"]["README.md"]}),
                                "plain file names"),
    "absolute file": (lambda m: m["files"].update({"/etc/hostname": m["files"]["README.md"]}), "plain file names"),
}


@pytest.mark.parametrize("name", MUTATIONS)
def test_manifest_fields_are_checked(bundle, tmp_path, name):
    change, fragment = MUTATIONS[name]
    copy = copy_of(bundle, tmp_path)
    mutate(copy, change)
    refused(copy, fragment)


def test_deeply_nested_manifest(bundle, tmp_path):
    copy = copy_of(bundle, tmp_path)
    (copy / "model.json").write_text("[" * 100_000 + "]" * 100_000)
    refused(copy, "model.json")


def test_tokenizer_with_an_absurd_id_is_refused_before_allocating(bundle, tmp_path):
    copy = copy_of(bundle, tmp_path)
    spec = json.loads((copy / "source.tokenizer.json").read_text())
    spec["model"]["vocab"]["zzz"] = 200_000_000
    (copy / "source.tokenizer.json").write_text(json.dumps(spec))
    rehash(copy, "source.tokenizer.json")
    refused(copy, "source.tokenizer.json", "token ids")


def test_tokenizer_with_wrong_types(bundle, tmp_path):
    copy = copy_of(bundle, tmp_path)
    spec = json.loads((copy / "target.tokenizer.json").read_text())
    spec["added_tokens"] = {"content": "x"}
    (copy / "target.tokenizer.json").write_text(json.dumps(spec))
    rehash(copy, "target.tokenizer.json")
    refused(copy, "target.tokenizer.json", "added_tokens")


def test_external_data_comes_only_from_the_verified_weights_file(bundle, tmp_path):
    copy = copy_of(bundle, tmp_path)
    model = onnx.load(str(copy / "encoder.onnx"))
    onnx.save(model, str(copy / "encoder.onnx"), save_as_external_data=True, location="weights.bin",
              size_threshold=0)
    rehash(copy, "encoder.onnx")  # weights.bin unlisted: an attacker can change it at will
    refused(copy, "cannot load encoder.onnx")
    # Listed and verified, weights.bin is the format-2 shared weights file: handed over from memory.
    rehash(copy, "encoder.onnx", "weights.bin")
    assert Translator.load(copy).translate(["one two."]) == Translator.load(bundle).translate(["one two."])
    # Any other file a graph names is never read, listed in the manifest or not.
    other = copy_of(bundle, tmp_path / "other")
    model = onnx.load(str(other / "encoder.onnx"))
    onnx.save(model, str(other / "encoder.onnx"), save_as_external_data=True, location="secret.bin",
              size_threshold=0)
    (other / "weights.bin").write_bytes(b"")
    rehash(other, "encoder.onnx", "secret.bin", "weights.bin")
    refused(other, "cannot load encoder.onnx", "secret.bin")


def test_every_graph_input_and_output_is_checked(bundle, tmp_path):
    copy = copy_of(bundle, tmp_path)
    model = onnx.load(str(copy / "encoder.onnx"))
    old = model.graph.input[1].name
    model.graph.input[1].name = "lengths"
    for node in model.graph.node:
        node.input[:] = ["lengths" if i == old else i for i in node.input]
    onnx.save(model, str(copy / "encoder.onnx"))
    rehash(copy, "encoder.onnx")
    refused(copy, "encoder.onnx inputs")
    copy2 = tmp_path / "swapped"
    shutil.copytree(bundle, copy2)
    model = onnx.load(str(copy2 / "decoder.onnx"))
    names = [o.name for o in model.graph.output]
    first, second = names.index("top_ids"), names.index("top_log_probs")
    for node in model.graph.node:  # swap the names of two outputs of different types
        node.output[:] = [{"top_ids": "top_log_probs", "top_log_probs": "top_ids"}.get(o, o) for o in node.output]
    model.graph.output[first].name, model.graph.output[second].name = "top_log_probs", "top_ids"
    onnx.save(model, str(copy2 / "decoder.onnx"))
    rehash(copy2, "decoder.onnx")
    refused(copy2, "decoder.onnx output")


def test_zip_members_are_read_capped_and_never_extracted(bundle, tmp_path):
    archive = tmp_path / "bundle.zip"
    with zipfile.ZipFile(archive, "w", compression=zipfile.ZIP_DEFLATED) as out:
        for path in sorted(bundle.iterdir()):
            out.write(path, arcname=path.name)
        out.writestr("bomb.bin", b"\0" * (64 << 20))  # unlisted: ignored, never decompressed
    before = set(Path("/tmp").glob("s2s-bundle-*"))
    assert Translator.load(archive).translate(["one."])
    assert set(Path("/tmp").glob("s2s-bundle-*")) == before
    # A listed member larger than its manifest entry is refused without reading it whole.
    bomb = tmp_path / "bomb.zip"
    with zipfile.ZipFile(bomb, "w", compression=zipfile.ZIP_DEFLATED) as out:
        for path in sorted(bundle.iterdir()):
            data = path.read_bytes() if path.name != "decoder.onnx" else b"\0" * (64 << 20)
            out.writestr(path.name, data)
    with pytest.raises(BundleError, match="decoder.onnx"):
        load_bundle(bomb)
