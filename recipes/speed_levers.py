"""Measure the runtime's speed levers one at a time and print a Markdown table.

    python recipes/speed_levers.py --bundle int8-luong=models/eng-fra --bundle fp32-luong=/tmp/eng-fra-fp32 \
        --test ../shared/data/tatoeba-eng-fra/test.tsv

Every bundle is measured with the shipped session settings (2 threads, spinning off,
ORT_ENABLE_ALL); the first one also with each setting changed on its own: 1 thread, spinning on,
basic graph optimisation. Figures are
batch-1 latency (p50 over the first 300 sentences) and batch-64 throughput over the whole file;
BLEU is given for the shipped settings (it does not depend on session settings). Runtime only:
no torch needed. The session settings are swapped in by replacing `session_options`, which is
what every session of the runtime is built from.
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

import onnxruntime as ort
from s2s.runtime import Translator
from s2s.runtime.decoding import sessions
from s2s.tools.benchmark import read_sentences
from s2s.tools.evaluation import evaluate, read_test_set

SHIPPED = sessions.session_options

VARIANTS: dict[str, dict] = {
    "shipped settings (2 threads, no spinning, all optimisations)": {},
    "1 thread": {"threads": 1},
    "thread spinning on": {"spinning": True},
    "basic graph optimisation only": {"optimization": ort.GraphOptimizationLevel.ORT_ENABLE_BASIC},
}


def options_with(threads: int | None = None, spinning: bool = False, optimization=None):
    def build(requested: int | None) -> ort.SessionOptions:
        options = SHIPPED(threads or requested)
        if spinning:
            options.add_session_config_entry("session.intra_op.allow_spinning", "1")
        if optimization is not None:
            options.graph_optimization_level = optimization
        return options

    return build


def measure(translator: Translator, sentences: list[str]) -> tuple[float, float]:
    translator.translate(sentences[:64])  # warm-up
    latencies = []
    for sentence in sentences[:300]:
        started = time.perf_counter()
        translator.translate([sentence])
        latencies.append(time.perf_counter() - started)
    started = time.perf_counter()
    translator.translate(sentences, batch_size=64)
    return 1000 * statistics.median(latencies), len(sentences) / (time.perf_counter() - started)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--bundle", action="append", required=True, help="LABEL=PATH (repeatable)")
    parser.add_argument("--test", type=Path, default=Path("../shared/data/tatoeba-eng-fra/test.tsv"))
    args = parser.parse_args()
    sentences = read_sentences(args.test)
    sources, references = read_test_set(args.test)
    rows = ["| bundle | setting | batch-1 p50 ms | batch-64 sent/s | BLEU |", "|---|---|---|---|---|"]
    for index, spec in enumerate(args.bundle):
        label, path = spec.split("=", 1)
        for name, change in list(VARIANTS.items())[: None if index == 0 else 1]:
            sessions.session_options = options_with(**change)
            try:
                translator = Translator.load(path, threads=2)
            finally:
                sessions.session_options = SHIPPED
            p50, throughput = measure(translator, sentences)
            bleu = f"{evaluate(translator, sources, references, str(args.test))[0].bleu:.2f}" if not change else ""
            rows.append(f"| {label} | {name} | {p50:.2f} | {throughput:,.0f} | {bleu} |")
            print(rows[-1], flush=True)
    print("\n".join(rows))


if __name__ == "__main__":
    main()
