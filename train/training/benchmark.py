"""Timing of the PyTorch reference greedy decoder, for comparison with the runtime.

Run as `python -m s2s.training.benchmark CHECKPOINT FILE --threads N --batch-sizes 1,64`; prints
JSON. `s2s-bench --torch` runs it through `measure_torch`, in a separate process, so the runtime
never imports torch and each side is measured in a process of its own.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from .errors import TrainingInputError


def measure_torch(checkpoint: Path, sentences: list[str], batch_sizes: list[int], latency_sentences: int,
                  threads: int) -> dict:
    """Time the PyTorch reference decoder (`main` below) in a child process of its own, so the
    runtime's measurement never shares a process with torch -> the child's JSON report."""
    with tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False, encoding="utf-8") as handle:
        handle.write("\n".join(s.replace("\n", " ") for s in sentences) + "\n")
        path = handle.name
    try:
        completed = subprocess.run(
            [sys.executable, "-m", "s2s.training.benchmark", str(checkpoint), path, "--threads", str(threads),
             "--batch-sizes", ",".join(map(str, batch_sizes)), "--latency-sentences", str(latency_sentences)],
            capture_output=True, text=True,
        )
    finally:
        os.unlink(path)
    if completed.returncode != 0:
        last = (completed.stderr.strip().splitlines() or ["unknown error"])[-1]
        raise TrainingInputError(f"the PyTorch comparison failed: {last}")
    return json.loads(completed.stdout)



def main() -> None:
    # Imported here: `measure_torch`, above, runs in the benchmark's own process without torch.
    import torch

    from .checkpoint import load_checkpoint
    from .decoding import greedy_decode
    from .tokenization import encode

    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("checkpoint")
    parser.add_argument("sentences", help="a text file, one source sentence a line")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--batch-sizes", default="64")
    parser.add_argument("--latency-sentences", type=int, default=200)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    checkpoint = load_checkpoint(args.checkpoint)
    model = checkpoint.model.eval()
    with open(args.sentences, encoding="utf-8") as handle:
        sentences = [line.rstrip("\n") for line in handle]
    ids = [s[: model.config.max_target_length] for s in encode(checkpoint.source_tokenizer, sentences)]
    greedy_decode(model, ids[:16], batch_size=16)  # warm-up
    latencies = []
    for sentence in ids[: args.latency_sentences]:
        started = time.perf_counter()
        greedy_decode(model, [sentence], batch_size=1)
        latencies.append(time.perf_counter() - started)
    result = {
        "threads": args.threads,
        "latency_ms_p50": 1000 * statistics.median(latencies),
        "latency_ms_p95": 1000 * statistics.quantiles(latencies, n=20)[-1],
        "throughput": {},
    }
    for batch_size in (int(b) for b in args.batch_sizes.split(",")):
        started = time.perf_counter()
        outputs = greedy_decode(model, ids, batch_size=batch_size)
        seconds = time.perf_counter() - started
        result["throughput"][str(batch_size)] = {
            "sentences_per_second": len(ids) / seconds,
            "tokens_per_second": sum(len(o) for o in outputs) / seconds,
        }
    print(json.dumps(result))


if __name__ == "__main__":
    main()
