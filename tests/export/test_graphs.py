"""The two graphs of a bundle, lifted from PyTorch: the contract's names, types and ranks, and a
decoder step that serves the top k of a log-softmax."""

import itertools

import numpy as np
import onnx
import onnxruntime as ort
import pytest
import torch

from s2s.export.graphs import DecoderStepGraph, EncoderGraph, example_inputs, export_graphs
from s2s.runtime.bundle.contract import (
    GRAPH_SPECS,
    TOP_K,
    decoder_input_names,
    decoder_output_names,
    encoder_output_names,
)
from s2s.training.checkpoint import load_checkpoint
from s2s.training.config import ATTENTIONS, CELLS

ELEMENT_TYPES = {onnx.TensorProto.INT64: "tensor(int64)", onnx.TensorProto.FLOAT: "tensor(float)",
                 onnx.TensorProto.BOOL: "tensor(bool)", onnx.TensorProto.DOUBLE: "tensor(double)"}


def signature(values) -> dict[str, tuple[str, int]]:
    return {v.name: (ELEMENT_TYPES[v.type.tensor_type.elem_type], len(v.type.tensor_type.shape.dim)) for v in values}


@pytest.mark.parametrize("cell,attention", list(itertools.product(CELLS, ATTENTIONS)))
def test_the_graphs_have_the_contracts_inputs_and_outputs(cell, attention, checkpoint_factory, tmp_path):
    model = load_checkpoint(checkpoint_factory(cell, attention)).model
    encoder_path, decoder_path = export_graphs(model, tmp_path)
    encoder, decoder = onnx.load(str(encoder_path)), onnx.load(str(decoder_path))
    assert [v.name for v in encoder.graph.output] == encoder_output_names(cell, attention)
    assert [v.name for v in decoder.graph.input] == decoder_input_names(cell, attention)
    assert [v.name for v in decoder.graph.output] == decoder_output_names(cell, attention)
    for graph in (encoder.graph, decoder.graph):
        for name, spec in {**signature(graph.input), **signature(graph.output)}.items():
            assert spec == GRAPH_SPECS[name], name


def test_the_graphs_compute_what_pytorch_computes(checkpoint_factory, tmp_path):
    model = load_checkpoint(checkpoint_factory("lstm", "luong")).model.eval()
    encoder_path, decoder_path = export_graphs(model, tmp_path)
    encoder_inputs, step_inputs = example_inputs(model, batch=3, source_length=6)
    with torch.no_grad():
        expected_encoded = EncoderGraph(model)(*encoder_inputs)
        expected_step = DecoderStepGraph(model)(*step_inputs)
    session = ort.InferenceSession(str(encoder_path), providers=["CPUExecutionProvider"])
    encoded = session.run(None, {"source_ids": encoder_inputs[0].numpy(), "source_lengths": encoder_inputs[1].numpy()})
    for want, got in zip(expected_encoded, encoded):
        np.testing.assert_allclose(want.numpy(), got, atol=1e-5)
    session = ort.InferenceSession(str(decoder_path), providers=["CPUExecutionProvider"])
    names = decoder_input_names("lstm", "luong")
    step = session.run(None, {name: value.numpy() for name, value in zip(names, step_inputs)})
    for want, got in zip(expected_step, step):
        np.testing.assert_allclose(want.numpy(), got, atol=1e-5)


def test_the_step_serves_the_top_k_of_a_log_softmax(checkpoint_factory, tmp_path):
    model = load_checkpoint(checkpoint_factory("gru", "bahdanau")).model.eval()
    _, decoder_path = export_graphs(model, tmp_path)
    _, step_inputs = example_inputs(model, batch=2)
    names = decoder_input_names("gru", "bahdanau")
    feed = {name: value.numpy() for name, value in zip(names, step_inputs)}
    session = ort.InferenceSession(str(decoder_path), providers=["CPUExecutionProvider"])
    vocab = model.config.target_vocab_size
    top_ids, top_log_probs = session.run(None, {**feed, TOP_K: np.array(vocab, dtype=np.int64)})[:2]
    # The whole vocabulary, best first: a distribution (log-probabilities summing to 1).
    assert sorted(top_ids[0].tolist()) == list(range(vocab))
    assert np.all(np.diff(top_log_probs, axis=1) <= 0)
    np.testing.assert_allclose(np.exp(top_log_probs).sum(axis=1), 1.0, atol=1e-5)
    best_ids, best_log_probs = session.run(None, {**feed, TOP_K: np.array(3, dtype=np.int64)})[:2]
    assert best_ids.shape == (2, 3)
    np.testing.assert_array_equal(best_ids, top_ids[:, :3])
    np.testing.assert_allclose(best_log_probs, top_log_probs[:, :3], atol=1e-6)
