import json
from pathlib import Path

import pytest
import torch
from safetensors.torch import load_file

from s2s.training import TrainConfig, greedy_decode, load_checkpoint
from s2s.training.tokenization import encode
from s2s.training.trainer import Trainer


def losses(run: Path) -> list[float]:
    records = [json.loads(line) for line in (run / "metrics.jsonl").read_text().splitlines()]
    return [r["loss"] for r in records if r["event"] == "train"] + [r["train_loss"] for r in records if r["event"] == "epoch"]


def weights(checkpoint: Path) -> dict[str, torch.Tensor]:
    return load_file(str(checkpoint / "model.safetensors"))


def test_same_seed_same_losses(tmp_path, task_data, trainer_run):
    a = trainer_run(tmp_path / "a", task_data, steps=30, log_every=5)
    b = trainer_run(tmp_path / "b", task_data, steps=30, log_every=5)
    assert losses(a) and losses(a) == losses(b)
    c = trainer_run(tmp_path / "c", task_data, steps=30, log_every=5, seed=7)
    assert losses(c) != losses(a)


def _assert_same_run(a: Path, b: Path) -> None:
    wa, wb = weights(a / "checkpoint-last"), weights(b / "checkpoint-last")
    assert wa.keys() == wb.keys()
    for name in wa:
        assert torch.equal(wa[name], wb[name]), name
    sa = load_checkpoint(a / "checkpoint-last").state
    sb = load_checkpoint(b / "checkpoint-last").state
    assert (sa.epoch, sa.step, sa.best_bleu) == (sb.epoch, sb.step, sb.best_bleu)
    assert [h["train_loss"] for h in sa.history] == [h["train_loss"] for h in sb.history]
    assert [h.get("valid_bleu") for h in sa.history] == [h.get("valid_bleu") for h in sb.history]


def test_resume_mid_epoch_ends_where_an_uninterrupted_run_ends(tmp_path, task_data, trainer_run):
    # 1500 pairs / 32 = 47 batches an epoch; stop at step 60 (inside epoch 2), resume to 110.
    full = trainer_run(tmp_path / "full", task_data, steps=110, dropout=0.2)
    part = trainer_run(tmp_path / "part", task_data, steps=60, dropout=0.2)
    assert load_checkpoint(part / "checkpoint-last").state.batch_in_epoch == 60 - 47
    Trainer.resume(part, max_steps=110).run()
    _assert_same_run(full, part)


def test_bf16_forward_trains_float32_weights_and_resumes_exactly(tmp_path, task_data, trainer_run):
    fp32 = trainer_run(tmp_path / "fp32", task_data, steps=30, log_every=5)
    full = trainer_run(tmp_path / "full", task_data, steps=30, log_every=5, precision="bf16")
    assert load_checkpoint(full / "checkpoint-last").train_config.precision == "bf16"
    assert all(w.dtype == torch.float32 for w in weights(full / "checkpoint-last").values())
    # Not the float32 computation, and still learning.
    assert losses(full) != losses(fp32) and losses(full)[-1] < losses(full)[0]
    part = trainer_run(tmp_path / "part", task_data, steps=12, log_every=5, precision="bf16")
    Trainer.resume(part, max_steps=30).run()
    _assert_same_run(full, part)


def test_resume_after_kill_from_the_last_epoch_checkpoint(tmp_path, task_data, trainer_run):
    # A kill -9 loses the work since the last save; checkpoint-last/ is then the end of an epoch.
    full = trainer_run(tmp_path / "full", task_data, steps=None, epochs=2)
    part = trainer_run(tmp_path / "part", task_data, steps=None, epochs=1)
    (part / "checkpoint-last.tmp-12345").mkdir()  # debris of a save the kill interrupted
    Trainer.resume(part, epochs=2).run()
    _assert_same_run(full, part)


def test_resuming_a_finished_run_trains_nothing_more(tmp_path, task_data, trainer_run):
    run = trainer_run(tmp_path / "run", task_data, steps=None, epochs=1)
    before = weights(run / "checkpoint-last")
    metrics = (run / "metrics.jsonl").read_text()
    result = Trainer.resume(run).run()
    assert result.state.finished and result.state.epoch == 1 and result.state.stop_reason == "reached 1 epochs"
    after = weights(run / "checkpoint-last")
    assert all(torch.equal(before[name], after[name]) for name in before)
    assert (run / "metrics.jsonl").read_text() == metrics


def test_checkpoints_are_complete_and_pickle_free(tmp_path, task_data, trainer_run):
    run = trainer_run(tmp_path / "run", task_data, steps=None, epochs=1)
    for name in ("checkpoint-best", "checkpoint-last"):
        files = sorted(p.name for p in (run / name).iterdir())
        assert files == ["checkpoint.json", "model.safetensors", "optimizer.safetensors",
                         "source.tokenizer.json", "target.tokenizer.json"]
    assert (run / "curves.png").stat().st_size > 1000
    assert (run / "metrics.jsonl").exists()
    assert not list(run.glob("*.tmp-*"))


def test_reversal_task_is_learned(tmp_path, task_data, make_pairs):
    """Teacher forcing and greedy decoding together solve a task that needs the whole source:
    reversing a digit string. >= 95% exact match on unseen strings."""
    config = TrainConfig(train=str(task_data["train"]), valid=str(task_data["valid"]), out=str(tmp_path / "rev"),
                         tokenizer="word", vocab_size=64, batch_size=32, epochs=12, lr=5e-3, label_smoothing=0.0,
                         threads=1, early_stopping=0, lr_patience=2)
    trainer = Trainer.start(config, dict(cell="gru", attention="bahdanau", embedding_dim=32, hidden_dim=64, dropout=0.0))
    trainer.run()
    checkpoint = load_checkpoint(tmp_path / "rev" / "checkpoint-best")
    test = make_pairs(200, seed=3)
    sources = encode(checkpoint.source_tokenizer, [s for s, _ in test])
    outputs = checkpoint.target_tokenizer.decode_batch(greedy_decode(checkpoint.model, sources))
    accuracy = sum(o == t for o, (_, t) in zip(outputs, test)) / len(test)
    assert accuracy >= 0.95, list(zip(outputs, test))[:5]


def test_ctrl_c_saves_and_resume_continues(tmp_path, task_data):
    import signal
    import subprocess
    import sys
    import time

    out = tmp_path / "run"
    script = Path(sys.executable).parent / "s2s-train"
    process = subprocess.Popen(
        [str(script), "--train", str(task_data["train"]), "--valid", str(task_data["valid"]), "-o", str(out),
         "--tokenizer", "word", "--hidden-dim", "16", "--embedding-dim", "8", "--batch-size", "8", "--epochs", "50",
         "--threads", "1"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    # Wait for the first epoch's checkpoint (training is then under way): seconds on a quiet
    # machine, minutes on a loaded one, and the loop ends as soon as it is there.
    deadline = time.monotonic() + 600
    while not (out / "checkpoint-last").exists() and time.monotonic() < deadline:
        time.sleep(0.2)
    if not (out / "checkpoint-last").exists():
        process.kill()
        pytest.fail("no epoch finished within 10 minutes")
    process.send_signal(signal.SIGINT)
    _, stderr = process.communicate(timeout=60)
    assert process.returncode == 130, stderr
    assert "Traceback" not in stderr and "--resume" in stderr
    state = load_checkpoint(out / "checkpoint-last").state
    assert state.stop_reason == "interrupted" and state.step > 0
    resumed = Trainer.resume(out, epochs=state.epoch + 1)
    assert resumed.state.step == state.step
    resumed.run()
    assert load_checkpoint(out / "checkpoint-last").state.epoch == state.epoch + 1


def test_a_kill_mid_epoch_loses_only_the_work_since_the_periodic_save(tmp_path, task_data, trainer_run, monkeypatch):
    # What kill -9 leaves: the run directory as it was right after a mid-epoch save (step 20 of
    # the 47-batch first epoch); resumed, it ends where an uninterrupted run ends.
    import shutil

    full = trainer_run(tmp_path / "full", task_data, steps=60, dropout=0.2)
    snapshot = tmp_path / "killed"
    original_save = Trainer._save

    def save_and_snapshot(self, name):
        original_save(self, name)
        if name == "checkpoint-last" and self.state.step == 20 and not snapshot.exists():
            shutil.copytree(self.out, snapshot)

    monkeypatch.setattr(Trainer, "_save", save_and_snapshot)
    trainer_run(tmp_path / "live", task_data, steps=60, dropout=0.2, save_every_minutes=1e-9)
    monkeypatch.undo()
    assert load_checkpoint(snapshot / "checkpoint-last").state.batch_in_epoch == 20
    Trainer.resume(snapshot, max_steps=60).run()
    _assert_same_run(full, snapshot)


def test_progress_lines_off_a_terminal(tmp_path, task_data, trainer_run, monkeypatch, caplog):
    import s2s.training.trainer as trainer_module

    monkeypatch.setattr(trainer_module, "PROGRESS_SECONDS", 0)
    with caplog.at_level("INFO", logger="s2s.training"):
        trainer_run(tmp_path / "run", task_data, steps=10)
    lines = [r.getMessage() for r in caplog.records if "target tokens/s" in r.getMessage()]
    assert lines and lines[-1].startswith("epoch 1: batch 9/47, loss ") and "min left in the epoch" in lines[-1]


def test_a_run_stopped_before_its_first_validation_writes_no_best_checkpoint(tmp_path, task_data, trainer_run):
    """checkpoint-best/ holds a validated epoch or, without validation sets, the last state: never
    an unvalidated state under the name "best"."""
    validated = trainer_run(tmp_path / "validated", task_data, steps=5)
    assert (validated / "checkpoint-last").is_dir() and not (validated / "checkpoint-best").exists()
    unvalidated = trainer_run(tmp_path / "unvalidated", task_data, steps=5, valid=[])
    assert (unvalidated / "checkpoint-best").is_dir()


def test_valid_every_validates_and_keeps_the_best_mid_epoch(tmp_path, task_data, trainer_run):
    """--valid-every: an epoch longer than a run still gets validations and a checkpoint-best/."""
    run = trainer_run(tmp_path / "run", task_data, steps=30, valid_every=10)
    records = [json.loads(line) for line in (run / "metrics.jsonl").read_text().splitlines()]
    validations = [r for r in records if r["event"] == "valid"]
    assert [r["step"] for r in validations] == [10, 20, 30] and all("valid_loss" in r for r in validations)
    assert (run / "checkpoint-best").is_dir()
    best = load_checkpoint(run / "checkpoint-best").state
    assert best.step in (10, 20, 30) and best.best_loss == min(r["valid_loss"] for r in validations)
    # Stopped mid-validation-interval and resumed: the same run as an uninterrupted one.
    part = trainer_run(tmp_path / "part", task_data, steps=15, valid_every=10)
    Trainer.resume(part, max_steps=30).run()
    _assert_same_run(run, part)


def test_valid_every_counts_validations_for_early_stopping(tmp_path, task_data, trainer_run):
    run = trainer_run(tmp_path / "run", task_data, steps=200, valid_every=2, early_stopping=1, lr=1e-9)
    state = load_checkpoint(run / "checkpoint-last").state
    # A learning rate that changes nothing: the second validation is no gain, and the run stops there.
    assert state.finished and state.step == 4 and "1 validations" in state.stop_reason
