"""The one-call greedy graph: a bundle's encoder and decoder step composed into one ONNX graph.

source_ids [batch, source_length] and source_lengths [batch] in; output_ids [batch, steps]
(padded with <pad>), output_lengths [batch] and scores [batch] (float64: the sum of the emitted
tokens' log-probabilities, <eos> included) out. The encoder runs once; the decoder step runs in an ONNX
`Loop` that feeds each row's argmax back until every row has emitted <eos> or reached its length
limit, the manifest's rule: ceil(length_ratio x source_length) + length_offset, capped at
max_target_length. The step is the bundle's own decoder graph (same weights, same operators), so
a row decodes exactly as in the step loop: the graphs are batch-invariant (docs/bundle-format.md),
and rows that finished keep being computed alongside, unchanged and without effect.
"""

from __future__ import annotations

import onnx
from onnx import TensorProto, helper

from s2s.runtime.bundle.contract import (
    ATTENTION_KEYS, CELL, HIDDEN, INITIAL_CELL, INITIAL_HIDDEN, MEMORY, NEXT_CELL, NEXT_HIDDEN, OUTPUT_IDS,
    OUTPUT_LENGTHS, PREVIOUS_IDS, SCORES, SOURCE_IDS, SOURCE_LENGTHS, SOURCE_MASK, TOP_IDS, TOP_K, TOP_LOG_PROBS,
)
from s2s.runtime.bundle.manifest import LengthRule, SpecialIds


def _renamed(graph: onnx.GraphProto, prefix: str, keep: dict[str, str]) -> tuple[list, list]:
    """The nodes and initializers of `graph` with every value name prefixed (names in `keep`
    mapped as given instead), so that two graphs can live in one. Subgraphs (the `If` of the
    encoder) are renamed the same way, as they read values of the graph around them."""

    def name(value: str) -> str:
        if not value:
            return value  # an omitted optional input
        return keep.get(value, prefix + value)

    unnamed = iter(range(1 << 30))

    def rename_graph(inner: onnx.GraphProto) -> None:
        for node in inner.node:
            rename_node(node)
        for value in [*inner.input, *inner.output, *inner.value_info]:
            value.name = name(value.name)
        for tensor in inner.initializer:
            tensor.name = name(tensor.name)

    def rename_node(node: onnx.NodeProto) -> None:
        node.name = prefix + (node.name or f"unnamed_{next(unnamed)}")  # node names must be unique
        node.input[:] = [name(v) for v in node.input]
        node.output[:] = [name(v) for v in node.output]
        for attribute in node.attribute:
            if attribute.type == onnx.AttributeProto.GRAPH:
                rename_graph(attribute.g)
            for inner in attribute.graphs:
                rename_graph(inner)

    nodes = []
    for node in graph.node:
        copy = onnx.NodeProto()
        copy.CopyFrom(node)
        rename_node(copy)
        nodes.append(copy)
    initializers = []
    for tensor in graph.initializer:
        copy = onnx.TensorProto()
        copy.CopyFrom(tensor)
        copy.name = name(tensor.name)
        initializers.append(copy)
    return nodes, initializers


def build_greedy_graph(encoder: onnx.ModelProto, decoder: onnx.ModelProto, cell: str, attention: str,
                       special_ids: SpecialIds, decoding: LengthRule) -> onnx.ModelProto:
    """The one-call greedy graph of a bundle whose graphs are `encoder` and `decoder`."""
    lstm = cell == "lstm"
    encoder_outputs = [o.name for o in encoder.graph.output]
    context = [MEMORY, ATTENTION_KEYS, SOURCE_MASK] if attention != "none" else []
    enc_nodes, enc_init = _renamed(encoder.graph, "encoder/", {SOURCE_IDS: SOURCE_IDS, SOURCE_LENGTHS: SOURCE_LENGTHS,
                                                               **{n: "encoded/" + n for n in encoder_outputs}})
    # Inside the loop body the step reads the loop-carried values and, from the outer graph,
    # the encoder's outputs and its own weights (initializers of the outer graph).
    carried = {PREVIOUS_IDS: "loop/previous", HIDDEN: "loop/hidden", CELL: "loop/cell",
               TOP_K: "loop/top_k", TOP_IDS: "step/top_ids", TOP_LOG_PROBS: "step/top_log_probs",
               NEXT_HIDDEN: "step/next_hidden", NEXT_CELL: "step/next_cell",
               **{n: "encoded/" + n for n in context}}
    step_nodes, step_init = _renamed(decoder.graph, "step/", carried)
    eos, pad, sos = special_ids.eos, special_ids.pad, special_ids.sos

    def const(name: str, value, dtype=TensorProto.INT64, dims=()):
        return helper.make_node("Constant", [], [name], value=helper.make_tensor(name + "/value", dtype, dims,
                                                                                  [value]))

    body_nodes = [
        const("loop/top_k", 1), const("loop/axis1", 1, dims=(1,)), const("loop/eos", eos), const("loop/pad", pad),
        const("loop/zero", 0),
        *step_nodes,
        helper.make_node("Squeeze", ["step/top_ids", "loop/axis1"], ["loop/token"]),
        helper.make_node("Squeeze", ["step/top_log_probs", "loop/axis1"], ["loop/log_prob"]),
        helper.make_node("Not", ["loop/finished"], ["loop/active"]),
        # Summed in float64, as the step loop sums: the same scores to the last bit.
        helper.make_node("Cast", ["loop/log_prob"], ["loop/log_prob64"], to=TensorProto.DOUBLE),
        helper.make_node("Add", ["loop/score", "loop/log_prob64"], ["loop/score_plus"]),
        helper.make_node("Where", ["loop/active", "loop/score_plus", "loop/score"], ["loop/score_out"]),
        helper.make_node("Equal", ["loop/token", "loop/eos"], ["loop/is_eos"]),
        helper.make_node("Not", ["loop/is_eos"], ["loop/not_eos"]),
        helper.make_node("And", ["loop/active", "loop/not_eos"], ["loop/emit"]),
        helper.make_node("Where", ["loop/emit", "loop/token", "loop/pad"], ["loop/emitted_token"]),
        helper.make_node("Cast", ["loop/emit"], ["loop/emit_count"], to=TensorProto.INT64),
        helper.make_node("Add", ["loop/emitted", "loop/emit_count"], ["loop/emitted_out"]),
        helper.make_node("GreaterOrEqual", ["loop/emitted_out", "limits"], ["loop/at_limit"]),
        helper.make_node("Or", ["loop/is_eos", "loop/at_limit"], ["loop/ends"]),
        helper.make_node("Or", ["loop/finished", "loop/ends"], ["loop/finished_out"]),
        helper.make_node("Cast", ["loop/finished_out"], ["loop/finished_int"], to=TensorProto.INT64),
        helper.make_node("ReduceMin", ["loop/finished_int"], ["loop/all_finished"], keepdims=0),
        helper.make_node("Equal", ["loop/all_finished", "loop/zero"], ["loop/go_on"]),
        helper.make_node("Identity", ["loop/token"], ["loop/previous_out"]),
        helper.make_node("Identity", ["step/next_hidden"], ["loop/hidden_out"]),
    ]
    if lstm:
        body_nodes.append(helper.make_node("Identity", ["step/next_cell"], ["loop/cell_out"]))
    state_in = [helper.make_tensor_value_info("loop/hidden", TensorProto.FLOAT, None)]
    state_out = [helper.make_tensor_value_info("loop/hidden_out", TensorProto.FLOAT, None)]
    if lstm:
        state_in.append(helper.make_tensor_value_info("loop/cell", TensorProto.FLOAT, None))
        state_out.append(helper.make_tensor_value_info("loop/cell_out", TensorProto.FLOAT, None))
    body = helper.make_graph(
        body_nodes, "greedy_step",
        [helper.make_tensor_value_info("loop/iteration", TensorProto.INT64, []),
         helper.make_tensor_value_info("loop/condition", TensorProto.BOOL, []),
         helper.make_tensor_value_info("loop/previous", TensorProto.INT64, None), *state_in,
         helper.make_tensor_value_info("loop/finished", TensorProto.BOOL, None),
         helper.make_tensor_value_info("loop/emitted", TensorProto.INT64, None),
         helper.make_tensor_value_info("loop/score", TensorProto.DOUBLE, None)],
        [helper.make_tensor_value_info("loop/go_on", TensorProto.BOOL, []),
         helper.make_tensor_value_info("loop/previous_out", TensorProto.INT64, None), *state_out,
         helper.make_tensor_value_info("loop/finished_out", TensorProto.BOOL, None),
         helper.make_tensor_value_info("loop/emitted_out", TensorProto.INT64, None),
         helper.make_tensor_value_info("loop/score_out", TensorProto.DOUBLE, None),
         helper.make_tensor_value_info("loop/emitted_token", TensorProto.INT64, None)],
    )
    # The length rule in float64, as every host computes it.
    main_nodes = [
        *enc_nodes,
        helper.make_node("Cast", [SOURCE_LENGTHS], ["rule/lengths"], to=TensorProto.DOUBLE),
        const("rule/ratio", decoding.length_ratio, TensorProto.DOUBLE),
        helper.make_node("Mul", ["rule/lengths", "rule/ratio"], ["rule/scaled"]),
        helper.make_node("Ceil", ["rule/scaled"], ["rule/ceiling"]),
        helper.make_node("Cast", ["rule/ceiling"], ["rule/ceiling_int"], to=TensorProto.INT64),
        const("rule/offset", decoding.length_offset),
        helper.make_node("Add", ["rule/ceiling_int", "rule/offset"], ["rule/unbounded"]),
        const("rule/maximum", decoding.max_target_length),
        helper.make_node("Min", ["rule/unbounded", "rule/maximum"], ["limits"]),
        helper.make_node("ReduceMax", ["limits"], ["steps"], keepdims=0),
        helper.make_node("Shape", [SOURCE_LENGTHS], ["rule/batch"]),
        helper.make_node("ConstantOfShape", ["rule/batch"], ["start/previous"],
                         value=helper.make_tensor("start/sos", TensorProto.INT64, [1], [sos])),
        helper.make_node("ConstantOfShape", ["rule/batch"], ["start/finished"],
                         value=helper.make_tensor("start/false", TensorProto.BOOL, [1], [False])),
        helper.make_node("ConstantOfShape", ["rule/batch"], ["start/emitted"],
                         value=helper.make_tensor("start/zero", TensorProto.INT64, [1], [0])),
        helper.make_node("ConstantOfShape", ["rule/batch"], ["start/score"],
                         value=helper.make_tensor("start/zero_score", TensorProto.DOUBLE, [1], [0.0])),
        const("start/true", True, TensorProto.BOOL),
        helper.make_node(
            "Loop",
            ["steps", "start/true", "start/previous", "encoded/" + INITIAL_HIDDEN,
             *(["encoded/" + INITIAL_CELL] if lstm else []), "start/finished", "start/emitted", "start/score"],
            ["end/previous", "end/hidden", *(["end/cell"] if lstm else []), "end/finished", OUTPUT_LENGTHS, SCORES,
             "end/tokens"],
            body=body,
        ),
        helper.make_node("Transpose", ["end/tokens"], [OUTPUT_IDS], perm=[1, 0]),
    ]
    graph = helper.make_graph(
        main_nodes, "greedy",
        [helper.make_tensor_value_info(SOURCE_IDS, TensorProto.INT64, ["batch", "source_length"]),
         helper.make_tensor_value_info(SOURCE_LENGTHS, TensorProto.INT64, ["batch"])],
        [helper.make_tensor_value_info(OUTPUT_IDS, TensorProto.INT64, ["batch", "steps"]),
         helper.make_tensor_value_info(OUTPUT_LENGTHS, TensorProto.INT64, ["batch"]),
         helper.make_tensor_value_info(SCORES, TensorProto.DOUBLE, ["batch"])],
        initializer=[*enc_init, *step_init],
    )
    model = helper.make_model(graph, opset_imports=list(decoder.opset_import), ir_version=decoder.ir_version,
                              producer_name="s2s-onnx")
    onnx.checker.check_model(model)
    return model
