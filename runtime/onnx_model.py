"""The two graphs of a bundle behind a small numpy interface: `encode` once, `step` per token."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .bundle import (
    ATTENTION, ATTENTION_KEYS, CELL, DECODER, ENCODER, HIDDEN, INITIAL_CELL, INITIAL_HIDDEN, MEMORY, NEXT_CELL,
    NEXT_HIDDEN, PREVIOUS_IDS, SOURCE_IDS, SOURCE_LENGTHS, SOURCE_MASK, TOP_IDS, TOP_K, TOP_LOG_PROBS, Bundle,
    decoder_input_names, decoder_output_names, encoder_output_names,
)
from .sessions import create_session


@dataclass
class EncoderStates:
    """Per-sentence tensors the decoder reads every step (batch is axis 0)."""

    arrays: dict[str, np.ndarray]

    def select(self, rows: np.ndarray) -> "EncoderStates":
        return EncoderStates({name: array[rows] for name, array in self.arrays.items()})


@dataclass
class DecoderState:
    """Recurrent state (batch is axis 1: [layers, batch, hidden])."""

    arrays: dict[str, np.ndarray]

    def select(self, rows: np.ndarray) -> "DecoderState":
        return DecoderState({name: array[:, rows] for name, array in self.arrays.items()})


@dataclass
class StepOutput:
    top_ids: np.ndarray  # [batch, k] int64
    top_log_probs: np.ndarray  # [batch, k] float32
    state: DecoderState
    attention: np.ndarray | None  # [batch, src_len]


class OnnxSeq2Seq:
    def __init__(self, bundle: Bundle, device: str = "cpu", threads: int | None = None) -> None:
        self.bundle = bundle
        cell, attention = bundle.cell, bundle.attention
        self.encoder = create_session(bundle.file(ENCODER), device, threads)
        self.decoder = create_session(bundle.file(DECODER), device, threads)
        self._encoder_outputs = encoder_output_names(cell, attention)
        self._decoder_inputs = decoder_input_names(cell, attention)
        self._decoder_outputs = decoder_output_names(cell, attention)
        self._check_graphs()
        self._has_cell = cell == "lstm"
        self._has_attention = attention != "none"

    def _check_graphs(self) -> None:
        from .errors import BundleError

        actual = [o.name for o in self.encoder.get_outputs()]
        if actual != self._encoder_outputs:
            raise BundleError(f"encoder.onnx outputs {actual}, the manifest implies {self._encoder_outputs}")
        actual = [i.name for i in self.decoder.get_inputs()]
        if actual != self._decoder_inputs:
            raise BundleError(f"decoder.onnx inputs {actual}, the manifest implies {self._decoder_inputs}")

    def encode(self, source_ids: np.ndarray, lengths: np.ndarray) -> tuple[EncoderStates, DecoderState]:
        outputs = dict(
            zip(self._encoder_outputs, self.encoder.run(None, {SOURCE_IDS: source_ids, SOURCE_LENGTHS: lengths}))
        )
        context = {name: outputs[name] for name in (MEMORY, ATTENTION_KEYS, SOURCE_MASK) if name in outputs}
        state = {HIDDEN: outputs[INITIAL_HIDDEN]}
        if INITIAL_CELL in outputs:
            state[CELL] = outputs[INITIAL_CELL]
        return EncoderStates(context), DecoderState(state)

    def step(self, previous: np.ndarray, state: DecoderState, context: EncoderStates, k: int = 1) -> StepOutput:
        feeds = {PREVIOUS_IDS: previous, TOP_K: np.array(k, dtype=np.int64), **state.arrays, **context.arrays}
        outputs = dict(zip(self._decoder_outputs, self.decoder.run(None, feeds)))
        new_state = {HIDDEN: outputs[NEXT_HIDDEN]}
        if NEXT_CELL in outputs:
            new_state[CELL] = outputs[NEXT_CELL]
        return StepOutput(outputs[TOP_IDS], outputs[TOP_LOG_PROBS], DecoderState(new_state), outputs.get(ATTENTION))
