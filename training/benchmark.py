"""Timing of the PyTorch reference greedy decoder, for comparison with the runtime.

Run as `python -m s2s.training.benchmark CHECKPOINT FILE --threads N --batch-sizes 1,64`; prints
JSON. `s2s-bench --torch` runs it in a separate process, so the runtime never imports torch and
each side is measured in a process of its own.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time

import torch

from .checkpoint import load_checkpoint
from .decoding import greedy_decode
from .tokenization import encode


def main() -> None:
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
