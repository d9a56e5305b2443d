"""Scale-out benchmark: data-parallel training with torchrun, and batch translation on Ray.

    python recipes/scale_out_bench.py --train-minutes 2 --lines 20000

Training: the same model and global batch (the eng-fra defaults, Tatoeba train) for
--train-minutes, as 1 process x 2 threads and as 2 processes x 1 thread (torchrun, gloo); the
rate is target tokens/s over the steps after the first 50 (warm-up left out). The all-reduce
volume per step is the gradient bytes a ring all-reduce moves per process, 2 (N-1)/N x the
parameters' bytes; against a 10 Gb/s link that bounds the steps/s several machines could reach.

Translation: --lines Tatoeba English sentences (the test set, repeated) through `s2s-translate`
(1 process, 2 threads), then on a one-machine Ray instance with 1 actor x 2 threads and 2 actors
x 1 thread (`--ray local`); every run must write the same bytes. The Ray overhead per block is
the extra wall time over the plain run divided by the blocks (1,024 lines each).

Prints Markdown tables. Run it on an otherwise idle machine.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BIN = Path(sys.executable).parent
LINK_BITS_PER_S = 10e9


def _train(label: str, command: list[str], out: Path, minutes: float, env: dict) -> dict:
    started = time.perf_counter()
    subprocess.run([*command, "-o", str(out), "--max-minutes", str(minutes)], check=True, env=env,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wall = time.perf_counter() - started
    records = [json.loads(line) for line in (out / "metrics.jsonl").read_text().splitlines()]
    steps = [r for r in records if r["event"] == "train"]
    first, last = steps[0], steps[-1]
    # tokens_per_s is the epoch's running mean; rate between two logged steps from their times.
    seconds = last["elapsed_s"] - first["elapsed_s"]
    tokens = last["tokens_per_s"] * last["elapsed_s"] - first["tokens_per_s"] * first["elapsed_s"]
    return {"label": label, "steps": last["step"], "steps_per_s": (last["step"] - first["step"]) / seconds,
            "tokens_per_s": tokens / seconds, "wall_s": wall}


def bench_training(minutes: float, train: str, work: Path) -> list[str]:
    common = ["--train", train, "--source-lang", "en", "--target-lang", "fr", "--epochs", "1"]
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    one = _train("1 process x 2 threads", [str(BIN / "s2s-train"), *common, "--threads", "2"],
                 work / "one", minutes, env)
    torchrun = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc-per-node", "2",
                "-m", "s2s.training"]
    two = _train("2 processes x 1 thread (torchrun, gloo)", [*torchrun, *common, "--threads", "1"],
                 work / "two", minutes, env)
    from s2s.training import load_checkpoint

    parameters = load_checkpoint(work / "one" / "checkpoint-last").model.parameter_count()
    megabytes = 2 * (2 - 1) / 2 * parameters * 4 / 1e6
    lines = ["| training | steps/s | target tokens/s | steps in the run |", "|---|---|---|---|"]
    for r in (one, two):
        lines.append(f"| {r['label']} | {r['steps_per_s']:.2f} | {r['tokens_per_s']:,.0f} | {r['steps']:,} |")
    ceiling = LINK_BITS_PER_S / 8 / (parameters * 4 * 2)
    lines += ["", f"{parameters:,} parameters: a ring all-reduce moves {megabytes:.1f} MB per process per step "
                  f"with 2 processes (2 (N-1)/N x {parameters * 4 / 1e6:.1f} MB of fp32 gradients, about twice "
                  f"that bound for many). Over a 10 Gb/s link that is at most {ceiling:.0f} steps/s "
                  f"from communication alone, against {one['steps_per_s']:.2f} steps/s of compute here."]
    return lines


def _translate(command: list[str], source: Path, out: Path) -> float:
    started = time.perf_counter()
    subprocess.run([*command, "-i", str(source), "-o", str(out), "-q", "--overwrite"], check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - started


def bench_ray(lines: int, model: str, tsv: str, work: Path) -> list[str]:
    sources = [line.split("\t")[0] for line in Path(tsv).read_text(encoding="utf-8").splitlines()]
    source = work / "input.txt"
    source.write_text("".join(sources[i % len(sources)] + "\n" for i in range(lines)), encoding="utf-8")
    translate = [str(BIN / "s2s-translate"), "-m", model]
    runs = [("plain runtime, 1 process x 2 threads", [*translate, "--threads", "2"]),
            ("Ray, 1 actor x 2 threads", [*translate, "--ray", "local", "--workers", "1", "--threads", "2"]),
            ("Ray, 2 actors x 1 thread", [*translate, "--ray", "local", "--workers", "2", "--threads", "1"])]
    rows, digests = [], set()
    for label, command in runs:
        out = work / f"out-{len(rows)}.txt"
        seconds = _translate(command, source, out)
        digests.add(hashlib.sha256(out.read_bytes()).hexdigest())
        rows.append((label, seconds))
    if len(digests) != 1:
        raise SystemExit("the runs wrote different bytes")
    blocks = -(-lines // 1024)
    table = ["| batch translation | sentences/s | wall s | overhead per 1,024-line block |", "|---|---|---|---|"]
    plain = rows[0][1]
    for label, seconds in rows:
        overhead = "" if seconds is plain else f"{1000 * (seconds - plain) / blocks:+.0f} ms"
        table.append(f"| {label} | {lines / seconds:,.0f} | {seconds:.1f} | {overhead} |")
    table += ["", f"{lines:,} lines; every run wrote the same bytes. Ray's wall time includes starting the "
                  "one-machine instance and its actors (each loads the bundle once)."]
    return table


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--train-minutes", type=float, default=2.0)
    parser.add_argument("--lines", type=int, default=20_000)
    parser.add_argument("--model", default="models/eng-fra")
    parser.add_argument("--train", default="../shared/data/tatoeba-eng-fra/train.tsv")
    parser.add_argument("--test", default="../shared/data/tatoeba-eng-fra/test.tsv")
    parser.add_argument("--skip-training", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as work:
        work_dir = Path(work)
        if not args.skip_training:
            print("\n".join(bench_training(args.train_minutes, args.train, work_dir)) + "\n")
        print("\n".join(bench_ray(args.lines, args.model, args.test, work_dir)))


if __name__ == "__main__":
    main()
