"""What this machine allows for a bundle: its work per sentence against measured kernel rates.

    python recipes/hardware_floor.py -m models/eng-fra -i ../shared/data/tatoeba-eng-fra/test.tsv

1. The model's work, read from its graphs: multiply-adds per target token in decoder.onnx (each
   MatMulInteger or MatMul with a weight matrix, plus attention over the source) and per source
   token in encoder.onnx (the recurrent ops, fp32 in every ONNX Runtime, and the quantised
   products), and the weight bytes one decoder step reads.
2. The machine's rates, measured with ONNX Runtime itself on the shapes that dominate: the int8
   product the decoder step runs most (u8 x s8 MatMulInteger, the output layer's [rows, K] x [K, N])
   and fp32 MatMul of the same shape, at 1, 64 and 256 rows and 1 and 2 threads (and PyTorch's
   fp32 linear layer, the reference decoder's, where torch is installed); memory bandwidth by a
   large numpy copy.
3. The floor: for each batch size and thread count, the sentences/s that the int8 rate allows
   for the test set's real token counts (the runtime's own greedy output), encoder included at the
   fp32 rate, against what the runtime measures on the same sentences (tokenisation included).

Prints Markdown. Run it on an otherwise idle machine.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import time
from pathlib import Path

import numpy as np
import onnx
import onnxruntime as ort
from onnx import TensorProto, helper, numpy_helper

from s2s.runtime import Translator
from s2s.runtime.decoding.sessions import session_options


def processor() -> str:
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            return f"{line.split(':', 1)[1].strip()}, {os.cpu_count()} cores"
    return platform.processor() or "unknown processor"


def graph_work(path: Path, recurrent_steps: float, product_rows: float) -> tuple[float, int]:
    """(multiply-adds per sentence of one run of the graph, weight bytes it reads): each product
    with a weight matrix counted `product_rows` times, each recurrent op `recurrent_steps` times."""
    model = onnx.load(str(path), load_external_data=False)
    shapes = {i.name: list(i.dims) for i in model.graph.initializer}
    dtypes = {i.name: i.data_type for i in model.graph.initializer}
    macs = 0.0
    weight_bytes = 0
    for node in model.graph.node:
        if node.op_type in ("MatMulInteger", "MatMul") and node.input[1] in shapes:
            k, n = shapes[node.input[1]][-2:]
            macs += product_rows * k * n
            weight_bytes += k * n * (1 if dtypes[node.input[1]] == TensorProto.INT8 else 4)
        elif node.op_type in ("GRU", "LSTM", "RNN"):
            w, r = shapes[node.input[1]], shapes[node.input[2]]  # [dirs, gates*H, in], [dirs, gates*H, H]
            macs += recurrent_steps * (w[0] * w[1] * w[2] + r[0] * r[1] * r[2])
            weight_bytes += 4 * (int(np.prod(w)) + int(np.prod(r)))
    return macs, weight_bytes


def product_rate(rows: int, k: int, n: int, threads: int, int8: bool, seconds: float = 1.0) -> float:
    """Multiply-adds per second of one [rows, k] x [k, n] product in ONNX Runtime."""
    rng = np.random.default_rng(0)
    if int8:
        weight = numpy_helper.from_array(rng.integers(-127, 128, size=(k, n), dtype=np.int8), "w")
        node = helper.make_node("MatMulInteger", ["x", "w"], ["y"])
        x = rng.integers(0, 256, size=(rows, k), dtype=np.uint8)
        inputs = [helper.make_tensor_value_info("x", TensorProto.UINT8, [rows, k])]
        outputs = [helper.make_tensor_value_info("y", TensorProto.INT32, [rows, n])]
    else:
        weight = numpy_helper.from_array(rng.normal(size=(k, n)).astype(np.float32), "w")
        node = helper.make_node("MatMul", ["x", "w"], ["y"])
        x = rng.normal(size=(rows, k)).astype(np.float32)
        inputs = [helper.make_tensor_value_info("x", TensorProto.FLOAT, [rows, k])]
        outputs = [helper.make_tensor_value_info("y", TensorProto.FLOAT, [rows, n])]
    model = helper.make_model(helper.make_graph([node], "product", inputs, outputs, [weight]),
                              opset_imports=[helper.make_opsetid("", 17)])
    session = ort.InferenceSession(model.SerializeToString(), sess_options=session_options(threads),
                                   providers=["CPUExecutionProvider"])
    for _ in range(5):
        session.run(None, {"x": x})
    runs, started = 0, time.perf_counter()
    while time.perf_counter() - started < seconds:
        session.run(None, {"x": x})
        runs += 1
    return runs * rows * k * n / (time.perf_counter() - started)


def torch_rate(rows: int, k: int, n: int, threads: int, seconds: float = 1.0) -> float | None:
    """Multiply-adds per second of PyTorch's fp32 linear layer of the same shape (None without torch)."""
    try:
        import torch
    except ImportError:
        return None
    torch.set_num_threads(threads)
    x, weight = torch.randn(rows, k), torch.randn(n, k)
    with torch.inference_mode():
        for _ in range(5):
            torch.nn.functional.linear(x, weight)
        runs, started = 0, time.perf_counter()
        while time.perf_counter() - started < seconds:
            torch.nn.functional.linear(x, weight)
            runs += 1
    return runs * rows * k * n / (time.perf_counter() - started)


def memory_bandwidth() -> float:
    """Bytes per second of a 256 MB copy (read + write), best of 5."""
    source = np.ones(256 << 18, dtype=np.float32)
    target = np.empty_like(source)
    best = 0.0
    for _ in range(5):
        started = time.perf_counter()
        np.copyto(target, source)
        best = max(best, 2 * source.nbytes / (time.perf_counter() - started))
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-m", "--model", type=Path, default=Path("models/eng-fra"))
    parser.add_argument("-i", "--input", type=Path, default=Path("../shared/data/tatoeba-eng-fra/test.tsv"))
    parser.add_argument("--batch-size", type=int, action="append", dest="batch_sizes")
    args = parser.parse_args()
    batch_sizes = args.batch_sizes or [1, 64, 256]
    sources = [line.split("\t")[0] for line in args.input.read_text(encoding="utf-8").splitlines() if line.strip()]

    translator = Translator.load(args.model, threads=2)
    results = translator.translate_results(sources, split_sentences=False)
    source_tokens = [len(ids) for ids in translator.source_tokenizer.encode_batch(sources)]
    target_steps = [len(r.hypotheses[0].tokens) + 1 for r in results]  # + <eos>: one step each
    mean_source = statistics.mean(source_tokens)
    mean_steps = statistics.mean(target_steps)

    decoder_macs, decoder_bytes = graph_work(args.model / "decoder.onnx", 0, 1)
    memory_dim = translator.bundle.manifest.document["architecture"].get("memory_dim", 0)
    attention_macs = 2 * mean_source * memory_dim if translator.bundle.manifest.architecture.attention != "none" else 0
    # Every encoder product counted once per source token: an upper bound (the bridge runs once).
    encoder_macs, _ = graph_work(args.model / "encoder.onnx", mean_source, mean_source)
    per_sentence_int8 = mean_steps * (decoder_macs + attention_macs)
    rates = {}
    model = onnx.load(str(args.model / "decoder.onnx"), load_external_data=False)
    dims = {i.name: list(i.dims) for i in model.graph.initializer}
    largest = max((dims[n.input[1]] for n in model.graph.node
                   if n.op_type == "MatMulInteger" and n.input[1] in dims), key=lambda d: d[0] * d[1])
    k, n = largest[-2:]
    print(f"Machine: {processor()}; onnxruntime {ort.__version__}; bundle {args.model}; {len(sources):,} "
          f"sentences of {args.input}\n")
    print("| model work | value |\n|---|---|")
    print(f"| decoder step, multiply-adds per row (products) | {decoder_macs / 1e6:.2f} M |")
    print(f"| decoder step, attention multiply-adds per row (mean source {mean_source:.1f} tokens) | "
          f"{attention_macs / 1e6:.3f} M |")
    print(f"| decoder step, weight bytes read (int8 products) | {decoder_bytes / 1e6:.2f} MB |")
    print(f"| encoder, multiply-adds per sentence (fp32 recurrence + int8 products, upper bound) | {encoder_macs / 1e6:.2f} M |")
    print(f"| steps per sentence (greedy output + `<eos>`) | {mean_steps:.2f} |")
    print(f"| multiply-adds per sentence, decoder / encoder | {per_sentence_int8 / 1e6:.1f} M / "
          f"{encoder_macs / 1e6:.1f} M |\n")

    bandwidth = memory_bandwidth()
    print(f"Memory bandwidth (256 MB numpy copy, read + write): {bandwidth / 1e9:.1f} GB/s; one decoder step's "
          f"int8 weights ({decoder_bytes / 1e6:.1f} MB) streamed from memory would take "
          f"{1e3 * decoder_bytes / bandwidth:.2f} ms.\n")
    print(f"Rates of the largest product of the step ([rows, {k}] x [{k}, {n}]), ONNX Runtime, GMAC/s:\n")
    print("| threads | rows | ORT int8 (MatMulInteger) | ORT fp32 (MatMul) | PyTorch fp32 (linear) |\n|---|---|---|---|---|")
    for threads in (1, 2):
        for rows in batch_sizes:
            rates[threads, rows] = (product_rate(rows, k, n, threads, True), product_rate(rows, k, n, threads, False))
            int8_rate, fp32_rate = rates[threads, rows]
            reference = torch_rate(rows, k, n, threads)
            print(f"| {threads} | {rows} | {int8_rate / 1e9:.1f} | {fp32_rate / 1e9:.1f} | "
                  f"{'-' if reference is None else f'{reference / 1e9:.1f}'} |")
    print("\nFloor (the rates above applied to every product, the encoder at the fp32 rate) against the runtime:\n")
    print("| threads | batch | floor sentences/s | runtime sentences/s | runtime / floor |\n|---|---|---|---|---|")
    for threads in (1, 2):
        runtime = Translator.load(args.model, threads=threads)
        runtime.translate(sources[:100])
        for rows in batch_sizes:
            int8_rate, fp32_rate = rates[threads, rows]
            floor = 1 / (per_sentence_int8 / int8_rate + encoder_macs / fp32_rate)
            sentences = sources[: len(sources) // 10] if rows == 1 else sources
            started = time.perf_counter()
            runtime.translate(sentences, batch_size=rows, split_sentences=False)
            measured = len(sentences) / (time.perf_counter() - started)
            print(f"| {threads} | {rows} | {floor:,.0f} | {measured:,.0f} | {measured / floor:.2f} |", flush=True)


if __name__ == "__main__":
    main()
