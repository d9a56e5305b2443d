"""int8 quantisation of the exported graphs: int8 weights, activations quantised per row.

onnxruntime's `quantize_dynamic` quantises each activation with one scale for the whole tensor
(DynamicQuantizeLinear), so a sentence's numbers depend on the other sentences of its batch.
`quantize_rows` rewrites every DynamicQuantizeLinear into a per-row quantiser, which makes a
row's translation independent of its batch neighbours (docs/bundle-format.md, "batch
invariance"):

    scale = max(|x|, over the last axis) / 127       (one scale per row, keepdims)
    q     = uint8(round(x / scale) + 128)            zero point 128 for every row

The division, rounding, shift and cast are one standard `QuantizeLinear` with a per-axis scale
(the activation seen as a [rows, features] matrix, one scale per row), so each quantised product
costs Abs, a reduction and one quantising pass over its input, not six element-wise kernels.
A constant zero point keeps the MatMulInteger kernels onnxruntime has (their activation zero
point must be a scalar). The per-row scale multiplies the float result *after* the
`Mul(Cast(MatMulInteger), activation scale x weight scale)` that quantize_dynamic writes, whose
activation scale becomes 1: onnxruntime fuses that pattern into MatMulIntegerToFloat, which
takes only a scalar (or per-column) activation scale and silently computes nonsense with a
per-row one. That 1 is computed at run time, so that constant folding leaves the pattern for the
fusion to find (`_ones_at_run_time`). The int8 weights are not touched.
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
_INV127, _FLOOR, _ONE, _AXES, _FLAT = (
    "row_quant_inv127", "row_quant_min_scale", "row_quant_one", "row_quant_axes", "row_quant_flat")
_RUN_TIME_ONE = "row_quant/one_at_run_time"
# Outputs of the element-wise per-row quantiser that bundles of format 2 and earlier carry
# (Abs, ReduceMax, Mul, Max, Div, Round, Add, Cast); `quantize_rows` fuses it like a
# DynamicQuantizeLinear, same arithmetic.
_ELEMENTWISE_STEPS = ("abs", "max", "raw_scale", "scaled", "rounded", "shifted")


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
    """Replace, in place, every activation quantiser of `model` that is not the fused per-row one
    (a tensor-wide DynamicQuantizeLinear, or the element-wise per-row chain of older bundles) by
    the fused per-row quantiser, with the same outputs (uint8 values, scale), and give the
    per-row products their run-time 1 (`_ones_at_run_time`). Returns how many were replaced."""
    graph = model.graph
    opset = _opset(model)
    original = list(graph.node)  # one Python object per node: the id()s below must stay valid
    features = _feature_counts(graph)
    ranks = _ranks(model)
    elementwise = _elementwise_quantisers(original)
    dropped = {id(node) for chain in elementwise.values() for node in chain[1]}
    nodes: list[onnx.NodeProto] = []
    replaced = 0
    stale: set[str] = set()
    tensor_wide: set[str] = set()
    for node in original:
        if node.op_type == "DynamicQuantizeLinear" and node.domain in ("", "ai.onnx"):
            x = node.input[0]
            quantized, scale, zero_point = node.output
            nodes += _row_quantiser(x, quantized, scale, features[quantized], f"{node.name or x}/row_quant", opset,
                                    ranks.get(x) == 2)
            graph.initializer.append(numpy_helper.from_array(np.array(ROW_ZERO_POINT, dtype=np.uint8), zero_point))
            stale.update(node.output)
            tensor_wide.add(scale)
            replaced += 1
        elif id(node) in elementwise:
            (x, quantized, scale, prefix), _ = elementwise[id(node)]
            nodes += _row_quantiser(x, quantized, scale, features[quantized], prefix, opset, ranks.get(x) == 2)
            stale.update((quantized, scale))
            replaced += 1
        elif id(node) not in dropped:
            nodes.append(node)
    if tensor_wide:
        nodes = _scale_after_product(nodes, tensor_wide)
    # Every per-row scale; element-wise bundles, like quantize_dynamic's graphs, hold a constant 1.
    scales = {n.output[0] for n in nodes if n.op_type == "Max" and _FLOOR in n.input}
    nodes, upgraded = _ones_at_run_time(nodes, scales)
    if not replaced and not upgraded:
        return 0
    del graph.node[:]
    graph.node.extend(nodes)
    _set_constants(graph, opset, {name for node in nodes for name in node.input})
    # Shapes recorded for the old outputs (a scalar scale) no longer hold.
    kept = [v for v in graph.value_info if v.name not in stale]
    del graph.value_info[:]
    graph.value_info.extend(kept)
    return replaced


def _row_quantiser(x: str, quantized: str, scale: str, features: int, prefix: str, opset: int,
                   rows: bool) -> list[onnx.NodeProto]:
    """Nodes computing `quantized` (uint8, x's shape) and `scale` (x's shape, last axis 1) of x;
    `rows`: x is known to be a [rows, features] matrix already (no reshapes around it)."""
    if opset >= 18:  # ReduceMax takes its axes as an input from opset 18 on
        reduce = helper.make_node("ReduceMax", [f"{prefix}/abs", _AXES], [f"{prefix}/max"], keepdims=1)
    else:
        reduce = helper.make_node("ReduceMax", [f"{prefix}/abs"], [f"{prefix}/max"], axes=[-1], keepdims=1)
    nodes = [
        helper.make_node("Abs", [x], [f"{prefix}/abs"]),
        reduce,
        helper.make_node("Mul", [f"{prefix}/max", _INV127], [f"{prefix}/raw_scale"]),
        helper.make_node("Max", [f"{prefix}/raw_scale", _FLOOR], [scale]),
        # QuantizeLinear's per-axis scale and zero point are 1-D: one of each a row.
        helper.make_node("Reshape", [scale, _FLAT], [f"{prefix}/row_scales"]),
        helper.make_node("Shape", [f"{prefix}/row_scales"], [f"{prefix}/row_count"]),
        helper.make_node("ConstantOfShape", [f"{prefix}/row_count"], [f"{prefix}/row_zero_points"],
                         value=helper.make_tensor("value", TensorProto.UINT8, [1], [ROW_ZERO_POINT])),
    ]
    quantise = [f"{prefix}/row_scales", f"{prefix}/row_zero_points"]
    if rows:
        return nodes + [helper.make_node("QuantizeLinear", [x, *quantise], [quantized], axis=0)]
    # Any other rank: x viewed as [rows, features] for the quantiser, and back.
    return nodes + [
        helper.make_node("Reshape", [x, f"row_quant_rows_of_{features}"], [f"{prefix}/rows"]),
        helper.make_node("QuantizeLinear", [f"{prefix}/rows", *quantise], [f"{prefix}/quantized_rows"], axis=0),
        helper.make_node("Shape", [x], [f"{prefix}/shape"]),
        helper.make_node("Reshape", [f"{prefix}/quantized_rows", f"{prefix}/shape"], [quantized]),
    ]


def _set_constants(graph: onnx.GraphProto, opset: int, used: set[str]) -> None:
    """The quantisers' shared constants: exactly those the graph's nodes read."""
    for initializer in [i for i in graph.initializer if i.name.startswith("row_quant_")]:
        graph.initializer.remove(initializer)
    wanted = {
        _INV127: np.array(1 / 127, dtype=np.float32),
        _FLOOR: np.array(MIN_ROW_SCALE, dtype=np.float32),
        _ONE: np.array(1.0, dtype=np.float32),
        _FLAT: np.array([-1], dtype=np.int64),
    }
    if opset >= 18:
        wanted[_AXES] = np.array([-1], dtype=np.int64)
    for name in sorted(used):
        if name.startswith("row_quant_rows_of_"):
            wanted[name] = np.array([-1, int(name.rsplit("_", 1)[1])], dtype=np.int64)
    graph.initializer.extend(numpy_helper.from_array(value, name) for name, value in wanted.items() if name in used)


def _feature_counts(graph: onnx.GraphProto) -> dict[str, int]:
    """For each quantised activation a MatMulInteger reads: its feature count (the rows of the
    product's int8 weight matrix, an initializer)."""
    weights = {i.name: list(i.dims) for i in graph.initializer}
    counts: dict[str, int] = {}
    for node in graph.node:
        if node.op_type == "MatMulInteger" and node.input[1] in weights:
            counts[node.input[0]] = weights[node.input[1]][0]
    return counts


def _elementwise_quantisers(nodes) -> dict[int, tuple[tuple[str, str, str, str], list[onnx.NodeProto]]]:
    """The element-wise per-row quantisers of older bundles: id of each chain's first node ->
    ((input, quantized output, scale output, name prefix), the chain's other nodes)."""
    producers = {output: node for node in nodes for output in node.output}
    consumers: dict[str, list[onnx.NodeProto]] = {}
    for node in nodes:
        for name in node.input:
            consumers.setdefault(name, []).append(node)
    chains = {}
    for node in nodes:
        if node.op_type != "Abs" or not node.output[0].endswith("/row_quant/abs"):
            continue
        prefix = node.output[0][: -len("/abs")]
        if f"{prefix}/scaled" not in producers:  # the fused quantiser starts with the same Abs
            continue
        steps = [producers[f"{prefix}/{step}"] for step in _ELEMENTWISE_STEPS[1:]]
        [scale_node] = [c for c in consumers[f"{prefix}/raw_scale"] if c.op_type == "Max"]
        [cast] = [c for c in consumers[f"{prefix}/shifted"] if c.op_type == "Cast"]
        chains[id(node)] = ((node.input[0], cast.output[0], scale_node.output[0], prefix), steps + [scale_node, cast])
    return chains


def _scale_after_product(nodes: list[onnx.NodeProto], scales: set[str]) -> list[onnx.NodeProto]:
    """Move each per-row scale from `Mul(scale, weight_scale)` to after the Mul that applies that
    product to the cast int32 result (see the module docstring for why)."""
    consumers: dict[str, list[onnx.NodeProto]] = {}
    for node in nodes:
        for name in node.input:
            consumers.setdefault(name, []).append(node)
    after: dict[int, onnx.NodeProto] = {}
    for scale in scales:
        for scale_product in consumers.get(scale, []):
            if "/row_quant/" in scale_product.output[0]:  # the quantiser's own nodes
                continue
            if scale_product.op_type != "Mul":
                raise ValueError(f"unexpected consumer {scale_product.op_type} of activation scale {scale}")
            scale_product.input[list(scale_product.input).index(scale)] = _ONE
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


def _ones_at_run_time(nodes: list[onnx.NodeProto], scales: set[str]) -> tuple[list[onnx.NodeProto], bool]:
    """Give every `Mul(1, weight scale)` (`_scale_after_product`) a 1 computed at run time, from
    the graph's first per-row scale (`ReduceMax(scale / scale)`, exactly 1) -> (nodes, changed).

    With a constant 1, onnxruntime folds the Mul into one constant, and its
    MatMulIntegerToFloat fusion, which looks for `Mul(activation scale, weight scale)`, no longer
    applies: the int32 product is then cast and scaled by separate kernels, each a pass over the
    output (~5% of a step at batch 256). Kept at run time, the product, cast and weight scale run
    as one kernel, with the same arithmetic."""
    products = [node for node in nodes if node.op_type == "Mul" and _ONE in node.input]
    first = next((node for node in nodes if node.output and node.output[0] in scales), None)
    if not products or first is None:
        return nodes, False
    scale = first.output[0]
    for node in products:
        node.input[list(node.input).index(_ONE)] = _RUN_TIME_ONE
    out: list[onnx.NodeProto] = []
    for node in nodes:
        out.append(node)
        if node is first:  # before every product: each comes after its own scale, so after this one
            out += [helper.make_node("Div", [scale, scale], [f"{_RUN_TIME_ONE}/ones"]),
                    helper.make_node("ReduceMax", [f"{_RUN_TIME_ONE}/ones"], [_RUN_TIME_ONE], keepdims=0)]
    return out, True


def _ranks(model: onnx.ModelProto) -> dict[str, int]:
    """Ranks of the graph's values, as far as ONNX shape inference knows them (not strict: what
    it cannot infer is left out, and an unknown rank only costs the general quantiser's reshapes)."""
    inferred = onnx.shape_inference.infer_shapes(model)
    values = list(inferred.graph.value_info) + list(inferred.graph.input) + list(inferred.graph.output)
    return {v.name: len(v.type.tensor_type.shape.dim) for v in values if v.type.tensor_type.HasField("shape")}


def count_tensor_quantisers(model: onnx.ModelProto) -> int:
    """DynamicQuantizeLinear nodes left (each makes output depend on the batch)."""
    return sum(1 for n in model.graph.node if n.op_type == "DynamicQuantizeLinear")
