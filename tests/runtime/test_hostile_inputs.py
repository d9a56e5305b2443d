"""Inputs that once read without bound, hung, or reached outside what they name: devices and FIFOs
as models, a manifest that links out of its bundle, model names that are paths, non-finite scores."""

from __future__ import annotations

import json
import math
import os
import shutil

import numpy as np
import pytest
from click.testing import CliRunner

from s2s.runtime.bundle.reader import load_bundle
from s2s.runtime.errors import BundleError
from s2s.runtime.cli.models import main as models_cli


@pytest.mark.parametrize("device", ["/dev/zero", "/dev/null"])
def test_a_device_given_as_a_model_is_refused_unread(device):
    with pytest.raises(BundleError, match="neither a directory nor a regular file"):
        load_bundle(device)


def test_a_fifo_given_as_a_model_is_refused_without_blocking(tmp_path):
    fifo = tmp_path / "model.fifo"
    os.mkfifo(fifo)
    with pytest.raises(BundleError, match="neither a directory nor a regular file"):
        load_bundle(fifo)  # opening it would block until a writer came


def test_a_manifest_linking_out_of_its_bundle_is_refused(bundle_factory, tmp_path):
    copy = tmp_path / "bundle"
    shutil.copytree(bundle_factory("gru", "luong"), copy)
    outside = tmp_path / "elsewhere.json"
    (copy / "model.json").rename(outside)
    (copy / "model.json").symlink_to(outside)
    with pytest.raises(BundleError, match="symbolic link"):
        load_bundle(copy)


@pytest.mark.parametrize("name", ["..", ".", "../x", "a/b", "a\x00b", "x" * 300, ".hidden"])
def test_model_names_are_names_never_paths(name, tmp_path, monkeypatch):
    models = tmp_path / "t" / "models"
    models.mkdir(parents=True)
    (tmp_path / "t" / "model.json").write_text("{}")  # the parent looks like a model: it must survive
    monkeypatch.setenv("S2S_MODELS_DIR", str(models))
    result = CliRunner().invoke(models_cli, ["remove", name])
    assert result.exit_code == 2 and "invalid model name" in result.stderr
    assert (tmp_path / "t" / "model.json").exists()


def test_the_packaged_model_says_it_cannot_be_removed(tmp_path, monkeypatch):
    from s2s.runtime.bundle.store import default_bundle_path

    if not (default_bundle_path() / "model.json").is_file():
        pytest.skip("no packaged model in this install")
    monkeypatch.setenv("S2S_MODELS_DIR", str(tmp_path / "models"))
    result = CliRunner().invoke(models_cli, ["remove", default_bundle_path().name])
    assert result.exit_code == 2 and "packaged" in result.stderr


def test_jsonl_stays_json_when_a_model_scores_nan():
    from s2s.runtime.batch.output_format import format_line
    from s2s.runtime.decoding.translator import Translation, TranslationResult

    result = TranslationResult("x", ["▁x"], [Translation("", [], math.nan, np.full((1, 1), np.nan, np.float32),
                                                         ranking=-math.inf)])
    def refuse(constant: str):
        raise AssertionError(f"{constant} is not JSON")

    record = json.loads(format_line(result, "jsonl", alignment="full"), parse_constant=refuse)
    assert record["n_best"][0]["score"] is None and record["n_best"][0]["rank_score"] is None


def test_the_work_folders_of_a_killed_install_are_never_models_and_are_cleaned(bundle_factory, tmp_path, monkeypatch):
    from s2s.runtime.bundle.store import install, installed_models

    store = tmp_path / "models"
    monkeypatch.setenv("S2S_MODELS_DIR", str(store))
    bundle = bundle_factory("gru", "luong")
    install(bundle, name="m1")
    dead = 2 ** 22 + 12345  # above any pid this test machine hands out
    leftover = store / f".m1.installing-{dead}-abc"
    shutil.copytree(store / "m1", leftover)
    assert [m.name for m in installed_models() if not m.bundled] == ["m1"]
    install(bundle, name="m1", force=True)
    assert not leftover.exists() and sorted(p.name for p in store.iterdir()) == ["m1"]


def test_a_manifest_listing_more_than_any_bundle_needs_is_refused_before_reading(bundle_factory, tmp_path):
    copy = tmp_path / "bundle"
    shutil.copytree(bundle_factory("gru", "luong"), copy)
    manifest = json.loads((copy / "model.json").read_text(encoding="utf-8"))
    for index in range(2):  # two listed 1.5 GiB files of zeros (sparse here): a 15 MB zip bomb's content
        name = f"zeros{index}.bin"
        with open(copy / name, "wb") as handle:
            handle.truncate(3 << 29)
        manifest["files"][name] = {"sha256": "0" * 64, "bytes": 3 << 29}
    (copy / "model.json").write_text(json.dumps(manifest), encoding="utf-8")
    with pytest.raises(BundleError, match="must be between|GiB in all"):
        load_bundle(copy)
    for entry in manifest["files"].values():
        entry["bytes"] = min(entry["bytes"], 600 << 20)
    (copy / "model.json").write_text(json.dumps(manifest), encoding="utf-8")
    with pytest.raises(BundleError, match="GiB in all"):
        load_bundle(copy)


@pytest.mark.parametrize("out", [".", "./", "/", ""])
def test_an_output_that_is_a_folder_is_one_line_in_every_command(out, bundle_factory, tmp_path, monkeypatch):
    from s2s.runtime.cli.translate import main as translate_cli
    from s2s.tools.eval_cli import main as eval_cli

    monkeypatch.chdir(tmp_path)
    test = tmp_path / "test.tsv"
    test.write_text("one two .\tun deux .\n", encoding="utf-8")
    bundle = str(bundle_factory("gru", "luong"))
    for cli, args in ((translate_cli, ["-m", bundle, "one ."]), (eval_cli, ["-m", bundle, "-i", str(test)])):
        result = CliRunner().invoke(cli, [*args, "-o", out])
        assert result.exit_code == 2 and "is a directory" in result.stderr and "Traceback" not in result.output


def test_a_models_folder_below_a_file_is_one_line(bundle_factory, tmp_path, monkeypatch):
    afile = tmp_path / "afile"
    afile.write_text("x")
    monkeypatch.setenv("S2S_MODELS_DIR", str(afile / "models"))
    result = CliRunner().invoke(models_cli, ["install", str(bundle_factory("gru", "luong")), "--name", "m"])
    assert result.exit_code == 2 and "cannot use the model folder" in result.stderr


def test_atomic_outputs_get_the_permissions_of_a_plain_file_and_long_names_work(tmp_path):
    import stat

    from s2s.runtime.atomic import write_atomically

    long_name = tmp_path / ("x" * 250 + ".txt")  # the temporary name used to pass 255 bytes
    write_atomically(long_name, "done\n")
    plain = tmp_path / "plain.txt"
    plain.write_text("x")
    assert stat.S_IMODE(long_name.stat().st_mode) == stat.S_IMODE(plain.stat().st_mode)
    assert long_name.read_text() == "done\n"


def test_attention_pictures_on_a_read_only_or_full_disk_are_one_line(bundle_factory, tmp_path, monkeypatch):
    import errno
    import os

    pytest.importorskip("matplotlib")
    from s2s.runtime import atomic
    from s2s.runtime.cli.translate import main as translate_cli

    pictures = tmp_path / "pictures"
    real_replace = os.replace

    def read_only(source, target):  # what a read-only or full file system answers
        if str(target).startswith(str(pictures)):
            raise OSError(errno.EROFS, "Read-only file system")
        return real_replace(source, target)

    monkeypatch.setattr(atomic.os, "replace", read_only)
    result = CliRunner().invoke(translate_cli, ["-m", str(bundle_factory("gru", "luong")), "--plot-attention",
                                                str(pictures), "one two ."])
    assert result.exit_code == 2 and "Read-only file system" in result.stderr and "Traceback" not in result.output
    assert not [p for p in pictures.iterdir()]  # no temporary files left behind
