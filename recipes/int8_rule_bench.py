"""int8 activation rules against each other, same weights: interleaved, repeated throughput.

    python recipes/int8_rule_bench.py --repeats 5

Three forms of the shipped English->French graphs, every int8 weight identical:

- per tensor: the release before batch invariance (`git show 30389e1:models/eng-fra`), whose
  graphs quantise activations with DynamicQuantizeLinear (a sentence's output depends on its batch);
- per row: the release before the fixed scale (`git show 6c0edb9:models/eng-fra`), every
  activation quantised per row by the fused quantiser (Abs, ReduceMax, one per-axis QuantizeLinear);
- fixed: the per-tensor release rewritten by today's `python -m s2s.export.requantize`, which
  gives every activation proved to lie in [-1, 1] the fixed scale 1/127 (all five in this model).

Each repeat measures the three one after the other, at every batch size and thread count,
translating the Tatoeba test sources; the table gives medians and the ratios to per tensor.
Run it on an otherwise idle machine.
"""

from __future__ import annotations

import argparse
import io
import json
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

from s2s.export.manifest import finalise

PER_TENSOR_RELEASE = "30389e1"
PER_ROW_RELEASE = "6c0edb9"


def _from_git(commit: str, into: Path) -> Path:
    archive = subprocess.run(["git", "archive", "--format=tar", commit, "models/eng-fra"],
                             check=True, capture_output=True).stdout
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        tar.extractall(into, filter="data")
    return into / "models" / "eng-fra"


def build_bundles(work: Path) -> dict[str, Path]:
    """The per-tensor and per-row release bundles from git, and today's rewrite of the first."""
    per_tensor = _from_git(PER_TENSOR_RELEASE, work / "per-tensor")
    per_row = _from_git(PER_ROW_RELEASE, work / "per-row")
    # The step loop against the step loop: that release's one-call graph, which the others lack
    # and the runtime would use for batches of one, is left out.
    (per_row / "greedy.onnx").unlink()
    manifest = json.loads((per_row / "model.json").read_text(encoding="utf-8"))
    manifest["verification"].pop("one_call", None)
    finalise(per_row, manifest)
    fixed = work / "fixed"
    subprocess.run([sys.executable, "-m", "s2s.export.requantize", str(per_tensor), "-o", str(fixed),
                    "--sample", str(work / "sample.txt")], check=True, capture_output=True)
    return {"per tensor": per_tensor, "per row": per_row, "fixed": fixed}


def sentences_per_second(translator, sentences: list[str], batch_size: int, min_seconds: float) -> float:
    """Throughput over whole passes of `sentences`, as many as take `min_seconds` (a pass of
    this fast host's can be a fraction of a second: too short to time alone)."""
    done, started = 0, time.perf_counter()
    while done == 0 or time.perf_counter() - started < min_seconds:
        translator.translate(sentences, batch_size=batch_size, split_sentences=False)
        done += len(sentences)
    return done / (time.perf_counter() - started)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--test", default="../shared/data/tatoeba-eng-fra/test.tsv")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--batch-sizes", type=int, nargs="+", default=[1, 16, 64, 256])
    parser.add_argument("--min-seconds", type=float, default=2.0, help="least time of each measurement")
    args = parser.parse_args()
    from s2s.runtime import Translator

    sources = [line.split("\t")[0] for line in Path(args.test).read_text(encoding="utf-8").splitlines()]
    with tempfile.TemporaryDirectory() as work:
        work_dir = Path(work)
        (work_dir / "sample.txt").write_text("\n".join(sources[:500]) + "\n", encoding="utf-8")
        bundles = build_bundles(work_dir)
        names = list(bundles)
        print("| threads | batch | " + " | ".join(f"{n} sent/s" for n in names)
              + " | per row / per tensor | fixed / per tensor |\n|---|---|" + "---|" * (len(names) + 2))
        for threads in (1, 2):
            translators = {name: Translator.load(path, threads=threads) for name, path in bundles.items()}
            for translator in translators.values():
                translator.translate(sources[:100])  # warm-up
            for batch_size in args.batch_sizes:
                # Batch 1 is slow: a tenth of the file a pass.
                sentences = sources[: len(sources) // 10] if batch_size == 1 else sources
                rates: dict[str, list[float]] = {name: [] for name in translators}
                for _ in range(args.repeats):
                    for name, translator in translators.items():  # interleaved: drift hits all
                        rates[name].append(sentences_per_second(translator, sentences, batch_size, args.min_seconds))
                medians = [statistics.median(rates[name]) for name in names]
                print(f"| {threads} | {batch_size} | " + " | ".join(f"{m:,.0f}" for m in medians)
                      + f" | {medians[1] / medians[0]:.3f} | {medians[2] / medians[0]:.3f} |", flush=True)


if __name__ == "__main__":
    main()
