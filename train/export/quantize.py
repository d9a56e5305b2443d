"""int8 quantisation of the exported graphs: int8 weights, activations quantised so that a row's
numbers never depend on the other rows of its batch.

onnxruntime's `quantize_dynamic` quantises each activation with one scale for the whole tensor
(DynamicQuantizeLinear), so a sentence's numbers depend on the other sentences of its batch.
`quantize_activations` rewrites every such quantiser into one of two batch-invariant forms
(docs/bundle-format.md, "batch invariance"):

- **fixed scale**, for an activation proved to lie in [-1, 1] (export/bounds.py: RNN states,
  tanh outputs, attention contexts; in the models this project trains, every quantised one):
  `q = QuantizeLinear(x, 1/127, 128)`. A constant scale costs one kernel, no reduction, and loses
  nothing to clipping, since the bound is proved;
- **per row**, for any other activation:

      scale = max(|x|, over the last axis) / 127       (one scale per row, keepdims)
      q     = uint8(round(x / scale) + 128)            zero point 128 for every row

  The division, rounding, shift and cast are one standard `QuantizeLinear` with a per-axis scale
  (the activation seen as a [rows, features] matrix, one scale per row). The per-row scale
  multiplies the float result *after* the `Mul(Cast(MatMulInteger), activation scale x weight
  scale)` that quantize_dynamic writes, whose activation scale becomes 1: onnxruntime fuses that
  pattern into MatMulIntegerToFloat, which takes only a scalar (or per-column) activation scale
  and silently computes nonsense with a per-row one.

A constant zero point keeps the MatMulInteger kernels onnxruntime has (their activation zero
point must be a scalar). The activation scale of each product (1/127, or 1 before a per-row
scale) is computed at run time, once per graph, so that constant folding leaves the
`Mul(activation scale, weight scale)` for onnxruntime's MatMulIntegerToFloat fusion to find
(`_scales_at_run_time`); with the fixed scale that fusion also takes in the bias, so a product
is two kernels, as with DynamicQuantizeMatMul. The int8 weights are not touched.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from pathlib import Path

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

from .bounds import unit_bounded, value_ranks

ROW_ZERO_POINT = 128
# Floor of a row's scale: an all-zero row quantises to the zero point instead of dividing by 0.
MIN_ROW_SCALE = 1e-12
_INV127, _FLOOR, _ONE, _AXES, _FLAT = (
    "row_quant_inv127", "row_quant_min_scale", "row_quant_one", "row_quant_axes", "row_quant_flat")
# Scale of every activation proved to lie in [-1, 1] (export/bounds.py).
FIXED_SCALE = 1 / 127
_FIXED, _ZERO_POINT = "row_quant_fixed_scale", "row_quant_zero_point"
# Activation scales of the products, computed at run time (`_scales_at_run_time`); the marks are
# what they replace until then.
_RUN_TIME_ONE, _RUN_TIME_FIXED = "row_quant/one_at_run_time", "row_quant/fixed_scale_at_run_time"
_FIXED_MARK = "row_quant/fixed_scale"
_RUN_TIME_OUTPUTS = (f"{_RUN_TIME_ONE}/ones", _RUN_TIME_ONE, _RUN_TIME_FIXED, "row_quant/elements",
                     "row_quant/elements_as_float")
# Outputs of the element-wise per-row quantiser that bundles of format 2 and earlier carry
# (Abs, ReduceMax, Mul, Max, Div, Round, Add, Cast); `quantize_activations` rewrites it like a
# DynamicQuantizeLinear, same arithmetic.
_ELEMENTWISE_STEPS = ("abs", "max", "raw_scale", "scaled", "rounded", "shifted")


def quantize_int8(source: Path, destination: Path, bounded_inputs: Iterable[str] = ()) -> None:
    """Quantise the graph at `source` (int8 weights, batch-invariant activations) into
    `destination`; `bounded_inputs`: graph inputs known to lie in [-1, 1] (`bounded_decoder_inputs`)."""
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
    quantize_activations(model, bounded_inputs)
    onnx.save(model, str(destination))


def _opset(model: onnx.ModelProto) -> int:
    return next((o.version for o in model.opset_import if o.domain in ("", "ai.onnx")), 0)


def quantize_activations(model: onnx.ModelProto, bounded_inputs: Iterable[str] = ()) -> int:
    """Give, in place, every activation quantiser of `model` its batch-invariant form (see the
    module docstring): the fixed scale where the activation is proved to lie in [-1, 1] (given
    graph inputs `bounded_inputs` in that range), the fused per-row quantiser elsewhere. Reads
    what quantize_dynamic writes (DynamicQuantizeLinear) and what earlier bundles carry (the
    element-wise or the fused per-row quantiser), with the same outputs. Returns how many
    quantisers changed form."""
    graph = model.graph
    opset = _opset(model)
    original = [n for n in graph.node if not (n.output and n.output[0] in _RUN_TIME_OUTPUTS)]
    features = _feature_counts(graph)
    ranks = value_ranks(model)
    fused_chains = _rowwise_quantisers(original, elementwise=False)
    rowwise = {**_rowwise_quantisers(original, elementwise=True), **fused_chains}
    fused = set(fused_chains)
    dropped = {id(node) for chain in rowwise.values() for node in chain[1]}
    inputs = [n.input[0] for n in original if _is_tensor_quantiser(n)] + [q[0][0] for q in rowwise.values()]
    bounded = unit_bounded(model, inputs, bounded_inputs, ranks)
    nodes: list[onnx.NodeProto] = []
    changed = 0
    stale: set[str] = set()
    tensor_wide: set[str] = set()  # per-tensor scales whose product must take a per-row scale
    fixed_rows: set[str] = set()  # per-row scales whose product must take the fixed scale instead
    fixed_tensor: set[str] = set()  # per-tensor scales to replace by the fixed scale
    for node in original:
        if _is_tensor_quantiser(node):
            x = node.input[0]
            quantized, scale, zero_point = node.output
            if x in bounded:
                nodes.append(_fixed_quantiser(x, quantized))
                fixed_tensor.add(scale)
            else:
                nodes += _row_quantiser(x, quantized, scale, features[quantized], f"{node.name or x}/row_quant", opset,
                                        ranks.get(x) == 2)
                tensor_wide.add(scale)
            graph.initializer.append(numpy_helper.from_array(np.array(ROW_ZERO_POINT, dtype=np.uint8), zero_point))
            stale.update(node.output)
            changed += 1
        elif id(node) in rowwise:
            (x, quantized, scale, prefix), _ = rowwise[id(node)]
            if x in bounded:
                nodes.append(_fixed_quantiser(x, quantized))
                fixed_rows.add(scale)
                changed += 1
            else:
                nodes += _row_quantiser(x, quantized, scale, features[quantized], prefix, opset, ranks.get(x) == 2)
                changed += id(node) not in fused
            stale.update((quantized, scale))
        elif id(node) not in dropped:
            nodes.append(node)
    if tensor_wide:
        nodes = _scale_after_product(nodes, tensor_wide)
    if fixed_rows:
        nodes = _drop_row_scales(nodes, fixed_rows)
    for node in nodes:  # a per-tensor scale that becomes the fixed one keeps its Mul(scale, weight scale)
        for i, name in enumerate(node.input):
            if name in fixed_tensor:
                node.input[i] = _FIXED_MARK
    nodes = _constant_scales_at_run_time(nodes, {i.name for i in graph.initializer})
    nodes = _scales_at_run_time(nodes, graph.input[0].name)
    if not changed and len(nodes) == len(graph.node):
        return 0
    del graph.node[:]
    graph.node.extend(nodes)
    _set_constants(graph, opset, {name for node in nodes for name in node.input})
    # Shapes recorded for the old outputs (a scalar scale) no longer hold.
    kept = [v for v in graph.value_info if v.name not in stale]
    del graph.value_info[:]
    graph.value_info.extend(kept)
    return changed


def _is_tensor_quantiser(node: onnx.NodeProto) -> bool:
    return node.op_type == "DynamicQuantizeLinear" and node.domain in ("", "ai.onnx")


def _fixed_quantiser(x: str, quantized: str) -> onnx.NodeProto:
    return helper.make_node("QuantizeLinear", [x, _FIXED, _ZERO_POINT], [quantized])


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
        _FIXED: np.array(FIXED_SCALE, dtype=np.float32),
        _ZERO_POINT: np.array(ROW_ZERO_POINT, dtype=np.uint8),
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


def _rowwise_quantisers(nodes, elementwise: bool) -> dict[int, tuple[tuple[str, str, str, str], list[onnx.NodeProto]]]:
    """The per-row quantisers of earlier bundles, element-wise (Abs, ReduceMax, Mul, Max, Div,
    Round, Add, Cast) or fused (`_row_quantiser`): id of each chain's first node (its Abs) ->
    ((input, quantized output, scale output, name prefix), the chain's other nodes)."""
    producers = {output: node for node in nodes for output in node.output}
    consumers = _consumers(nodes)
    chains = {}
    for node in nodes:
        if node.op_type != "Abs" or not node.output[0].endswith("/row_quant/abs"):
            continue
        prefix = node.output[0][: -len("/abs")]
        if (f"{prefix}/scaled" in producers) != elementwise:  # both forms start with the same Abs
            continue
        [scale_node] = [c for c in consumers[f"{prefix}/raw_scale"] if c.op_type == "Max"]
        if elementwise:
            steps = [producers[f"{prefix}/{step}"] for step in _ELEMENTWISE_STEPS[1:]]
            [last] = [c for c in consumers[f"{prefix}/shifted"] if c.op_type == "Cast"]
        else:
            names = ("max", "raw_scale", "row_scales", "row_count", "row_zero_points", "rows", "quantized_rows", "shape")
            steps = [producers[f"{prefix}/{name}"] for name in names if f"{prefix}/{name}" in producers]
            rows = f"{prefix}/quantized_rows" if f"{prefix}/quantized_rows" in producers else f"{prefix}/row_scales"
            [last] = [c for c in consumers[rows] if c.op_type in ("QuantizeLinear", "Reshape") and c not in steps]
        chains[id(node)] = ((node.input[0], last.output[0], scale_node.output[0], prefix), steps + [scale_node, last])
    return chains


def _consumers(nodes: list[onnx.NodeProto]) -> dict[str, list[onnx.NodeProto]]:
    consumers: dict[str, list[onnx.NodeProto]] = {}
    for node in nodes:
        for name in node.input:
            consumers.setdefault(name, []).append(node)
    return consumers


def _scale_after_product(nodes: list[onnx.NodeProto], scales: set[str]) -> list[onnx.NodeProto]:
    """Move each per-row scale from `Mul(scale, weight_scale)` to after the Mul that applies that
    product to the cast int32 result (see the module docstring for why)."""
    consumers = _consumers(nodes)
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


def _drop_row_scales(nodes: list[onnx.NodeProto], scales: set[str]) -> list[onnx.NodeProto]:
    """Undo `_scale_after_product` for the per-row `scales` that became the fixed scale: each
    product's Mul(result, row scale) goes, and its Mul(1, weight scale) takes the fixed scale."""
    producers = {output: node for node in nodes for output in node.output}
    gone: set[int] = set()
    for after in nodes:
        if after.op_type != "Mul" or after.input[1] not in scales:
            continue
        apply = producers[after.input[0]]  # Mul(Cast(MatMulInteger), Mul(1, weight scale))
        apply.output[0] = after.output[0]
        for name in apply.input:
            product = producers.get(name)
            if product is not None and product.op_type == "Mul":
                for i, one in enumerate(product.input):
                    if one in (_ONE, _RUN_TIME_ONE):
                        product.input[i] = _FIXED_MARK
        gone.add(id(after))
    return [node for node in nodes if id(node) not in gone]


def _constant_scales_at_run_time(nodes: list[onnx.NodeProto], constants: set[str]) -> list[onnx.NodeProto]:
    """Products whose activation scale is a constant already (the int8 embedding table's, read by
    Gather) get it as `Mul(1, scale)`, which `_scales_at_run_time` computes at run time."""
    producers = {output: node for node in nodes for output in node.output}
    consumers = _consumers(nodes)
    before: dict[int, onnx.NodeProto] = {}
    for product in nodes:
        if product.op_type != "MatMulInteger":
            continue
        for cast in consumers.get(product.output[0], []):
            for apply in consumers.get(cast.output[0], []) if cast.op_type == "Cast" else []:
                if apply.op_type != "Mul":
                    continue
                scales = producers.get(next(i for i in apply.input if i != cast.output[0]))
                if scales is None or scales.op_type != "Mul" or not all(i in constants for i in scales.input):
                    continue
                activation_scale = scales.input[0]
                scales.input[0] = f"{activation_scale}/at_run_time/{scales.output[0]}"
                before[id(scales)] = helper.make_node("Mul", [_ONE, activation_scale], [scales.input[0]])
    out: list[onnx.NodeProto] = []
    for node in nodes:
        if id(node) in before:
            out.append(before[id(node)])
        out.append(node)
    return out


def _scales_at_run_time(nodes: list[onnx.NodeProto], source: str) -> list[onnx.NodeProto]:
    """Give every product's activation scale (1 before a per-row scale or a constant scale, or
    the fixed scale) as a value computed at run time, once per graph, from the element count of
    the graph input `source` (`Min(count, 1)`, `Min(count, 1/127)`: exactly the constant for any
    non-empty input).

    With a constant there, onnxruntime folds `Mul(activation scale, weight scale)` into one
    constant, and its MatMulIntegerToFloat fusion, which looks for that Mul, no longer applies:
    the int32 product is then cast, scaled and biased by separate kernels, each a pass over the
    output. Kept at run time, the product, cast, scales and (but before a per-row scale) the
    bias run as one kernel, with the same arithmetic."""
    marks = {_ONE: _RUN_TIME_ONE, _RUN_TIME_ONE: _RUN_TIME_ONE, _FIXED_MARK: _RUN_TIME_FIXED,
             _RUN_TIME_FIXED: _RUN_TIME_FIXED}
    needed: set[str] = set()
    for node in nodes:
        if node.op_type == "Mul":
            for i, name in enumerate(node.input):
                if name in marks:
                    node.input[i] = marks[name]
                    needed.add(marks[name])
    if not needed:
        return nodes
    computed = [helper.make_node("Size", [source], ["row_quant/elements"]),
                helper.make_node("Cast", ["row_quant/elements"], ["row_quant/elements_as_float"], to=TensorProto.FLOAT)]
    for value, constant in ((_RUN_TIME_ONE, _ONE), (_RUN_TIME_FIXED, _FIXED)):
        if value in needed:
            computed.append(helper.make_node("Min", ["row_quant/elements_as_float", constant], [value]))
    return computed + nodes


def count_tensor_quantisers(model: onnx.ModelProto) -> int:
    """DynamicQuantizeLinear nodes left (each makes output depend on the batch)."""
    return sum(1 for n in model.graph.node if n.op_type == "DynamicQuantizeLinear")


def count_activation_quantisers(model: onnx.ModelProto) -> dict[str, int]:
    """How many activations `model` quantises with the fixed scale, and how many per row."""
    return {"fixed": sum(1 for n in model.graph.node if n.op_type == "QuantizeLinear" and _FIXED in n.input),
            "per_row": sum(1 for n in model.graph.node if n.op_type == "Abs" and n.output[0].endswith("/row_quant/abs"))}


def activation_counts(directory: Path) -> dict[str, int]:
    """`count_activation_quantisers` over the step graphs of the bundle files in `directory`."""
    from s2s.runtime.bundle.contract import DECODER, ENCODER

    counts = [count_activation_quantisers(onnx.load(str(directory / g), load_external_data=False)) for g in (ENCODER, DECODER)]
    return {key: sum(c[key] for c in counts) for key in counts[0]}
