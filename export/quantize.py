"""int8 quantisation of the exported graphs: int8 weights, activations quantised per row.

onnxruntime's `quantize_dynamic` quantises each activation with one scale for the whole tensor
(DynamicQuantizeLinear), so a sentence's numbers depend on the other sentences of its batch.
`quantize_rows` rewrites every DynamicQuantizeLinear into a per-row quantiser, which makes a
row's translation independent of its batch neighbours (docs/bundle-format.md, "batch
invariance"):

    scale = max(|x|, over the last axis) / 127       (one scale per row, keepdims)
    q     = uint8(round(x / scale) + 128)            zero point 128 for every row

A constant zero point keeps the MatMulInteger kernels onnxruntime has (their activation zero
point must be a scalar). The per-row scale multiplies the float result *after* the
`Mul(Cast(MatMulInteger), activation scale x weight scale)` that quantize_dynamic writes, whose
activation scale becomes 1: onnxruntime fuses that pattern into MatMulIntegerToFloat, which
takes only a scalar (or per-column) activation scale and silently computes nonsense with a
per-row one. The int8 weights are not touched.
"""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

ROW_ZERO_POINT = 128
# Floor of a row's scale: an all-zero row quantises to the zero point instead of dividing by 0.
MIN_ROW_SCALE = 1e-12


def quantize_int8(source: Path, destination: Path) -> None:
    """Quantise the graph at `source` (int8 weights, per-row activations) into `destination`."""
    from onnxruntime.quantization import QuantType, quantize_dynamic

    root = logging.getLogger()
    level = root.level
    # quantize_dynamic logs a generic "consider pre-processing" advice on the root logger for
    # every model; pre-processing (shape inference) changes nothing for these small graphs.
    root.setLevel(logging.ERROR)
    try:
        quantize_dynamic(str(source), str(destination), weight_type=QuantType.QInt8)
    finally:
        root.setLevel(level)
    model = onnx.load(str(destination))
    quantize_rows(model)
    onnx.save(model, str(destination))


def _opset(model: onnx.ModelProto) -> int:
    return next((o.version for o in model.opset_import if o.domain in ("", "ai.onnx")), 0)


def quantize_rows(model: onnx.ModelProto) -> int:
    """Replace, in place, every DynamicQuantizeLinear of `model` by a per-row quantiser with the
    same three outputs (uint8 values, scale, zero point). Returns how many were replaced."""
    graph = model.graph
    opset = _opset(model)
    nodes: list[onnx.NodeProto] = []
    replaced = 0
    stale: set[str] = set()
    constants_added = False
    inv127, floor, offset = "row_quant_inv127", "row_quant_min_scale", "row_quant_offset"
    axes = "row_quant_axes"
    for node in graph.node:
        if node.op_type != "DynamicQuantizeLinear" or node.domain not in ("", "ai.onnx"):
            nodes.append(node)
            continue
        if not constants_added:
            graph.initializer.extend([
                numpy_helper.from_array(np.array(1 / 127, dtype=np.float32), inv127),
                numpy_helper.from_array(np.array(MIN_ROW_SCALE, dtype=np.float32), floor),
                numpy_helper.from_array(np.array(ROW_ZERO_POINT, dtype=np.float32), offset),
            ])
            if opset >= 18:  # ReduceMax takes its axes as an input from opset 18 on
                graph.initializer.append(numpy_helper.from_array(np.array([-1], dtype=np.int64), axes))
            constants_added = True
        x = node.input[0]
        quantized, scale, zero_point = node.output
        prefix = f"{node.name or x}/row_quant"
        if opset >= 18:
            reduce = helper.make_node("ReduceMax", [f"{prefix}/abs", axes], [f"{prefix}/max"], keepdims=1)
        else:
            reduce = helper.make_node("ReduceMax", [f"{prefix}/abs"], [f"{prefix}/max"], axes=[-1], keepdims=1)
        nodes += [
            helper.make_node("Abs", [x], [f"{prefix}/abs"]),
            reduce,
            helper.make_node("Mul", [f"{prefix}/max", inv127], [f"{prefix}/raw_scale"]),
            helper.make_node("Max", [f"{prefix}/raw_scale", floor], [scale]),
            helper.make_node("Div", [x, scale], [f"{prefix}/scaled"]),
            helper.make_node("Round", [f"{prefix}/scaled"], [f"{prefix}/rounded"]),
            helper.make_node("Add", [f"{prefix}/rounded", offset], [f"{prefix}/shifted"]),
            helper.make_node("Cast", [f"{prefix}/shifted"], [quantized], to=TensorProto.UINT8),
        ]
        graph.initializer.append(numpy_helper.from_array(np.array(ROW_ZERO_POINT, dtype=np.uint8), zero_point))
        stale.update(node.output)
        replaced += 1
    if replaced:
        graph.initializer.append(numpy_helper.from_array(np.array(1.0, dtype=np.float32), "row_quant_one"))
        nodes = _scale_after_product(nodes, stale)
    del graph.node[:]
    graph.node.extend(nodes)
    used = {name for node in nodes for name in node.input}
    unused = [i for i in graph.initializer if i.name.startswith("row_quant_") and i.name not in used]
    for initializer in unused:
        graph.initializer.remove(initializer)
    # Shapes recorded for the old outputs (a scalar scale) no longer hold.
    kept = [v for v in graph.value_info if v.name not in stale]
    del graph.value_info[:]
    graph.value_info.extend(kept)
    return replaced


def _scale_after_product(nodes: list[onnx.NodeProto], quantiser_outputs: set[str]) -> list[onnx.NodeProto]:
    """Move each per-row scale from `Mul(scale, weight_scale)` to after the Mul that applies that
    product to the cast int32 result (see the module docstring for why)."""
    consumers: dict[str, list[onnx.NodeProto]] = {}
    for node in nodes:
        for name in node.input:
            consumers.setdefault(name, []).append(node)
    scales = [n.output[0] for n in nodes if n.op_type == "Max" and n.output[0] in quantiser_outputs]
    after: dict[int, onnx.NodeProto] = {}
    for scale in scales:
        for scale_product in consumers.get(scale, []):
            if "/row_quant/" in scale_product.output[0]:  # the quantiser's own Div
                continue
            if scale_product.op_type != "Mul":
                raise ValueError(f"unexpected consumer {scale_product.op_type} of activation scale {scale}")
            scale_product.input[list(scale_product.input).index(scale)] = "row_quant_one"
            for apply in consumers.get(scale_product.output[0], []):
                if apply.op_type != "Mul":
                    raise ValueError(f"unexpected consumer {apply.op_type} of scale product {scale_product.output[0]}")
                result = apply.output[0]
                apply.output[0] = f"{result}/before_row_scale"
                after[id(apply)] = helper.make_node("Mul", [apply.output[0], scale], [result])
    out: list[onnx.NodeProto] = []
    for node in nodes:
        out.append(node)
        if id(node) in after:
            out.append(after[id(node)])
    return out


def count_tensor_quantisers(model: onnx.ModelProto) -> int:
    """DynamicQuantizeLinear nodes left (each makes output depend on the batch)."""
    return sum(1 for n in model.graph.node if n.op_type == "DynamicQuantizeLinear")
