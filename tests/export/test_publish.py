"""The export replaces only a model bundle, never the user's files or the checkpoint's run."""

import os

import pytest
from click.testing import CliRunner

from s2s.export import ExportError, ExportOptions, export_bundle
from s2s.export.cli import main as export_cli


def test_force_never_replaces_a_folder_that_is_not_a_bundle(checkpoint_factory, tmp_path):
    documents = tmp_path / "documents"
    documents.mkdir()
    (documents / "thesis.txt").write_text("years of work")
    result = CliRunner().invoke(export_cli, [str(checkpoint_factory()), "-o", str(documents), "--force"])
    assert result.exit_code == 2 and "not a model bundle" in result.output
    assert (documents / "thesis.txt").read_text() == "years of work"


def test_never_writes_over_the_checkpoint_or_its_run(checkpoint_factory, tmp_path):
    checkpoint = checkpoint_factory()
    run = checkpoint.parent
    before = sorted(p.name for p in run.iterdir())
    for out in (run, checkpoint):
        with pytest.raises(ExportError, match="input being exported"):
            export_bundle(checkpoint, ExportOptions(out=out, force=True, sample_size=10))
    assert sorted(p.name for p in run.iterdir()) == before


def test_force_replaces_a_bundle_and_leaves_the_users_partial_file(checkpoint_factory, tmp_path):
    out = tmp_path / "bundle"
    export_bundle(checkpoint_factory(), ExportOptions(out=out, sample_size=10))
    mine = tmp_path / "bundle.partial"
    mine.write_text("mine")
    export_bundle(checkpoint_factory(), ExportOptions(out=out, force=True, sample_size=10))
    assert (out / "model.json").is_file() and mine.read_text() == "mine"
    umask = os.umask(0o022)
    os.umask(umask)
    assert out.stat().st_mode & 0o777 == 0o777 & ~umask  # not the private mode of a temporary folder
    # Nothing of the export's own staging is left beside the bundle.
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bundle", "bundle.partial"]
    with pytest.raises(ExportError, match="--force"):
        export_bundle(checkpoint_factory(), ExportOptions(out=out, sample_size=10))


def test_an_export_whose_checks_would_cover_nothing_fails(checkpoint_factory, tmp_path):
    import json
    import shutil

    run = tmp_path / "run"
    shutil.copytree(checkpoint_factory().parent, run)
    meta_path = run / "checkpoint-last" / "checkpoint.json"
    meta = json.loads(meta_path.read_text())
    meta["training"].update(train=["gone/train.tsv"], valid=["gone/valid.tsv"])
    meta_path.write_text(json.dumps(meta))
    with pytest.raises(ExportError, match="real text"):
        export_bundle(run / "checkpoint-last", ExportOptions(out=tmp_path / "b", sample_size=10))
    assert not (tmp_path / "b").exists()


def test_training_paths_are_stored_absolute(tmp_path, task_data, monkeypatch):
    from s2s.training import load_checkpoint
    from s2s.training.cli import main as train_cli

    monkeypatch.chdir(task_data["train"].parent)
    result = CliRunner().invoke(train_cli, ["--train", "train.tsv", "--valid", "valid.tsv", "-o", str(tmp_path / "r"),
                                            "--tokenizer", "word", "--epochs", "1", "--embedding-dim", "8",
                                            "--hidden-dim", "8", "--threads", "1"])
    assert result.exit_code == 0, result.output
    config = load_checkpoint(tmp_path / "r" / "checkpoint-last").train_config
    assert config.train == [str(task_data["train"])] and config.valid == [str(task_data["valid"])]
