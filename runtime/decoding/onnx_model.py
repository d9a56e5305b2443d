"""A bundle's graphs behind a small numpy interface: `encode` once and `step` per token, or the
whole greedy decode in one call (`decode_greedy`) where the bundle has greedy.onnx."""

from __future__ import annotations

import threading
from dataclasses import dataclass

import numpy as np
import onnxruntime as ort

from ..bundle.contract import (
    ATTENTION,
    ATTENTION_KEYS,
    CELL,
    DECODER,
    ENCODER,
    GRAPH_SPECS,
    GREEDY,
    HIDDEN,
    INITIAL_CELL,
    INITIAL_HIDDEN,
    MEMORY,
    NEXT_CELL,
    NEXT_HIDDEN,
    OUTPUT_IDS,
    OUTPUT_LENGTHS,
    PREVIOUS_IDS,
    SCORES,
    SOURCE_IDS,
    SOURCE_LENGTHS,
    SOURCE_MASK,
    TOP_IDS,
    TOP_K,
    TOP_LOG_PROBS,
    WEIGHTS,
    decoder_input_names,
    decoder_output_names,
    encoder_output_names,
)
from ..bundle.reader import Bundle
from .sessions import create_session


@dataclass
class SourceMemory:
    """Per-sentence tensors the decoder reads every step (batch is axis 0)."""

    arrays: dict[str, np.ndarray]

    def select(self, rows: np.ndarray) -> "SourceMemory":
        return SourceMemory({name: array[rows] for name, array in self.arrays.items()})


@dataclass
class RecurrentState:
    """Recurrent state (batch is axis 1: [layers, batch, hidden])."""

    arrays: dict[str, np.ndarray]

    def select(self, rows: np.ndarray) -> "RecurrentState":
        return RecurrentState({name: array[:, rows] for name, array in self.arrays.items()})


@dataclass
class StepOutput:
    top_ids: np.ndarray  # [batch, k] int64
    top_log_probs: np.ndarray  # [batch, k] float32
    state: RecurrentState
    attention: np.ndarray | None  # [batch, src_len]


class OnnxSeq2Seq:
    """Each graph's session is created on first use: translating single sentences never loads
    the step graphs (greedy.onnx does it all), which saves their session time and memory at
    start-up. A graph that does not match the manifest fails, when first used, with a BundleError."""

    def __init__(self, bundle: Bundle, device: str = "cpu", threads: int | None = None) -> None:
        self.bundle = bundle
        self.device, self.threads = device, threads
        cell, attention = bundle.manifest.architecture.cell, bundle.manifest.architecture.attention
        self._external = {WEIGHTS: bundle.read(WEIGHTS)} if bundle.manifest.lists(WEIGHTS) else None
        self.has_one_call = bundle.manifest.lists(GREEDY)
        self._encoder_outputs = encoder_output_names(cell, attention)
        self._decoder_inputs = decoder_input_names(cell, attention)
        self._decoder_outputs = decoder_output_names(cell, attention)
        self._has_cell = cell == "lstm"
        self._has_attention = attention != "none"
        self._sessions: dict[str, ort.InferenceSession] = {}
        self._opening = threading.Lock()  # a Translator may be shared by threads

    def check(self) -> None:
        """Open every graph now (each checked against the manifest): the load check an install
        runs, where translating opens each graph on first use."""
        for graph in (ENCODER, DECODER, *([GREEDY] if self.has_one_call else [])):
            self._session(graph)

    @property
    def encoder(self) -> ort.InferenceSession:
        return self._session(ENCODER)

    @property
    def decoder(self) -> ort.InferenceSession:
        return self._session(DECODER)

    @property
    def greedy(self) -> ort.InferenceSession | None:
        return self._session(GREEDY) if self.has_one_call else None

    def _session(self, graph: str) -> ort.InferenceSession:
        session = self._sessions.get(graph)
        if session is None:
            with self._opening:
                session = self._sessions.get(graph)
                if session is None:
                    session = create_session(self.bundle.read(graph), graph, self.device, self.threads, self._external)
                    self._check_graph(graph, session)
                    self._sessions[graph] = session
        return session

    def _check_graph(self, graph: str, session: ort.InferenceSession) -> None:
        """Every input and output of `graph`, by name, type and rank, as the manifest implies."""
        from ..errors import BundleError

        expected = {
            ENCODER: ([SOURCE_IDS, SOURCE_LENGTHS], self._encoder_outputs),
            DECODER: (self._decoder_inputs, self._decoder_outputs),
            GREEDY: ([SOURCE_IDS, SOURCE_LENGTHS], [OUTPUT_IDS, OUTPUT_LENGTHS, SCORES]),
        }[graph]
        for kind, actual, names in (("inputs", session.get_inputs(), expected[0]),
                                    ("outputs", session.get_outputs(), expected[1])):
            if sorted(a.name for a in actual) != sorted(names):
                raise BundleError(f"{graph} {kind} are {sorted(a.name for a in actual)}; the manifest implies "
                                  f"{sorted(names)}")
            for value in actual:
                dtype, rank = GRAPH_SPECS[value.name]
                if value.type != dtype or len(value.shape) != rank:
                    raise BundleError(f"{graph} {kind[:-1]} {value.name} is {value.type} of rank "
                                      f"{len(value.shape)}; the bundle format needs {dtype} of rank {rank}")

    def encode(self, source_ids: np.ndarray, lengths: np.ndarray) -> tuple[SourceMemory, RecurrentState]:
        outputs = dict(zip(self._encoder_outputs, self.encoder.run(
            self._encoder_outputs, {SOURCE_IDS: source_ids, SOURCE_LENGTHS: lengths})))
        context = {name: outputs[name] for name in (MEMORY, ATTENTION_KEYS, SOURCE_MASK) if name in outputs}
        state = {HIDDEN: outputs[INITIAL_HIDDEN]}
        if INITIAL_CELL in outputs:
            state[CELL] = outputs[INITIAL_CELL]
        return SourceMemory(context), RecurrentState(state)

    def step(self, previous: np.ndarray, state: RecurrentState, context: SourceMemory, k: int = 1) -> StepOutput:
        feeds = {PREVIOUS_IDS: previous, TOP_K: np.array(k, dtype=np.int64), **state.arrays, **context.arrays}
        outputs = dict(zip(self._decoder_outputs, self.decoder.run(self._decoder_outputs, feeds)))
        new_state = {HIDDEN: outputs[NEXT_HIDDEN]}
        if NEXT_CELL in outputs:
            new_state[CELL] = outputs[NEXT_CELL]
        return StepOutput(outputs[TOP_IDS], outputs[TOP_LOG_PROBS], RecurrentState(new_state), outputs.get(ATTENTION))

    def decode_greedy(self, source_ids: np.ndarray, lengths: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The whole greedy decode in one call of greedy.onnx -> (output ids [batch, steps],
        output lengths [batch], scores [batch])."""
        session = self.greedy
        assert session is not None
        ids, emitted, scores = session.run([OUTPUT_IDS, OUTPUT_LENGTHS, SCORES],
                                               {SOURCE_IDS: source_ids, SOURCE_LENGTHS: lengths})
        return ids, emitted, scores
