"""Micro-benchmark behind the decoder step's output head: onnxruntime (CPU, 2 threads) on logits
[batch, 8000] -> top-1 log-probability, three ways:

- TopK on the logits minus ReduceLogSumExp (what torch.logsumexp exports to);
- LogSoftmax then TopK (what the exporter writes);
- ReduceMax / Sub / Exp / ReduceSum / Log by hand.

    python recipes/logsumexp_bench.py
"""

from __future__ import annotations

import time

import numpy as np
import onnxruntime as ort
from onnx import TensorProto, helper


def _model(nodes: list, initializers: list) -> bytes:
    graph = helper.make_graph(
        nodes, "head",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["batch", 8000]),
         helper.make_tensor_value_info("k", TensorProto.INT64, [1])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, None)], initializer=initializers)
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 18)]).SerializeToString()


def variants() -> dict[str, bytes]:
    axis = helper.make_tensor("axis", TensorProto.INT64, [1], [-1])
    node = helper.make_node
    return {
        "TopK - ReduceLogSumExp": _model([
            node("TopK", ["x", "k"], ["top", "ids"]),
            node("ReduceLogSumExp", ["x", "axis"], ["lse"], keepdims=1),
            node("Sub", ["top", "lse"], ["y"])], [axis]),
        "LogSoftmax + TopK": _model([
            node("LogSoftmax", ["x"], ["log_probs"], axis=-1),
            node("TopK", ["log_probs", "k"], ["y", "ids"])], []),
        "max/exp/sum/log by hand": _model([
            node("TopK", ["x", "k"], ["top", "ids"]),
            node("ReduceMax", ["x", "axis"], ["max"], keepdims=1),
            node("Sub", ["x", "max"], ["shifted"]), node("Exp", ["shifted"], ["exp"]),
            node("ReduceSum", ["exp", "axis"], ["sum"], keepdims=1), node("Log", ["sum"], ["log_sum"]),
            node("Add", ["log_sum", "max"], ["lse"]), node("Sub", ["top", "lse"], ["y"])], [axis]),
    }


def main() -> None:
    options = ort.SessionOptions()
    options.intra_op_num_threads = 2
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    print("| head | batch 1 µs/step | batch 64 µs/step |\n|---|---|---|")
    rng = np.random.default_rng(0)
    for name, model in variants().items():
        session = ort.InferenceSession(model, options, providers=["CPUExecutionProvider"])
        cells = []
        for batch in (1, 64):
            feeds = {"x": (3 * rng.standard_normal((batch, 8000))).astype(np.float32), "k": np.array([1])}
            for _ in range(20):
                session.run(None, feeds)
            runs = 500
            started = time.perf_counter()
            for _ in range(runs):
                session.run(None, feeds)
            cells.append(f"{(time.perf_counter() - started) / runs * 1e6:,.0f}")
        print(f"| {name} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
