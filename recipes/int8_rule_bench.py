"""Per-row against per-tensor int8 activations, same weights: interleaved, repeated throughput.

    python recipes/int8_rule_bench.py --repeats 5

The per-tensor graphs are the release before per-row quantisation (`git show 30389e1:models/eng-fra`,
the bundle whose graphs quantise activations with DynamicQuantizeLinear); the per-row graphs are
the same graphs rewritten, every int8 weight identical: by `python -m s2s.export.requantize` (the
fused quantiser the export writes now), and by the element-wise quantiser of the release before it
(`quantize_rows` of `git show b582a36:export/quantize.py`). Each repeat measures all three, one
after the other, at every batch size and thread count, translating the Tatoeba test sources; the
table gives medians and the per-row / per-tensor ratios. Run it on an otherwise idle machine.
"""

from __future__ import annotations

import argparse
import importlib.util
import io
import json
import shutil
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

import onnx

from s2s.export.manifest import finalise

PER_TENSOR_RELEASE = "30389e1"
ELEMENTWISE_RELEASE = "b582a36"


def _from_git(commit: str, into: Path) -> Path:
    archive = subprocess.run(["git", "archive", "--format=tar", commit, "models/eng-fra"],
                             check=True, capture_output=True).stdout
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        tar.extractall(into, filter="data")
    return into / "models" / "eng-fra"


def build_bundles(work: Path) -> dict[str, Path]:
    """The per-tensor release bundle from git, and its fused and element-wise per-row rewrites."""
    per_tensor = _from_git(PER_TENSOR_RELEASE, work / "per-tensor")
    fused = work / "per-row-fused"
    subprocess.run([sys.executable, "-m", "s2s.export.requantize", str(per_tensor), "-o", str(fused),
                    "--sample", str(work / "sample.txt")], check=True, capture_output=True)
    old_quantiser = work / "elementwise_quantize.py"
    old_quantiser.write_bytes(subprocess.run(["git", "show", f"{ELEMENTWISE_RELEASE}:export/quantize.py"],
                                             check=True, capture_output=True).stdout)
    spec = importlib.util.spec_from_file_location("elementwise_quantize", old_quantiser)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    elementwise = work / "per-row-elementwise"
    shutil.copytree(per_tensor, elementwise)
    for graph in ("encoder.onnx", "decoder.onnx"):
        model = onnx.load(str(elementwise / graph))
        module.quantize_rows(model)
        onnx.save(model, str(elementwise / graph))
    manifest = json.loads((elementwise / "model.json").read_text(encoding="utf-8"))
    manifest["onnx"]["activation_quantisation"] = "per-row"
    finalise(elementwise, manifest)
    return {"per tensor": per_tensor, "per row, element-wise": elementwise, "per row, fused": fused}


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
        bundles = build_bundles(work_dir)
        names = list(bundles)
        print("| threads | batch | " + " | ".join(f"{n} sent/s" for n in names)
              + " | element-wise / per tensor | fused / per tensor |\n|---|---|" + "---|" * (len(names) + 2))
        for threads in (1, 2):
            translators = {name: Translator.load(path, threads=threads) for name, path in bundles.items()}
            for translator in translators.values():
                translator.translate(sources[:100])  # warm-up
            for batch_size in args.batch_sizes:
                # Batch 1 is slow: a tenth of the file keeps each measurement under a minute.
                sentences = sources[: len(sources) // 10] if batch_size == 1 else sources
                rates: dict[str, list[float]] = {name: [] for name in translators}
                for _ in range(args.repeats):
                    for name, translator in translators.items():  # interleaved: drift hits all
                        rates[name].append(sentences_per_second(translator, sentences, batch_size))
                medians = [statistics.median(rates[name]) for name in names]
                print(f"| {threads} | {batch_size} | " + " | ".join(f"{m:,.0f}" for m in medians)
                      + f" | {medians[1] / medians[0]:.3f} | {medians[2] / medians[0]:.3f} |", flush=True)


if __name__ == "__main__":
    main()
