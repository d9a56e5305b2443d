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
    result = CliRunner().invoke(export_cli, [str(checkpoint_factory()), "--out", str(documents), "--force"])
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
