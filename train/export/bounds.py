"""Which values of an ONNX graph provably lie in [-1, 1], whatever the graph's inputs.

The int8 graphs quantise such an activation with the fixed scale 1/127 (export/quantize.py): a
constant scale makes a row's result independent of its batch with no reduction at run time, and
loses nothing to clipping because the bound is proved, not sampled. In the models this project
trains every quantised activation is such a value: an RNN/GRU/LSTM state, a tanh, an attention
context (a convex combination of encoder states), or a concatenation of those.

The proof is structural, over the graph's nodes (If branches included), with these rules:

- Tanh, Sigmoid, Softmax; the Y and Y_h outputs of an ONNX RNN, GRU or LSTM node (or onnxruntime's
  DynamicQuantizeLSTM) with its default
  activations (a GRU's initial state must be bounded too: its state is a convex combination of
  tanh outputs and that state);
- ops that only move, select or copy values (Reshape, Transpose, Gather, Slice, Concat, Where...)
  of bounded inputs; a product of bounded factors;
- the GRU update written element-wise, a + g * (b - a), with a gate g in [0, 1];
- MatMul(p, v) with p a softmax over its last axis (rows of weights that sum to 1) and v bounded;
- graph inputs the caller vouches for (the decoder's recurrent state and memory, which the
  encoder and the decoder themselves produce: `bounded_decoder_inputs` proves that part).

Anything else is unproved, and its quantiser stays per row: the rules only ever err on that side.
(Kernels compute tanh approximately: onnxruntime's reaches 1.0000005, which quantises to 127 as 1
does; anything under 1 + 1/254 rounds without clipping.)
"""

from __future__ import annotations

from collections.abc import Iterable

import onnx

# Ops whose output holds only values of their first input (moved, selected, copied).
_MOVES = frozenset({"Identity", "Reshape", "Transpose", "Squeeze", "Unsqueeze", "Flatten", "Slice", "Gather",
                    "GatherElements", "GatherND", "Expand", "Tile", "Split"})
_COMPARISONS = frozenset({"Less", "LessOrEqual", "Greater", "GreaterOrEqual", "Equal", "Not", "And", "Or", "Xor"})
_DEFAULT_ACTIVATIONS = {"RNN": ("Tanh",), "GRU": ("Sigmoid", "Tanh"), "LSTM": ("Sigmoid", "Tanh", "Tanh"),
                        # onnxruntime's int8-weight LSTM (quantize_dynamic writes it): same outputs
                        "DynamicQuantizeLSTM": ("Sigmoid", "Tanh", "Tanh")}


class _Prover:
    def __init__(self, model: onnx.ModelProto, bounded_inputs: Iterable[str], ranks: dict[str, int] | None) -> None:
        self.producers: dict[str, tuple[onnx.NodeProto, int]] = {}
        self._index(model.graph)
        self.bounded_inputs = set(bounded_inputs)
        self.ranks = value_ranks(model) if ranks is None else ranks
        self.int64_constants = _int64_constants(model)
        self.memo: dict[tuple[str, str], bool] = {}

    def _index(self, graph: onnx.GraphProto) -> None:
        # Names are unique across a model and its subgraphs (ONNX's SSA rule), so one map serves
        # the main graph and every If branch, whose nodes may read values of the outer graph.
        for node in graph.node:
            for position, output in enumerate(node.output):
                self.producers[output] = (node, position)
            for attribute in node.attribute:
                if attribute.type == onnx.AttributeProto.GRAPH:
                    self._index(attribute.g)

    def _cached(self, kind: str, name: str, rule) -> bool:
        key = (kind, name)
        if key not in self.memo:
            self.memo[key] = False  # a cycle (none in a valid graph) proves nothing
            self.memo[key] = rule(name)
        return self.memo[key]

    def unit(self, name: str) -> bool:
        """name is in [-1, 1]."""
        return self._cached("unit", name, self._unit)

    def gate(self, name: str) -> bool:
        """name is in [0, 1]."""
        return self._cached("gate", name, self._gate)

    def boolean(self, name: str) -> bool:
        if name not in self.producers:
            return False
        node, _ = self.producers[name]
        return node.op_type in _COMPARISONS or (node.op_type in _MOVES and self.boolean(node.input[0]))

    def _unit(self, name: str) -> bool:
        if name in self.bounded_inputs:
            return True
        if name not in self.producers:
            return False
        node, position = self.producers[name]
        op, inputs = node.op_type, list(node.input)
        if op == "Tanh" or self.gate(name):
            return True
        if op in _MOVES:
            return self.unit(inputs[0])
        if op == "Concat":
            return all(self.unit(i) for i in inputs)
        if op == "Where":
            return self.unit(inputs[1]) and self.unit(inputs[2])
        if op == "Mul":
            return self.unit(inputs[0]) and self.unit(inputs[1])
        if op == "Cast":
            return _casts_to_float(node) and self.unit(inputs[0])
        if op == "Add":
            return self._convex_update(inputs)
        if op == "MatMul":
            return self._convex_combination(inputs)
        if op in _DEFAULT_ACTIVATIONS:
            return self._recurrent_state(node, position)
        if op == "If":
            return all(self.unit(branch.output[position].name)
                       for attribute in node.attribute if attribute.type == onnx.AttributeProto.GRAPH
                       for branch in [attribute.g])
        return False

    def _gate(self, name: str) -> bool:
        if name not in self.producers:
            return False
        node, _ = self.producers[name]
        op, inputs = node.op_type, list(node.input)
        if op in ("Sigmoid", "Softmax"):
            return True
        if op == "Cast":
            return _casts_to_float(node) and (self.boolean(inputs[0]) or self.gate(inputs[0]))
        if op in _MOVES:
            return self.gate(inputs[0])
        if op == "Mul":
            return self.gate(inputs[0]) and self.gate(inputs[1])
        if op == "Where":
            return self.gate(inputs[1]) and self.gate(inputs[2])
        return False

    def _convex_update(self, inputs: list[str]) -> bool:
        """a + g * (b - a), in any operand order: between a and b when g is in [0, 1]."""
        for a, product in (inputs, inputs[::-1]):
            node = self.producers.get(product, (None, 0))[0]
            if node is None or node.op_type != "Mul":
                continue
            for g, difference in (node.input, node.input[::-1]):
                sub = self.producers.get(difference, (None, 0))[0]
                if (sub is not None and sub.op_type == "Sub" and sub.input[1] == a and self.gate(g)
                        and self.unit(a) and self.unit(sub.input[0])):
                    return True
        return False

    def _convex_combination(self, inputs: list[str]) -> bool:
        """MatMul(p, v): each output row a weighted mean of v's rows when p's rows sum to 1."""
        weights, values = inputs
        return self._softmax_rows(weights) and self.unit(values)

    def _softmax_rows(self, name: str) -> bool:
        """name is a softmax over its last axis, maybe given leading axes of size 1."""
        if name not in self.producers:
            return False
        node, _ = self.producers[name]
        if node.op_type == "Softmax":
            axis = next((a.i for a in node.attribute if a.name == "axis"), -1)
            rank = self.ranks.get(node.input[0])
            return axis == -1 or (rank is not None and axis == rank - 1)
        if node.op_type == "Unsqueeze":
            axes = self._unsqueeze_axes(node)
            rank = self.ranks.get(name)
            # New axes anywhere but last leave the softmax axis last.
            return (axes is not None and rank is not None
                    and all((a % rank) < rank - 1 for a in axes) and self._softmax_rows(node.input[0]))
        return False

    def _recurrent_state(self, node: onnx.NodeProto, position: int) -> bool:
        if position > 1:  # LSTM's cell state (Y_c) has no bound
            return False
        attributes = {a.name: a for a in node.attribute}
        defaults = _DEFAULT_ACTIVATIONS[node.op_type]
        if "activations" in attributes:
            names = [s.decode() for s in attributes["activations"].strings]
            if any(n.lower() != d.lower() for n, d in zip(names, defaults * 2)) or len(names) % len(defaults):
                return False
        if node.op_type == "GRU":  # h' = (1 - z) h~ + z h: bounded when the initial h is
            initial = node.input[5] if len(node.input) > 5 else ""
            return not initial or self.unit(initial) or self._zeros(initial)
        return True

    def _unsqueeze_axes(self, node: onnx.NodeProto) -> list[int] | None:
        attribute = next((a for a in node.attribute if a.name == "axes"), None)
        if attribute is not None:  # opset < 13
            return list(attribute.ints)
        return self.int64_constants.get(node.input[1]) if len(node.input) > 1 else None

    def _zeros(self, name: str) -> bool:
        node = self.producers.get(name, (None, 0))[0]
        if node is None or node.op_type != "ConstantOfShape":
            return False
        value = next((a.t for a in node.attribute if a.name == "value"), None)
        return value is None or all(v == 0 for v in onnx.numpy_helper.to_array(value).ravel())


def _casts_to_float(node: onnx.NodeProto) -> bool:
    to = next((a.i for a in node.attribute if a.name == "to"), None)
    return to in (onnx.TensorProto.FLOAT, onnx.TensorProto.FLOAT16, onnx.TensorProto.DOUBLE,
                  onnx.TensorProto.BFLOAT16)


def _int64_constants(model: onnx.ModelProto) -> dict[str, list[int]]:
    """Constant int64 vectors of the graph (Unsqueeze takes its axes as one from opset 13 on)."""
    constants = {}
    for node in model.graph.node:
        value = next((a.t for a in node.attribute if a.name == "value"), None) if node.op_type == "Constant" else None
        if value is not None and value.data_type == onnx.TensorProto.INT64 and len(value.dims) <= 1:
            constants[node.output[0]] = [int(v) for v in onnx.numpy_helper.to_array(value).ravel()]
    for initializer in model.graph.initializer:
        if initializer.data_type == onnx.TensorProto.INT64 and len(initializer.dims) <= 1:
            constants[initializer.name] = [int(v) for v in onnx.numpy_helper.to_array(initializer).ravel()]
    return constants


def value_ranks(model: onnx.ModelProto) -> dict[str, int]:
    """Ranks of the graph's values, as far as ONNX shape inference knows them (not strict: what
    it cannot infer is left out)."""
    inferred = onnx.shape_inference.infer_shapes(model)
    values = list(inferred.graph.value_info) + list(inferred.graph.input) + list(inferred.graph.output)
    return {v.name: len(v.type.tensor_type.shape.dim) for v in values if v.type.tensor_type.HasField("shape")}


def unit_bounded(model: onnx.ModelProto, names: Iterable[str], bounded_inputs: Iterable[str] = (),
                 ranks: dict[str, int] | None = None) -> set[str]:
    """The values among `names` proved to lie in [-1, 1], given graph inputs `bounded_inputs` in
    [-1, 1]; `ranks`: `value_ranks(model)` where the caller has it already (shape inference is the
    costly part)."""
    prover = _Prover(model, bounded_inputs, ranks)
    return {name for name in names if prover.unit(name)}


def bounded_decoder_inputs(encoder: onnx.ModelProto, decoder: onnx.ModelProto) -> set[str]:
    """The decoder inputs that lie in [-1, 1] whatever the source sentence: `memory` when the
    encoder's memory output is proved bounded; `hidden` when the encoder's initial hidden state
    is, and the decoder's next hidden state is whenever its inputs are (then, by induction, at
    every step). What a host feeds in place of these outputs is outside the bundle contract."""
    from s2s.runtime.bundle.contract import HIDDEN, INITIAL_HIDDEN, MEMORY, NEXT_HIDDEN

    encoded = unit_bounded(encoder, [MEMORY, INITIAL_HIDDEN])
    bounded = {MEMORY} if MEMORY in encoded else set()
    if INITIAL_HIDDEN in encoded and NEXT_HIDDEN in unit_bounded(decoder, [NEXT_HIDDEN], bounded | {HIDDEN}):
        bounded.add(HIDDEN)
    return bounded
