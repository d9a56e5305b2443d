"""The [-1, 1] proofs behind the fixed activation scale: complete for every architecture the
trainer builds, sound on real numbers, and silent on what they cannot prove."""

import numpy as np
import onnx
import onnxruntime as ort
import pytest
import torch
from onnx import TensorProto, helper, numpy_helper

from s2s.export.bounds import bounded_decoder_inputs, unit_bounded
from s2s.export.graphs import export_graphs
from s2s.export.quantize import count_activation_quantisers, quantize_int8
from s2s.runtime.bundle.contract import DECODER, ENCODER, HIDDEN, MEMORY
from s2s.training.config import ModelConfig
from s2s.training.model import Seq2Seq

ARCHITECTURES = [
    dict(cell="gru", attention="luong"),
    dict(cell="gru", attention="bahdanau", layers=2),
    dict(cell="lstm", attention="luong", tie_embeddings=True),
    dict(cell="lstm", attention="bahdanau", bidirectional=False),
    dict(cell="rnn", attention="none"),
    dict(cell="gru", attention="none"),
    dict(cell="gru", attention="luong", bridge="copy"),  # the first state is the encoder's own
    dict(cell="gru", attention="luong", bridge="relu"),  # a rectifier has no upper bound
]


def _export(tmp_path, seed=0, **shape):
    torch.manual_seed(seed)
    config = ModelConfig(source_vocab_size=40, target_vocab_size=30, embedding_dim=16, hidden_dim=24, dropout=0.0,
                         **shape)
    model = Seq2Seq(config)
    with torch.no_grad():  # large weights: saturated gates and states, the hard case for a bound
        for parameter in model.parameters():
            parameter.mul_(8.0)
    export_graphs(model, tmp_path)
    return model, onnx.load(str(tmp_path / ENCODER)), onnx.load(str(tmp_path / DECODER))


def _quantised_inputs(model: onnx.ModelProto) -> list[str]:
    return [n.input[0] for n in model.graph.node if n.op_type == "DynamicQuantizeLinear"]


@pytest.mark.parametrize("shape", ARCHITECTURES, ids=lambda s: "-".join(str(v) for v in s.values()))
def test_every_bounded_activation_of_every_architecture_gets_the_fixed_scale(tmp_path, shape):
    _, encoder, decoder = _export(tmp_path, **shape)
    bounded = bounded_decoder_inputs(encoder, decoder)
    assert (HIDDEN in bounded) == (shape.get("bridge") != "relu")
    assert (MEMORY in bounded) == (shape["attention"] != "none")
    # Bahdanau's recurrence reads [embedding; context]: an embedding has no bound of 1, so that
    # one input stays per row. Every other quantised activation is a state, a tanh or a context.
    per_row = {ENCODER: 0, DECODER: 1 if shape["attention"] == "bahdanau" else 0}
    if shape.get("bridge") == "relu":
        # An unbounded first state: the recurrence reads it, and the new state (a convex mix of
        # it with a tanh) that attention reads is unbounded too; both stay per row.
        per_row[DECODER] += 2
    for graph, inputs in ((ENCODER, ()), (DECODER, bounded)):
        quantize_int8(tmp_path / graph, tmp_path / f"int8-{graph}", inputs)
        counts = count_activation_quantisers(onnx.load(str(tmp_path / f"int8-{graph}")))
        assert counts["per_row"] == per_row[graph] and counts["fixed"] > 0, (graph, counts)


@pytest.mark.parametrize("shape", ARCHITECTURES[:3], ids=lambda s: "-".join(str(v) for v in s.values()))
def test_what_is_proved_holds_on_real_numbers(tmp_path, shape):
    # Run the fp32 graphs with every proved activation as an extra output, on random sentences
    # and on decoder states fed back step after step: none ever leaves [-1, 1] by more than
    # half a quantisation step (onnxruntime's fast tanh reaches 1.0000005, which rounds to 127
    # as 1 does: nothing is clipped).
    from onnxruntime.quantization import QuantType, quantize_dynamic

    model, encoder, decoder = _export(tmp_path, seed=3, **shape)
    bounded_inputs = bounded_decoder_inputs(encoder, decoder)
    proved = []
    for graph, inputs in ((encoder, ()), (decoder, bounded_inputs)):
        name = graph.graph.name
        probe = tmp_path / f"probe-{len(proved)}.onnx"
        onnx.save(graph, str(probe))
        quantize_dynamic(str(probe), str(tmp_path / "q.onnx"), weight_type=QuantType.QInt8)
        wanted = sorted(unit_bounded(graph, _quantised_inputs(onnx.load(str(tmp_path / "q.onnx"))), inputs))
        assert wanted, name
        existing = {o.name for o in graph.graph.output}
        graph.graph.output.extend(helper.make_empty_tensor_value_info(w) for w in wanted if w not in existing)
        proved.append(wanted)
        onnx.save(graph, str(probe))
    encoder_session = ort.InferenceSession(str(tmp_path / "probe-0.onnx"), providers=["CPUExecutionProvider"])
    decoder_session = ort.InferenceSession(str(tmp_path / "probe-1.onnx"), providers=["CPUExecutionProvider"])
    rng = np.random.default_rng(0)
    ids = rng.integers(3, 40, size=(8, 9)).astype(np.int64)
    lengths = np.array([9, 9, 7, 5, 3, 2, 1, 9], dtype=np.int64)
    encoded = dict(zip([o.name for o in encoder_session.get_outputs()], encoder_session.run(None, {
        "source_ids": ids, "source_lengths": lengths})))
    for name in proved[0]:
        assert np.abs(encoded[name]).max() * 127 <= 127.5, name
    feeds = {i.name: encoded.get(i.name) for i in decoder_session.get_inputs()}
    feeds["hidden"] = encoded["initial_hidden"]
    if "cell" in feeds:
        feeds["cell"] = encoded["initial_cell"]
    feeds["previous_ids"] = np.full(8, 1, dtype=np.int64)
    feeds["top_k"] = np.array(3, dtype=np.int64)
    for _ in range(6):
        step = dict(zip([o.name for o in decoder_session.get_outputs()], decoder_session.run(None, feeds)))
        for name in proved[1]:
            assert np.abs(step[name]).max() * 127 <= 127.5, name
        feeds["hidden"] = step["next_hidden"]
        if "cell" in feeds:
            feeds["cell"] = step["next_cell"]
        feeds["previous_ids"] = step["top_ids"][:, 0].astype(np.int64)


def _graph(nodes, inputs, outputs, initializers=()):
    values = [helper.make_tensor_value_info(n, TensorProto.FLOAT, ["batch", 4]) for n in inputs]
    model = helper.make_model(helper.make_graph(
        nodes, "g", values, [helper.make_tensor_value_info(o, TensorProto.FLOAT, None) for o in outputs],
        list(initializers)), opset_imports=[helper.make_opsetid("", 17)])
    return model


def test_the_rules_prove_nothing_they_should_not():
    w = numpy_helper.from_array(np.ones((4, 4), dtype=np.float32), "w")
    model = _graph([
        helper.make_node("Tanh", ["x"], ["t"]), helper.make_node("Tanh", ["y"], ["u"]),
        helper.make_node("Sigmoid", ["y"], ["g"]),
        helper.make_node("MatMul", ["t", "w"], ["linear"]),                         # a product of bounded values
        helper.make_node("Add", ["t", "u"], ["sum"]),                               # up to 2
        helper.make_node("Sub", ["u", "t"], ["d"]), helper.make_node("Mul", ["g", "d"], ["gd"]),
        helper.make_node("Add", ["t", "gd"], ["update"]),                           # t + g (u - t): convex
        helper.make_node("Mul", ["t", "d"], ["td"]), helper.make_node("Add", ["t", "td"], ["not_a_gate"]),
        helper.make_node("Sub", ["u", "x"], ["dx"]), helper.make_node("Mul", ["g", "dx"], ["gdx"]),
        helper.make_node("Add", ["t", "gdx"], ["wrong_end"]),                       # t + g (u - x)
        helper.make_node("Softmax", ["x"], ["p"], axis=-1),
        helper.make_node("MatMul", ["p", "w"], ["mean_of_unbounded"]),
        helper.make_node("Transpose", ["p"], ["pt"], perm=[1, 0]),
        helper.make_node("MatMul", ["pt", "t"], ["columns_of_p"]),                  # p's rows sum to 1, not its columns
        helper.make_node("MatMul", ["p", "u"], ["context"]),                        # a convex combination
        helper.make_node("Concat", ["t", "context", "g"], ["joined"], axis=-1),
        helper.make_node("Concat", ["t", "x"], ["joined_with_input"], axis=-1),
        helper.make_node("Relu", ["t"], ["relu"]),
    ], ["x", "y"], ["update"], [w])
    names = ["t", "linear", "sum", "update", "not_a_gate", "wrong_end", "mean_of_unbounded", "columns_of_p",
             "context", "joined", "joined_with_input", "relu", "x"]
    assert unit_bounded(model, names) == {"t", "update", "context", "joined"}
    assert "joined_with_input" in unit_bounded(model, names, bounded_inputs=["x"])


@pytest.mark.parametrize("activations, initial, bounded", [
    (None, None, True),
    ([b"Sigmoid", b"Tanh"], None, True),
    ([b"Sigmoid", b"Relu"], None, False),   # an unbounded candidate state
    (None, "h0", False),                    # an initial state nobody vouches for
])
def test_a_gru_state_is_bounded_only_with_its_default_activations_and_a_bounded_start(activations, initial, bounded):
    inputs = ["x", "W", "R", "", "", initial or ""]
    attributes = {"hidden_size": 4} | ({"activations": activations} if activations else {})
    node = helper.make_node("GRU", inputs, ["y", "y_h"], **attributes)
    initializers = [numpy_helper.from_array(np.ones((1, 12, 4), dtype=np.float32), "W"),
                    numpy_helper.from_array(np.ones((1, 12, 4), dtype=np.float32), "R")]
    model = _graph([node], ["x"] + ([initial] if initial else []), ["y"], initializers)
    assert (unit_bounded(model, ["y", "y_h"]) == {"y", "y_h"}) == bounded
