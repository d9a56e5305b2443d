"""Translate a test set on the GPU and the CPU with one bundle: outputs compared, speed at batch 1 and 64.

    python recipes/gpu_check.py -m models/eng-fra -i ../shared/data/tatoeba-eng-fra/test.tsv -o gpu-check

Needs onnxruntime-gpu and a CUDA GPU. Writes cpu.txt, cuda.txt and summary.json under -o and
prints the summary (docs/performance.md, "GPU").
"""

from __future__ import annotations

import argparse
import json
import platform
import time
from pathlib import Path

import onnxruntime

from s2s.runtime import Translator


def _seconds(translator: Translator, texts: list[str], batch_size: int) -> tuple[float, list[str]]:
    started = time.perf_counter()
    out = translator.translate(texts, batch_size=batch_size)
    return time.perf_counter() - started, out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-m", "--model", required=True)
    parser.add_argument("-i", "--input", required=True, type=Path, help="TSV (source first) or one sentence a line")
    parser.add_argument("-o", "--out", required=True, type=Path)
    parser.add_argument("--latency-sentences", type=int, default=200)
    parser.add_argument("--devices", default="cuda,cpu", help="comma-separated, compared with the first")
    args = parser.parse_args()
    texts = [line.split("\t")[0] for line in args.input.read_text(encoding="utf-8").splitlines() if line.strip()]
    args.out.mkdir(parents=True, exist_ok=True)
    summary: dict = {"onnxruntime": onnxruntime.__version__, "providers": onnxruntime.get_available_providers(),
                     "machine": platform.processor() or platform.machine(), "sentences": len(texts)}
    outputs = {}
    devices = args.devices.split(",")
    for device in devices:
        translator = Translator.load(args.model, device=device)
        translator.translate(texts[:64])  # warm-up: session initialisation, CUDA kernels, allocator
        seconds, outputs[device] = _seconds(translator, texts, 64)
        few = texts[: args.latency_sentences]
        started = time.perf_counter()
        for text in few:
            translator.translate(text)
        latency = (time.perf_counter() - started) / len(few)
        summary[device] = {"batch64_sentences_per_s": round(len(texts) / seconds, 1),
                           "batch1_ms_per_sentence": round(latency * 1000, 2)}
        (args.out / f"{device}.txt").write_text("".join(t + "\n" for t in outputs[device]), encoding="utf-8")
        print(device, summary[device], flush=True)
    for other in devices[1:]:
        same = sum(a == b for a, b in zip(outputs[devices[0]], outputs[other]))
        summary[f"identical_lines_{devices[0]}_{other}"] = f"{same}/{len(texts)}"
    (args.out / "summary.json").write_text(json.dumps(summary, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(summary, indent=2))


if __name__ == "__main__":
    main()
