"""Which graphs run fastest in onnxruntime-web: the int8 bundle against two float rewrites of it.

    python recipes/web_variants_bench.py -m models/eng-fra --sentences 500

onnxruntime-web (WebAssembly) has been measured running int8 MatMulInteger far slower than
native, so two rewrites of the same int8 bundle (same int8 weights, same bundle size) are built
and timed with hosts/js/bench/bench.js --web-only against the original:

- "integer products in float": each MatMulInteger becomes Cast(MatMul(Cast(a) - a_zero,
  Cast(w) - w_zero), int32), exact while k x max|a - a_zero| x max|w - w_zero| <= 2**24 (checked
  per product from the real weights), so the translations are the int8 bundle's, token for token;
  Cast(w) - w_zero reads only initializers and is folded into a float weight at session creation.
- "float activations": each product of a quantised activation (fixed scale or per row) becomes
  MatMul(x, Cast(w)) on the float activation, the activation scale dropped (the weight scale
  kept): int8 weights, float arithmetic; the share of sample sentences translated as the int8
  bundle does is printed.

Needs `npm ci` in hosts/js. Prints Markdown; run it on an otherwise idle machine.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

from s2s.export.exporter import add_greedy_graph
from s2s.export.manifest import finalise
from s2s.export.parity import greedy_agreement
from s2s.export.quantize import _FIXED as FIXED, _RUN_TIME_FIXED as FIXED_AT_RUN_TIME  # the graphs' names
from s2s.export.rewrite import encoded_sample, publish_rewritten, read_sample, rewrite_step_graphs, unpack
from s2s.runtime.bundle.reader import load_bundle

ROOT = Path(__file__).resolve().parent.parent


EXACT_FLOAT_INTEGER = 2**24  # every integer of at most this magnitude is a float32 exactly


def _integer_range(tensor_type: int, zero_point: int) -> int:
    """Largest |value - zero_point| a tensor of this integer type can hold."""
    low, high = (0, 255) if tensor_type == TensorProto.UINT8 else (-128, 127)
    return max(high - zero_point, zero_point - low)


def products_in_float(model: onnx.ModelProto) -> int:
    """Rewrite, in place, every MatMulInteger of `model` (its weights loaded) whose float
    accumulation is exact (see the module docstring) -> how many."""
    graph = model.graph
    initializers = {i.name: i for i in graph.initializer}

    def value(name: str) -> np.ndarray:
        return numpy_helper.to_array(initializers[name])

    nodes: list[onnx.NodeProto] = []
    rewritten = 0
    float_zero_points: dict[str, str] = {}

    def float_constant(name: str) -> str:
        if name not in float_zero_points:
            float_zero_points[name] = f"{name}/as_float"
            graph.initializer.append(numpy_helper.from_array(value(name).astype(np.float32), float_zero_points[name]))
        return float_zero_points[name]

    for node in list(graph.node):
        if node.op_type != "MatMulInteger" or node.domain not in ("", "ai.onnx"):
            nodes.append(node)
            continue
        a, w = node.input[0], node.input[1]
        a_zero = node.input[2] if len(node.input) > 2 and node.input[2] else None
        w_zero = node.input[3] if len(node.input) > 3 and node.input[3] else None
        if w not in initializers or any(z is not None and z not in initializers for z in (a_zero, w_zero)):
            nodes.append(node)
            continue
        weight = value(w).astype(np.int64)
        w_zero_value = int(value(w_zero)) if w_zero is not None else 0
        a_zero_value = int(value(a_zero)) if a_zero is not None else 0
        a_type = TensorProto.UINT8 if (a_zero is None or initializers[a_zero].data_type == TensorProto.UINT8) \
            else TensorProto.INT8
        k = weight.shape[-2]
        bound = k * _integer_range(a_type, a_zero_value) * int(np.abs(weight - w_zero_value).max(initial=0))
        if bound > EXACT_FLOAT_INTEGER:  # float could round: this product stays integer
            nodes.append(node)
            continue
        prefix = f"{node.output[0]}/in_float"
        nodes.append(helper.make_node("Cast", [a], [f"{prefix}/a"], to=TensorProto.FLOAT))
        activation = f"{prefix}/a"
        if a_zero is not None:
            nodes.append(helper.make_node("Sub", [activation, float_constant(a_zero)], [f"{prefix}/a_centred"]))
            activation = f"{prefix}/a_centred"
        nodes.append(helper.make_node("Cast", [w], [f"{prefix}/w"], to=TensorProto.FLOAT))  # folded at load
        weights = f"{prefix}/w"
        if w_zero is not None and w_zero_value != 0:
            nodes.append(helper.make_node("Sub", [weights, float_constant(w_zero)], [f"{prefix}/w_centred"]))
            weights = f"{prefix}/w_centred"
        nodes.append(helper.make_node("MatMul", [activation, weights], [f"{prefix}/product"]))
        # Back to the int32 the rest of the graph reads: exact (an integer), and it keeps the
        # scales from being folded into the MatMul, where they would round differently.
        nodes.append(helper.make_node("Cast", [f"{prefix}/product"], [node.output[0]], to=TensorProto.INT32))
        rewritten += 1
    del graph.node[:]
    graph.node.extend(nodes)
    return rewritten


def float_activations(model: onnx.ModelProto) -> int:
    """Rewrite, in place, each product whose activation has a per-row quantiser into a float
    MatMul on the activation itself (the row scale dropped, the weight scale kept) -> how many."""
    graph = model.graph
    producer = {output: node for node in graph.node for output in node.output}
    consumers: dict[str, list[onnx.NodeProto]] = {}
    for node in graph.node:
        for name in node.input:
            consumers.setdefault(name, []).append(node)
    rewritten = 0
    for node in list(graph.node):
        quantised = producer.get(node.input[0]) if node.op_type == "MatMulInteger" else None
        if quantised is not None and quantised.op_type == "QuantizeLinear" and quantised.input[1] == FIXED:
            activation = quantised.input[0]  # a fixed-scale activation: its scale leaves the weight scale's Mul
            [apply] = consumers[consumers[node.output[0]][0].output[0]]  # Mul(Cast(product), Mul(scale, w scale))
            scales = producer[next(i for i in apply.input if i in producer and producer[i].op_type == "Mul")]
            scales.input[list(scales.input).index(FIXED_AT_RUN_TIME)] = "row_quant_one"
            row_scale = None
        elif quantised is not None and quantised.op_type == "Reshape" and "/row_quant/" in quantised.input[0]:
            quantise = producer[quantised.input[0]]  # QuantizeLinear(rows, row scales, zero points)
            activation = producer[quantise.input[0]].input[0]  # what Reshape(x -> rows) read
            row_scale = producer[quantise.input[1]].input[0]
        else:
            continue  # not a product of a quantised activation (e.g. the embedding's)
        product = node.output[0]
        at = list(graph.node).index(node)
        graph.node.remove(node)
        graph.node.insert(at, helper.make_node("Cast", [node.input[1]], [f"{product}/w"], to=TensorProto.FLOAT))
        graph.node.insert(at + 1, helper.make_node("MatMul", [activation, f"{product}/w"], [f"{product}/float"]))
        for consumer in consumers[product]:  # Cast(to float) of a float: a no-op left in place
            consumer.input[0] = f"{product}/float"
        for consumer in consumers.get(row_scale, []) if row_scale else []:
            if consumer.op_type == "Mul" and "/row_quant/" not in consumer.output[0]:
                consumer.input[list(consumer.input).index(row_scale)] = "row_quant_one"
        rewritten += 1
    if not any(i.name == "row_quant_one" for i in graph.initializer):
        graph.initializer.append(numpy_helper.from_array(np.array(1.0, np.float32), "row_quant_one"))
    while True:  # the quantisers no longer read
        used = {name for node in graph.node for name in node.input} | {o.name for o in graph.output}
        dead = [node for node in graph.node if not any(output in used for output in node.output)]
        if not dead:
            return rewritten
        for node in dead:
            graph.node.remove(node)


def variant(bundle_path: Path, out: Path, transform, sample: list[str]) -> float:
    """Write `transform`ed graphs of the bundle to `out` -> share of `sample` translated as before."""
    bundle = load_bundle(bundle_path)
    manifest = bundle.manifest.editable()
    with tempfile.TemporaryDirectory() as work:
        directory = Path(work)
        unpack(bundle, directory)
        _, one_call = rewrite_step_graphs(directory, manifest, transform)
        manifest.pop("evaluation", None)
        finalise(directory, manifest)
        sources = encoded_sample(directory, manifest, sample, "the rewrite")
        limits = [bundle.manifest.decoding.limit(len(s)) for s in sources]
        agreement = greedy_agreement(bundle, load_bundle(directory), sources, limits)
        if one_call:
            add_greedy_graph(directory, sources, limits)
        publish_rewritten(directory, manifest, out)
    return agreement


def web_speed(bundle: Path, test: Path, sentences: int) -> str:
    output = subprocess.run(["node", str(ROOT / "hosts/js/bench/bench.js"), "-m", str(bundle), "-i", str(test),
                             "--sentences", str(sentences), "--web-only"], check=True, capture_output=True, text=True)
    return output.stdout.strip().splitlines()[-1].split("|", 2)[2].strip(" |")  # "p50 | sentences/s"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-m", "--model", type=Path, default=ROOT / "models/eng-fra")
    parser.add_argument("-i", "--input", type=Path, default=ROOT / "../shared/data/tatoeba-eng-fra/test.tsv")
    parser.add_argument("--sample", type=Path, default=ROOT / "../shared/data/tatoeba-eng-fra/valid.tsv")
    parser.add_argument("--sentences", type=int, default=500)
    args = parser.parse_args()
    sample = read_sample(args.sample, 200)
    with tempfile.TemporaryDirectory() as work:
        rows = [("int8 bundle as exported (MatMulInteger)", args.model, 1.0)]
        for name, transform in (("integer products in float (exact)", products_in_float),
                                ("float activations, int8 weights", float_activations)):
            out = Path(work) / name.split()[0]
            rows.append((name, out, variant(args.model, out, transform, sample)))
        print(f"onnxruntime-web (WebAssembly, 1 thread) in Node; bundle {args.model}; first {args.sentences} "
              f"sentences of {args.input}\n")
        print("| graphs | same translation as int8 (200 sample sentences) | batch-1 p50 ms | batch 64 sentences/s |")
        print("|---|---|---|---|")
        for name, path, agreement in rows:
            p50, rate = web_speed(path, args.input, args.sentences).split("|")
            print(f"| {name} | {100 * agreement:.1f}% | {p50.strip()} | {rate.strip()} |", flush=True)


if __name__ == "__main__":
    sys.exit(main())
