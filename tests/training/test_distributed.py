"""Data-parallel training launched by torchrun: the same model as one process, resumable, two
"machines" on 127.0.0.1."""

import json
import socket
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from safetensors.torch import load_file

from s2s.training import load_checkpoint

# torchrun with two processes: minutes, not seconds (CI runs them: pytest -m "slow or not slow").
pytestmark = pytest.mark.slow

TORCHRUN = [sys.executable, "-m", "torch.distributed.run"]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def data(tmp_path_factory, make_pairs):
    root = tmp_path_factory.mktemp("ddp")
    (root / "train.tsv").write_text("".join(f"{s}\t{t}\n" for s, t in make_pairs(300, seed=1)), encoding="utf-8")
    (root / "valid.tsv").write_text("".join(f"{s}\t{t}\n" for s, t in make_pairs(40, seed=2)), encoding="utf-8")
    return root


def args(data: Path, out: Path, *extra: str) -> list[str]:
    return ["--train", str(data / "train.tsv"), "--valid", str(data / "valid.tsv"), "-o", str(out),
            "--tokenizer", "word", "--vocab-size", "64", "--embedding-dim", "16", "--hidden-dim", "32",
            "--batch-size", "32", "--threads", "1", "--lr", "0.003", *extra]


def single(data: Path, out: Path, *extra: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "s2s.training", *args(data, out, *extra)],
                          capture_output=True, text=True, timeout=240)


def parallel(data: Path, out: Path, *extra: str, nproc: int = 2) -> subprocess.CompletedProcess:
    launch = [*TORCHRUN, "--nnodes", "1", "--nproc-per-node", str(nproc), "--master-addr", "127.0.0.1",
              "--master-port", str(free_port()), "-m", "s2s.training"]
    return subprocess.run([*launch, *args(data, out, *extra)], capture_output=True, text=True, timeout=240)


def same_weights(a: Path, b: Path, atol: float = 1e-5) -> None:
    wa, wb = load_file(str(a / "model.safetensors")), load_file(str(b / "model.safetensors"))
    assert wa.keys() == wb.keys()
    for name in wa:
        torch.testing.assert_close(wa[name], wb[name], atol=atol, rtol=0, msg=name)


def test_two_processes_train_the_model_one_process_trains(data, tmp_path):
    one = single(data, tmp_path / "one", "--epochs", "2", "--dropout", "0")
    assert one.returncode == 0, one.stderr
    two = parallel(data, tmp_path / "two", "--epochs", "2", "--dropout", "0")
    assert two.returncode == 0, two.stderr
    same_weights(tmp_path / "one" / "checkpoint-last", tmp_path / "two" / "checkpoint-last")
    epochs = [[json.loads(r) for r in (tmp_path / name / "metrics.jsonl").read_text().splitlines()
               if json.loads(r)["event"] == "epoch"] for name in ("one", "two")]
    assert len(epochs[0]) == len(epochs[1]) == 2
    for a, b in zip(*epochs):
        assert abs(a["valid_bleu"] - b["valid_bleu"]) <= 0.2 and abs(a["train_loss"] - b["train_loss"]) < 1e-4
    # Rank 0 alone writes: one metrics row per epoch, not one per process.
    assert load_checkpoint(tmp_path / "two" / "checkpoint-last").state.world_size == 2


def test_resume_under_ddp_ends_where_the_uninterrupted_run_ends(data, tmp_path):
    full = parallel(data, tmp_path / "full", "--epochs", "2", "--dropout", "0.2")
    assert full.returncode == 0, full.stderr
    part = parallel(data, tmp_path / "part", "--epochs", "1", "--dropout", "0.2")
    assert part.returncode == 0, part.stderr
    resumed = parallel(data, tmp_path / "part", "--resume", "--epochs", "2")
    assert resumed.returncode == 0, resumed.stderr
    # Dropout masks differ per rank: exact only because every rank's RNG state was saved.
    same_weights(tmp_path / "full" / "checkpoint-last", tmp_path / "part" / "checkpoint-last", atol=0)
    other = single(data, tmp_path / "part", "--resume", "--epochs", "3")
    assert other.returncode == 2
    assert other.stderr.strip().splitlines()[-1].startswith("s2s-train: error:") and "2 process" in other.stderr


def test_two_machines_on_localhost(data, tmp_path):
    port = free_port()
    launches = [subprocess.Popen(
        [*TORCHRUN, "--nnodes", "2", "--node-rank", str(rank), "--nproc-per-node", "1", "--rdzv-backend", "c10d",
         "--rdzv-endpoint", f"127.0.0.1:{port}", "--rdzv-id", "s2s-test", "-m", "s2s.training",
         *args(data, tmp_path / "run", "--epochs", "2", "--dropout", "0")],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for rank in (0, 1)]
    results = [launch.communicate(timeout=240) for launch in launches]
    assert [launch.returncode for launch in launches] == [0, 0], results
    one = single(data, tmp_path / "one", "--epochs", "2", "--dropout", "0")
    assert one.returncode == 0, one.stderr
    same_weights(tmp_path / "one" / "checkpoint-last", tmp_path / "run" / "checkpoint-last")


def test_more_processes_than_the_batch_is_one_line(data, tmp_path):
    result = parallel(data, tmp_path / "run", "--epochs", "1", "--batch-size", "1")
    assert result.returncode != 0
    assert "s2s-train: error: --batch-size 1 is the global batch: it must be at least the number of processes (2)" \
        in result.stderr


def test_an_interrupt_on_one_rank_stops_every_rank_resumably(data, tmp_path):
    import os
    import signal
    import time

    out = tmp_path / "run"
    launch = [*TORCHRUN, "--nnodes", "1", "--nproc-per-node", "2", "--master-addr", "127.0.0.1",
              "--master-port", str(free_port()), "-m", "s2s.training"]
    agent = subprocess.Popen([*launch, *args(data, out, "--epochs", "50", "--dropout", "0")],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 120
        while not (out / "checkpoint-last").exists():  # an epoch is done: training is under way
            assert time.monotonic() < deadline and agent.poll() is None, "training did not start"
            time.sleep(0.2)
        children = subprocess.run(["pgrep", "-P", str(agent.pid)], capture_output=True, text=True).stdout.split()
        rank_one = next(int(pid) for pid in children
                        if b"RANK=1\0" in Path(f"/proc/{pid}/environ").read_bytes())
        os.kill(rank_one, signal.SIGINT)  # Ctrl-C reaching one process only
        _, stderr = agent.communicate(timeout=120)
    finally:
        agent.kill()
    stopped = load_checkpoint(out / "checkpoint-last")
    assert 0 < stopped.state.epoch < 50 and not stopped.state.finished, stderr
    resumed = parallel(data, out, "--resume", "--epochs", str(stopped.state.epoch + 1))
    assert resumed.returncode == 0, resumed.stderr
    assert load_checkpoint(out / "checkpoint-last").state.epoch == stopped.state.epoch + 1
