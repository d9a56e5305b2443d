"""s2s-train --init-from: continue from a checkpoint or an exported bundle (an int8 one read back
dequantised): same architecture and tokenizers, this run's data and schedule."""

from __future__ import annotations

import torch
from click.testing import CliRunner

from s2s.training import load_checkpoint
from s2s.training.cli import main
from s2s.training.from_bundle import model_from_bundle


def _train(tmp_path, *args):
    return CliRunner().invoke(main, ["-o", str(tmp_path / "tuned"), "--threads", "1", "--epochs", "1",
                                     "--batch-size", "32", *map(str, args)])


def test_from_a_checkpoint_the_weights_and_tokenizers_are_its_own(tmp_path, checkpoint_factory, task_data):
    parent = checkpoint_factory("gru", "luong")
    result = _train(tmp_path, "--init-from", parent, "--train", task_data["train"], "--lr", "1e-12")
    assert result.exit_code == 0, result.output
    before, after = load_checkpoint(parent), load_checkpoint(tmp_path / "tuned" / "checkpoint-last")
    assert after.model_config == before.model_config
    assert after.source_tokenizer.to_str() == before.source_tokenizer.to_str()
    # A learning rate that moves nothing: the tuned weights are the parent's, not a fresh model's.
    for name, value in before.model.state_dict().items():
        assert torch.allclose(value, after.model.state_dict()[name], atol=1e-6), name
    assert after.train_config.init_from == str(parent.absolute())


def test_an_int8_bundle_reads_back_into_the_model_it_was_exported_from(bundle_factory, checkpoint_factory):
    model, config, source, _ = model_from_bundle(bundle_factory("gru", "luong", quantize="int8"))
    trained = load_checkpoint(checkpoint_factory("gru", "luong")).model.state_dict()
    restored = model.state_dict()
    assert restored.keys() == trained.keys()
    for name, value in trained.items():  # within int8's rounding of each row
        assert (restored[name] - value).abs().max() <= value.abs().max() / 100 + 1e-6, name
    assert source.get_vocab_size() == config.source_vocab_size


def test_fine_tuning_from_a_bundle_trains_and_exports(tmp_path, bundle_factory, task_data):
    from s2s.export import ExportOptions, export_bundle

    result = _train(tmp_path, "--init-from", bundle_factory("gru", "luong", quantize="int8"),
                    "--train", task_data["train"], "--valid", task_data["valid"])
    assert result.exit_code == 0, result.output
    export_bundle(tmp_path / "tuned" / "checkpoint-best", ExportOptions(out=tmp_path / "bundle", sample_size=20))
    assert (tmp_path / "bundle" / "model.json").is_file()


def test_model_options_and_unmapped_bundles_are_one_line(tmp_path, bundle_factory, checkpoint_factory, task_data):
    result = _train(tmp_path, "--init-from", checkpoint_factory("gru", "luong"), "--train", task_data["train"],
                    "--hidden-dim", "64")
    assert result.exit_code == 2 and "--hidden-dim: with --init-from" in result.stderr
    result = _train(tmp_path, "--init-from", bundle_factory("gru", "bahdanau"), "--train", task_data["train"])
    assert result.exit_code == 2 and "bahdanau attention" in result.stderr and "Traceback" not in result.output


def test_replay_mixes_in_the_parents_own_training_data(tmp_path, checkpoint_factory, task_data):
    memory = tmp_path / "memory.tsv"
    memory.write_text("".join(f"a{i} b{i}\tb{i} a{i}\n" for i in range(20)), encoding="utf-8")
    parent = checkpoint_factory("gru", "luong")
    result = _train(tmp_path, "--init-from", parent, "--train", memory, "--replay", "0.75")
    assert result.exit_code == 0, result.output
    assert "training pairs: 80" in result.output  # 20 of the memory, 60 drawn from the parent's corpus
    tuned = load_checkpoint(tmp_path / "tuned" / "checkpoint-last").train_config
    assert tuned.replay == 0.75 and tuned.replay_from == [str(task_data["train"])]


def test_replay_needs_a_parent_whose_data_is_here(tmp_path, checkpoint_factory, task_data):
    result = _train(tmp_path, "--train", task_data["train"], "--replay", "0.5")
    assert result.exit_code == 2 and "give --init-from" in result.stderr


def test_a_tuned_bundle_records_its_parent_and_memory(tmp_path, bundle_factory, task_data):
    import json

    from s2s.export import ExportOptions, export_bundle

    parent = bundle_factory("gru", "luong", quantize="int8")
    memory = tmp_path / "app.fr.po"
    memory.write_text('msgid ""\nmsgstr ""\n"Language: fr\\n"\n\n' + "".join(
        f'msgid "a{i} b{i}"\nmsgstr "b{i} a{i}"\n\n' for i in range(30)), encoding="utf-8")
    result = _train(tmp_path, "--init-from", parent, "--train", memory, "--source-lang", "en", "--target-lang", "fr")
    assert result.exit_code == 0, result.output
    export_bundle(tmp_path / "tuned" / "checkpoint-last", ExportOptions(out=tmp_path / "bundle", sample_size=10))
    record = json.loads((tmp_path / "bundle" / "model.json").read_text())["provenance"]["fine_tuned_from"]
    assert record["manifest_sha256"] and record["memories"][0]["bytes"] == memory.stat().st_size
    assert "Fine-tuned from" in (tmp_path / "bundle" / "README.md").read_text()
