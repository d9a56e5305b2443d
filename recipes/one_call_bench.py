"""The one-call greedy graph against the step loop, by batch size and thread count.

    python recipes/one_call_bench.py --model models/eng-fra --repeats 3

Adds greedy.onnx to a copy of the bundle (python -m s2s.export.add_greedy), then decodes the
Tatoeba test sources greedily both ways at batch sizes 1, 4, 8, 16, 64 and 256 with 1 and 2
threads (interleaved, median of --repeats), after tokenisation and length bucketing as the
runtime does them. Prints a Markdown table; the crossover picks the runtime's
ONE_CALL_MAX_BATCH. Run it on an otherwise idle machine.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="models/eng-fra")
    parser.add_argument("--test", default="../shared/data/tatoeba-eng-fra/test.tsv")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--batch-sizes", type=int, nargs="+", default=[1, 4, 8, 16, 64, 256])
    args = parser.parse_args()
    from s2s.export.add_greedy import add_greedy_to_bundle
    from s2s.runtime import Translator
    from s2s.runtime.decoding.search import GreedySearch, pad_batch, search

    sources_text = [line.split("\t")[0] for line in Path(args.test).read_text(encoding="utf-8").splitlines()]
    with tempfile.TemporaryDirectory() as work:
        bundle = Path(work) / "bundle"
        add_greedy_to_bundle(Path(args.model), bundle, sources_text[:200])
        print("| threads | batch | step loop sent/s | one call sent/s | one call / step loop |\n|---|---|---|---|---|")
        for threads in (1, 2):
            translator = Translator.load(bundle, threads=threads)
            model = translator.model
            sources = [ids for ids in translator.source_tokenizer.encode_batch(sources_text) if ids]
            for batch_size in args.batch_sizes:
                chosen = sources[:300] if batch_size < 16 else sources  # small batches are slow: fewer sentences
                order = sorted(range(len(chosen)), key=lambda i: len(chosen[i]))
                batches = [[chosen[i] for i in order[s : s + batch_size]] for s in range(0, len(order), batch_size)]

                def step_loop() -> None:
                    for batch in batches:
                        limits = [translator.bundle.manifest.decoding.limit(len(s)) for s in batch]
                        search(model, batch, translator.pad_id, GreedySearch(limits, translator.sos_id, translator.eos_id))

                def one_call() -> None:
                    for batch in batches:
                        model.decode_greedy(*pad_batch(batch, translator.pad_id))

                rates: dict[str, list[float]] = {"step": [], "one": []}
                for _ in range(args.repeats):
                    for name, run in (("step", step_loop), ("one", one_call)):
                        started = time.perf_counter()
                        run()
                        rates[name].append(len(chosen) / (time.perf_counter() - started))
                step, one = statistics.median(rates["step"]), statistics.median(rates["one"])
                print(f"| {threads} | {batch_size} | {step:,.0f} | {one:,.0f} | {one / step:.2f} |", flush=True)


if __name__ == "__main__":
    main()
