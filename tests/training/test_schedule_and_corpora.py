"""Several corpora in one run, the step learning-rate schedule, and selection by validation loss."""

import json
from pathlib import Path

import pytest

from s2s.training import TrainConfig, load_checkpoint
from s2s.training.config import ModelConfig
from s2s.training.data import read_corpora
from s2s.training.errors import TrainingInputError
from s2s.training.model import Seq2Seq


def _epochs(run: Path) -> list[dict]:
    records = [json.loads(line) for line in (run / "metrics.jsonl").read_text().splitlines()]
    return [r for r in records if r["event"] == "epoch"]


def test_step_schedule_decays_from_the_start_step_on():
    config = TrainConfig(train=["t.tsv"], out="o", lr=1.0, lr_schedule="step", lr_decay=0.5,
                         lr_decay_start=10, lr_decay_every=5)
    assert [config.learning_rate(s) for s in (0, 9, 10, 14, 15, 19, 20)] == [1.0, 1.0, 0.5, 0.5, 0.25, 0.25, 0.125]
    assert TrainConfig(train=["t.tsv"], out="o", lr_schedule="plateau").learning_rate(10**6) is None


def test_runs_saved_before_the_new_options_load_with_their_old_meaning():
    old = {"train": "t.tsv", "valid": "v.tsv", "out": "o", "lr": 1e-3}
    config = TrainConfig.from_dict(old)
    assert config.train == ["t.tsv"] and config.valid == ["v.tsv"]
    assert (config.lr_schedule, config.select_by, config.param_init) == ("plateau", "bleu", 0.0)
    model = ModelConfig.from_dict({"source_vocab_size": 10, "target_vocab_size": 12, "embedding_dim": 8, "hidden_dim": 16})
    assert model.tie_embeddings and model.attentional_dim == 8


def test_untied_output_reads_a_hidden_wide_attentional_vector():
    model = Seq2Seq(ModelConfig(30, 40, embedding_dim=8, hidden_dim=12))
    assert model.decoder.output.weight.shape == (40, 12)
    assert model.decoder.output.weight.data_ptr() != model.decoder.embedding.weight.data_ptr()
    with pytest.raises(ValueError, match="attentional_dim"):
        ModelConfig(30, 40, embedding_dim=8, hidden_dim=12, tie_embeddings=True, attentional_dim=12)


def test_uniform_init_keeps_padding_embeddings_zero():
    model = Seq2Seq(ModelConfig(30, 40, embedding_dim=8, hidden_dim=12))
    model.initialise_uniform(0.1)
    for parameter in model.parameters():
        assert parameter.abs().max() <= 0.1
    assert not model.encoder.embedding.weight[0].any() and not model.decoder.embedding.weight[0].any()


def test_tsv_and_prefix_corpora_are_read_together(tmp_path, make_pairs):
    pairs = make_pairs(30, seed=3)
    (tmp_path / "a.tsv").write_text("".join(f"{s}\t{t}\n" for s, t in pairs[:20]), encoding="utf-8")
    (tmp_path / "b.en").write_text("".join(f"{s}\n" for s, _ in pairs[20:]), encoding="utf-8")
    (tmp_path / "b.fr").write_text("".join(f"{t}\n" for _, t in pairs[20:]), encoding="utf-8")
    both = read_corpora([str(tmp_path / "a.tsv"), str(tmp_path / "b")], "en", "fr")
    assert list(zip(both.sources, both.targets)) == pairs
    with pytest.raises(TrainingInputError, match="not found"):
        read_corpora([str(tmp_path / "a.tsv"), str(tmp_path / "c")], "en", "fr")


def test_two_validation_sets_are_scored_each_and_together(tmp_path, task_data, make_pairs, trainer_run):
    second = tmp_path / "valid2.tsv"
    second.write_text("".join(f"{s}\t{t}\n" for s, t in make_pairs(30, seed=9)), encoding="utf-8")
    run = trainer_run(tmp_path / "run", task_data, steps=None, epochs=2,
                      valid=[str(task_data["valid"]), str(second)], select_by="loss")
    epochs = _epochs(run)
    assert len(epochs) == 2
    for record in epochs:
        assert set(record["valid_sets"]) == {str(task_data["valid"]), str(second)}
        losses = [s["loss"] for s in record["valid_sets"].values()]
        assert min(losses) <= record["valid_loss"] <= max(losses)
    state = load_checkpoint(run / "checkpoint-best").state
    best = min(epochs, key=lambda r: r["valid_loss"])
    assert state.best_epoch == best["epoch"] and state.best_loss == best["valid_loss"]


def test_the_step_schedule_sets_the_rate_of_every_step(tmp_path, task_data, trainer_run):
    run = trainer_run(tmp_path / "run", task_data, steps=40, log_every=5, lr=0.004,
                      lr_schedule="step", lr_decay=0.5, lr_decay_start=10, lr_decay_every=10)
    records = [json.loads(line) for line in (run / "metrics.jsonl").read_text().splitlines()]
    rates = {r["step"]: r["lr"] for r in records if r["event"] == "train"}
    # The rate logged after step s is the one step s used (steps are 1-based in the log).
    assert rates[5] == 0.004 and rates[10] == 0.004 and rates[15] == 0.002 and rates[25] == 0.001
    assert rates[40] == 0.0005


def _scripted_validation(monkeypatch, losses):
    """Replace validation by a scripted sequence of losses (BLEU falls as loss rises)."""
    from s2s.training.trainer import Trainer

    sequence = iter(losses)

    def validate(self):
        loss = next(sequence)
        return {"valid_loss": loss, "valid_ppl": 1.0, "valid_bleu": 100 - loss}

    monkeypatch.setattr(Trainer, "_validate", validate)


def test_plateau_schedule_halves_the_rate_after_each_stalled_epoch_and_stops_early(tmp_path, task_data, trainer_run,
                                                                                   monkeypatch):
    _scripted_validation(monkeypatch, [3.0, 2.0, 2.5, 2.4, 2.1, 2.2, 9.9])
    run = trainer_run(tmp_path / "run", task_data, steps=None, epochs=20, lr=0.004, lr_schedule="plateau",
                      lr_patience=1, early_stopping=4, select_by="loss")
    epochs = _epochs(run)
    # Epochs 3 to 6 do not beat epoch 2's loss: each halves the rate; the fourth stops the run.
    assert [e["lr"] for e in epochs] == [0.004, 0.004, 0.004, 0.002, 0.001, 0.0005]
    state = load_checkpoint(run / "checkpoint-last").state
    assert state.epoch == 6 and "early stopping" in state.stop_reason and state.best_epoch == 2


def test_step_schedule_ignores_stalled_epochs(tmp_path, task_data, trainer_run, monkeypatch):
    _scripted_validation(monkeypatch, [3.0, 3.5, 3.6])
    run = trainer_run(tmp_path / "run", task_data, steps=None, epochs=3, lr=0.004, lr_schedule="step",
                      lr_decay_start=10_000, early_stopping=0, select_by="loss")
    assert [e["lr"] for e in _epochs(run)] == [0.004, 0.004, 0.004]
    assert load_checkpoint(run / "checkpoint-best").state.best_epoch == 1
