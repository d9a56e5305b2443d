"""Per-row against per-tensor int8 activations, same weights: interleaved, repeated throughput.

    python recipes/int8_rule_bench.py --repeats 5

The per-tensor graphs are the release before per-row quantisation (`git show 30389e1:models/eng-fra`,
the bundle whose graphs quantise activations with DynamicQuantizeLinear); the per-row graphs are
the same bundle rewritten by `python -m s2s.export.requantize` (every int8 weight identical). Each
repeat measures both, one after the other, at every batch size and thread count, translating the
Tatoeba test sources; the table gives medians and the per-row / per-tensor ratio. Run it on an
otherwise idle machine.
"""

from __future__ import annotations

import argparse
import io
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

PER_TENSOR_RELEASE = "30389e1"


def build_bundles(work: Path) -> tuple[Path, Path]:
    """The per-tensor release bundle from git, and its per-row rewrite."""
    archive = subprocess.run(["git", "archive", "--format=tar", PER_TENSOR_RELEASE, "models/eng-fra"],
                             check=True, capture_output=True).stdout
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        tar.extractall(work, filter="data")
    per_tensor = work / "models" / "eng-fra"
    per_row = work / "per-row"
    subprocess.run([sys.executable, "-m", "s2s.export.requantize", str(per_tensor), "-o", str(per_row),
                    "--sample", str(work / "sample.txt")], check=True, capture_output=True)
    return per_tensor, per_row


def sentences_per_second(translator, sentences: list[str], batch_size: int) -> float:
    started = time.perf_counter()
    translator.translate(sentences, batch_size=batch_size, split_sentences=False)
    return len(sentences) / (time.perf_counter() - started)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--test", default="../shared/data/tatoeba-eng-fra/test.tsv")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--batch-sizes", type=int, nargs="+", default=[1, 16, 64, 256])
    args = parser.parse_args()
    from s2s.runtime import Translator

    sources = [line.split("\t")[0] for line in Path(args.test).read_text(encoding="utf-8").splitlines()]
    with tempfile.TemporaryDirectory() as work:
        work_dir = Path(work)
        (work_dir / "sample.txt").write_text("\n".join(sources[:500]) + "\n", encoding="utf-8")
        bundles = dict(zip(("per tensor", "per row"), build_bundles(work_dir)))
        print("| threads | batch | per tensor sent/s | per row sent/s | per row / per tensor |\n|---|---|---|---|---|")
        for threads in (1, 2):
            translators = {name: Translator.load(path, threads=threads) for name, path in bundles.items()}
            for translator in translators.values():
                translator.translate(sources[:100])  # warm-up
            for batch_size in args.batch_sizes:
                # Batch 1 is slow: a tenth of the file keeps each measurement under a minute.
                sentences = sources[: len(sources) // 10] if batch_size == 1 else sources
                rates: dict[str, list[float]] = {name: [] for name in translators}
                for _ in range(args.repeats):
                    for name, translator in translators.items():  # interleaved: drift hits both
                        rates[name].append(sentences_per_second(translator, sentences, batch_size))
                tensor, row = (statistics.median(rates[name]) for name in ("per tensor", "per row"))
                print(f"| {threads} | {batch_size} | {tensor:,.0f} | {row:,.0f} | {row / tensor:.3f} |", flush=True)


if __name__ == "__main__":
    main()
