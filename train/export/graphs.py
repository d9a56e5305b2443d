"""Lift a trained Seq2Seq into two ONNX graphs: the encoder, and ONE decoder step.

Exporter choice: the TorchScript-based `torch.onnx.export(..., dynamo=False)`. The dynamo
exporter has exported `nn.GRU` with `linear_before_reset=0` where PyTorch computes 1 (silently
wrong outputs, pytorch/pytorch#189225) and frozen the time axis of RNNs (#191855). The
TorchScript exporter is deprecated and warns so; that one warning is expected and silenced
here. Whatever exporter, the parity check (parity.py) is what makes an export trustworthy.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import torch
from torch import nn

from s2s.runtime.bundle.contract import (
    ATTENTION, ATTENTION_KEYS, CELL, DECODER, ENCODER, HIDDEN, INITIAL_CELL, INITIAL_HIDDEN, MEMORY, NEXT_CELL, NEXT_HIDDEN, PREVIOUS_IDS,
    SOURCE_IDS, SOURCE_LENGTHS, SOURCE_MASK, TOP_IDS, TOP_K, TOP_LOG_PROBS, decoder_input_names,
    decoder_output_names, encoder_output_names,
)
from s2s.training.model import DecoderState, Seq2Seq
from s2s.training.tokenization import SOS_ID

from .opsets import DEFAULT_OPSET



class EncoderGraph(nn.Module):
    """source_ids, source_lengths -> [memory, attention_keys, source_mask,] initial_hidden[, initial_cell]."""

    def __init__(self, model: Seq2Seq) -> None:
        super().__init__()
        self.model = model

    def forward(self, source_ids: torch.Tensor, source_lengths: torch.Tensor) -> tuple[torch.Tensor, ...]:
        encoded = self.model.encoder(source_ids, source_lengths)
        state = self.model.decoder.initial_state(encoded)
        outputs: list[torch.Tensor] = []
        if self.model.config.attention != "none":
            outputs += [encoded.memory, self.model.decoder.attention_keys(encoded.memory), encoded.mask]
        outputs.append(state.hidden)
        if state.cell is not None:
            outputs.append(state.cell)
        return tuple(outputs)


class DecoderStepGraph(nn.Module):
    """One decoder step. Inputs (by variant): previous_ids, hidden[, cell][, memory, attention_keys,
    source_mask], top_k -> top_ids, top_log_probs, next_hidden[, next_cell][, attention].

    The token choice happens in the graph: the host receives only the top-k ids and their
    log-probabilities (k=1 for greedy, k=beam for beam search), never the vocabulary-wide scores.
    """

    def __init__(self, model: Seq2Seq) -> None:
        super().__init__()
        self.model = model
        config = model.config
        self.input_names = decoder_input_names(config.cell, config.attention)

    def forward(self, *inputs: torch.Tensor) -> tuple[torch.Tensor, ...]:
        named = dict(zip(self.input_names, inputs))
        state = DecoderState(named[HIDDEN], named.get(CELL))
        logits, new_state, weights = self.model.decoder.step(
            named[PREVIOUS_IDS], state, named.get(MEMORY), named.get(ATTENTION_KEYS), named.get(SOURCE_MASK)
        )
        # LogSoftmax then TopK, rather than TopK on the logits minus their LogSumExp: onnxruntime's
        # LogSoftmax kernel is vectorised and its ReduceLogSumExp is not (measured 3.6-4.4x slower
        # for an 8,000-word vocabulary, which made it half of the int8 decoder step's time).
        top_log_probs, top_ids = torch.topk(torch.log_softmax(logits, dim=-1), named[TOP_K], dim=-1)
        outputs = [top_ids, top_log_probs, new_state.hidden]
        if new_state.cell is not None:
            outputs.append(new_state.cell)
        if weights is not None:
            outputs.append(weights)
        return tuple(outputs)


def example_inputs(model: Seq2Seq, batch: int = 2, source_length: int = 5) -> tuple[tuple, tuple]:
    """Inputs to trace the two graphs with (values only matter for shape)."""
    config = model.config
    source = torch.randint(4, config.source_vocab_size, (batch, source_length)) if config.source_vocab_size > 4 \
        else torch.full((batch, source_length), 3)
    lengths = torch.tensor([source_length] + [max(1, source_length - 2)] * (batch - 1))
    with torch.no_grad():
        encoder_outputs = EncoderGraph(model)(source, lengths)
    named = dict(zip(encoder_output_names(config.cell, config.attention), encoder_outputs))
    step_inputs = []
    for name in decoder_input_names(config.cell, config.attention):
        if name == PREVIOUS_IDS:
            step_inputs.append(torch.full((batch,), SOS_ID, dtype=torch.long))
        elif name == HIDDEN:
            step_inputs.append(named[INITIAL_HIDDEN])
        elif name == CELL:
            step_inputs.append(named[INITIAL_CELL])
        elif name == TOP_K:
            step_inputs.append(torch.tensor(2, dtype=torch.long))
        else:
            step_inputs.append(named[name])
    return (source, lengths), tuple(step_inputs)


def export_graphs(model: Seq2Seq, directory: Path, opset: int = DEFAULT_OPSET) -> tuple[Path, Path]:
    """Write encoder.onnx and decoder.onnx (fp32) into `directory`."""
    model.eval()
    config = model.config
    encoder_inputs, step_inputs = example_inputs(model)
    encoder_outputs = encoder_output_names(config.cell, config.attention)
    step_input_names = decoder_input_names(config.cell, config.attention)
    step_output_names = decoder_output_names(config.cell, config.attention)

    batch_axis = {0: "batch"}
    encoder_axes = {SOURCE_IDS: {0: "batch", 1: "source_length"}, SOURCE_LENGTHS: batch_axis}
    for name in encoder_outputs:
        if name in (MEMORY, ATTENTION_KEYS, SOURCE_MASK):
            encoder_axes[name] = {0: "batch", 1: "source_length"}
        else:
            encoder_axes[name] = {1: "batch"}
    step_axes: dict[str, dict[int, str]] = {}
    for name in step_input_names + step_output_names:
        if name in (HIDDEN, CELL, NEXT_HIDDEN, NEXT_CELL):
            step_axes[name] = {1: "batch"}
        elif name in (MEMORY, ATTENTION_KEYS, SOURCE_MASK, ATTENTION):
            step_axes[name] = {0: "batch", 1: "source_length"}
        elif name in (TOP_IDS, TOP_LOG_PROBS):
            step_axes[name] = {0: "batch", 1: "k"}
        elif name == PREVIOUS_IDS:
            step_axes[name] = batch_axis
    encoder_path, decoder_path = directory / ENCODER, directory / DECODER
    with warnings.catch_warnings():
        # The deprecation notice of the TorchScript-based exporter (chosen on purpose, see above).
        warnings.filterwarnings("ignore", message=".*legacy TorchScript-based ONNX export.*", category=DeprecationWarning)
        warnings.filterwarnings("ignore", message="The feature will be removed", category=DeprecationWarning)
        # Warns for every RNN traced at batch > 1 in case h0 has a frozen batch size; ours is built
        # from the input's shape, and the parity check runs several batch sizes to prove it.
        warnings.filterwarnings("ignore", message="Exporting a model to ONNX with a batch_size other than 1")
        # nn.RNN/GRU/LSTM validate input and state sizes with Python comparisons; traced, those
        # checks become constants, which is harmless (they only raise on bad shapes).
        warnings.filterwarnings("ignore", category=torch.jit.TracerWarning, module=r"torch\.nn\.modules\.rnn")
        torch.onnx.export(
            EncoderGraph(model), encoder_inputs, str(encoder_path), input_names=[SOURCE_IDS, SOURCE_LENGTHS],
            output_names=encoder_outputs, dynamic_axes=encoder_axes, opset_version=opset, dynamo=False,
        )
        torch.onnx.export(
            DecoderStepGraph(model), step_inputs, str(decoder_path), input_names=step_input_names,
            output_names=step_output_names, dynamic_axes=step_axes, opset_version=opset, dynamo=False,
        )
    return encoder_path, decoder_path
