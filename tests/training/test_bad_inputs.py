"""s2s-train and s2s-export on bad paths and damaged checkpoints: one line, exit 2, nothing left behind."""

import json
import shutil
import signal
import subprocess
import sys
import time

import pytest
from click.testing import CliRunner

from s2s.export.cli import main as export_cli
from s2s.training.cli import main as train_cli


def one_line_error(result, prefix: str, *fragments: str) -> None:
    assert result.exit_code == 2, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(prefix), result.stderr
    for fragment in fragments:
        assert fragment in lines[0], lines[0]


def test_out_that_is_a_file_or_under_a_file(tmp_path, task_data):
    (tmp_path / "file").write_text("mine")
    for out in (tmp_path / "file", tmp_path / "file" / "run"):
        result = CliRunner().invoke(train_cli, ["--train", str(task_data["train"]), "-o", str(out)])
        one_line_error(result, "s2s-train: error:")
    assert (tmp_path / "file").read_text() == "mine"


def test_a_run_that_cannot_start_leaves_no_directory(tmp_path, task_data):
    out = tmp_path / "run"
    result = CliRunner().invoke(train_cli, ["--train", str(task_data["train"]), "-o", str(out), "--max-pair-tokens", "1",
                                            "--tokenizer", "word"])
    one_line_error(result, "s2s-train: error:", "no training pairs")
    assert not out.exists()


@pytest.fixture
def checkpoint_copy(checkpoint_factory, tmp_path):
    run = tmp_path / "run"
    shutil.copytree(checkpoint_factory("gru", "luong").parent, run)
    return run


@pytest.mark.parametrize("damage", ["truncated", "empty", "random"])
def test_damaged_weights(checkpoint_copy, tmp_path, damage):
    weights = checkpoint_copy / "checkpoint-last" / "model.safetensors"
    data = weights.read_bytes()
    weights.write_bytes({"truncated": data[: len(data) // 2], "empty": b"", "random": bytes(range(256)) * 40}[damage])
    result = CliRunner().invoke(export_cli, [str(checkpoint_copy / "checkpoint-last"), "-o", str(tmp_path / "b")])
    one_line_error(result, "s2s-export: error:", "model.safetensors")
    result = CliRunner().invoke(train_cli, ["-o", str(checkpoint_copy), "--resume"])
    one_line_error(result, "s2s-train: error:", "model.safetensors")


CHANGES = {
    "huge vocabulary": (lambda m: m["model"].update(source_vocab_size=10**12), "source_vocab_size"),
    "a million layers": (lambda m: m["model"].update(layers=10**6), "layers"),
    "string for a number": (lambda m: m["model"].update(hidden_dim="512"), "hidden_dim"),
    "no model": (lambda m: m.pop("model"), "'model'"),
    "a list": (lambda m: m.update(model=[1, 2]), "'model'"),
    "no version": (lambda m: m.pop("format_version"), "format_version"),
    "string learning rate": (lambda m: m["training"].update(lr="fast"), "lr"),
}


@pytest.mark.parametrize("name", CHANGES)
def test_damaged_checkpoint_json(checkpoint_copy, tmp_path, name):
    change, fragment = CHANGES[name]
    path = checkpoint_copy / "checkpoint-last" / "checkpoint.json"
    meta = json.loads(path.read_text())
    change(meta)
    path.write_text(json.dumps(meta))
    result = CliRunner().invoke(export_cli, [str(checkpoint_copy / "checkpoint-last"), "-o", str(tmp_path / "b")])
    one_line_error(result, "s2s-export: error:", fragment)


def test_resume_does_not_duplicate_metrics(tmp_path, task_data, trainer_run):
    from s2s.training.trainer import Trainer

    run = trainer_run(tmp_path / "run", task_data, steps=60, log_every=5)
    rows = (run / "metrics.jsonl").read_text().splitlines()
    # A kill after the last checkpoint: rows logged past it, then resumed.
    with open(run / "metrics.jsonl", "a") as handle:
        handle.write(json.dumps({"event": "train", "epoch": 2, "step": 65, "loss": 1.0}) + "\n")
        handle.write('{"event": "train", "ep')  # a row cut short
    (run / "checkpoint-last.tmp-99999").mkdir()  # the debris of a save the kill interrupted
    Trainer.resume(run, max_steps=80).run()
    steps = [json.loads(r)["step"] for r in (run / "metrics.jsonl").read_text().splitlines()
             if json.loads(r)["event"] == "train"]
    assert steps == sorted(set(steps)) and steps[-1] == 80
    assert (run / "metrics.jsonl").read_text().splitlines()[: len(rows)] == rows
    assert not list(run.glob("*.tmp-*"))


@pytest.mark.parametrize("module,args", [("s2s.training.cli", ["--train", "x", "-o", "y"]),
                                         ("s2s.export.cli", ["ckpt", "-o", "y"])])
def test_a_runtime_only_install_names_the_extra(module, args):
    import subprocess
    import sys

    code = (f"import sys; sys.modules['torch'] = None; from {module} import main; "
            f"main({args!r}, prog_name='cmd')")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert result.returncode == 2, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "PyTorch" in lines[0] and "pip install ./train" in lines[0], result.stderr


# Runs s2s-train in a child process whose tokenizer training sends SIGTERM or SIGINT to its own
# process and then blocks for a minute: the interrupt must end start-up at once, with one line.
_INTERRUPTED_START_UP = """
import os, signal, sys, time
import s2s.training.trainer as trainer
def stuck_tokenizer_training(*args):
    os.kill(os.getpid(), getattr(signal, sys.argv[1]))
    time.sleep(60)
trainer.train_tokenizer = stuck_tokenizer_training
from s2s.training.cli import main
main(sys.argv[2:], prog_name="s2s-train")
"""


@pytest.mark.parametrize("signal_name", ["SIGINT", "SIGTERM"])
def test_an_interrupt_during_start_up_ends_it_at_once_with_one_line(tmp_path, task_data, signal_name):
    out = tmp_path / "run"
    started = time.monotonic()
    child = subprocess.run(
        [sys.executable, "-c", _INTERRUPTED_START_UP, signal_name, "--train", str(task_data["train"]), "-o", str(out)],
        capture_output=True, text=True, timeout=120,
        # A child started from a background shell may inherit SIGINT ignored; Ctrl-C is not.
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    assert time.monotonic() - started < 30  # not after the 60-second call returned
    assert child.returncode == 130, child.stderr
    assert child.stderr.strip().splitlines() == ["s2s-train: interrupted before training started; nothing was saved"]
    assert not out.exists()


def test_a_line_no_model_can_use_is_skipped_before_tokenizer_training(tmp_path, task_data):
    """A megabyte without spaces kept tokenizer training busy for minutes (and Ctrl-C waited):
    such pairs are dropped, and counted, before the tokenizers see them."""
    from s2s.training import TrainConfig
    from s2s.training.trainer import Trainer

    train = tmp_path / "train.tsv"
    train.write_text(task_data["train"].read_text(encoding="utf-8") + "x" * 1_000_000 + "\ty\n", encoding="utf-8")
    config = TrainConfig(train=[str(train)], out=str(tmp_path / "run"), tokenizer="bpe", vocab_size=100,
                         max_length=64, epochs=1, threads=1)
    trainer = Trainer.start(config, dict(embedding_dim=8, hidden_dim=16))
    assert trainer.skipped["too_long"] >= 1
    assert trainer.source_tokenizer.get_vocab_size() <= 100


@pytest.mark.parametrize("edit", [("trainer_state", "step", "x"), ("trainer_state", "best_bleu", float("nan")),
                                  ("training", "lr", float("nan")), ("training", "lr", float("inf"))])
def test_a_hand_edited_checkpoint_is_one_line_on_resume(tmp_path, task_data, trainer_run, edit):
    run = trainer_run(tmp_path / "run", task_data, steps=5)
    record = run / "checkpoint-last" / "checkpoint.json"
    meta = json.loads(record.read_text())
    section, key, value = edit
    meta[section][key] = value
    record.write_text(json.dumps(meta))
    result = CliRunner().invoke(train_cli, ["-o", str(run), "--resume"])
    assert result.exit_code == 2 and "Traceback" not in result.output, result.output
    assert key in result.stderr
