"""A bundle's graphs behind a small numpy interface: `encode` once and `step` per token, or the
whole greedy decode in one call (`decode_greedy`) where the bundle has greedy.onnx."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .bundle import (
    ATTENTION, ATTENTION_KEYS, CELL, DECODER, ENCODER, GRAPH_SPECS, GREEDY, HIDDEN, INITIAL_CELL, INITIAL_HIDDEN, MEMORY,
    NEXT_CELL, NEXT_HIDDEN, OUTPUT_IDS, OUTPUT_LENGTHS, PREVIOUS_IDS, SCORES, SOURCE_IDS, SOURCE_LENGTHS, SOURCE_MASK,
    TOP_IDS, TOP_K, TOP_LOG_PROBS, WEIGHTS, Bundle, decoder_input_names, decoder_output_names, encoder_output_names,
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
        files = bundle.manifest["files"]
        external = {WEIGHTS: bundle.read(WEIGHTS)} if WEIGHTS in files else None
        self.encoder = create_session(bundle.read(ENCODER), ENCODER, device, threads, external)
        self.decoder = create_session(bundle.read(DECODER), DECODER, device, threads, external)
        self.greedy = create_session(bundle.read(GREEDY), GREEDY, device, threads, external) if GREEDY in files else None
        self._encoder_outputs = encoder_output_names(cell, attention)
        self._decoder_inputs = decoder_input_names(cell, attention)
        self._decoder_outputs = decoder_output_names(cell, attention)
        self._check_graphs()
        self._has_cell = cell == "lstm"
        self._has_attention = attention != "none"

    def _check_graphs(self) -> None:
        """Every input and output of both graphs, by name, type and rank, as the manifest implies."""
        from .errors import BundleError

        expected = {
            ENCODER: ([SOURCE_IDS, SOURCE_LENGTHS], self._encoder_outputs),
            DECODER: (self._decoder_inputs, self._decoder_outputs),
            GREEDY: ([SOURCE_IDS, SOURCE_LENGTHS], [OUTPUT_IDS, OUTPUT_LENGTHS, SCORES]),
        }
        sessions = [(ENCODER, self.encoder), (DECODER, self.decoder)] + ([(GREEDY, self.greedy)] if self.greedy else [])
        for graph, session in sessions:
            for kind, actual, names in (("inputs", session.get_inputs(), expected[graph][0]),
                                        ("outputs", session.get_outputs(), expected[graph][1])):
                if sorted(a.name for a in actual) != sorted(names):
                    raise BundleError(f"{graph} {kind} are {sorted(a.name for a in actual)}; the manifest implies "
                                      f"{sorted(names)}")
                for value in actual:
                    dtype, rank = GRAPH_SPECS[value.name]
                    if value.type != dtype or len(value.shape) != rank:
                        raise BundleError(f"{graph} {kind[:-1]} {value.name} is {value.type} of rank "
                                          f"{len(value.shape)}; the bundle format needs {dtype} of rank {rank}")

    def encode(self, source_ids: np.ndarray, lengths: np.ndarray) -> tuple[EncoderStates, DecoderState]:
        outputs = dict(zip(self._encoder_outputs, self.encoder.run(
            self._encoder_outputs, {SOURCE_IDS: source_ids, SOURCE_LENGTHS: lengths})))
        context = {name: outputs[name] for name in (MEMORY, ATTENTION_KEYS, SOURCE_MASK) if name in outputs}
        state = {HIDDEN: outputs[INITIAL_HIDDEN]}
        if INITIAL_CELL in outputs:
            state[CELL] = outputs[INITIAL_CELL]
        return EncoderStates(context), DecoderState(state)

    def step(self, previous: np.ndarray, state: DecoderState, context: EncoderStates, k: int = 1) -> StepOutput:
        feeds = {PREVIOUS_IDS: previous, TOP_K: np.array(k, dtype=np.int64), **state.arrays, **context.arrays}
        outputs = dict(zip(self._decoder_outputs, self.decoder.run(self._decoder_outputs, feeds)))
        new_state = {HIDDEN: outputs[NEXT_HIDDEN]}
        if NEXT_CELL in outputs:
            new_state[CELL] = outputs[NEXT_CELL]
        return StepOutput(outputs[TOP_IDS], outputs[TOP_LOG_PROBS], DecoderState(new_state), outputs.get(ATTENTION))

    def decode_greedy(self, source_ids: np.ndarray, lengths: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The whole greedy decode in one call of greedy.onnx -> (output ids [batch, steps],
        output lengths [batch], scores [batch])."""
        assert self.greedy is not None
        ids, emitted, scores = self.greedy.run([OUTPUT_IDS, OUTPUT_LENGTHS, SCORES],
                                               {SOURCE_IDS: source_ids, SOURCE_LENGTHS: lengths})
        return ids, emitted, scores
