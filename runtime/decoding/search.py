"""One decoding driver over the exported graphs, with greedy and beam search as its strategies.

The shape of OpenNMT-py's `translate/`: `search` owns the loop and every model call (encode
once, then one decoder step per token, carrying the recurrent state of the rows that go on); a
`SearchStrategy` owns what each step chooses and when a sentence is done. numpy and onnxruntime
only, no torch.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass

import numpy as np

from .onnx_model import OnnxSeq2Seq, StepOutput


@dataclass
class Hypothesis:
    token_ids: list[int]  # without <sos>/<eos>
    score: float  # sum of the emitted tokens' log-probabilities (including <eos> when emitted)
    attention: np.ndarray | None = None  # [target_steps, source_length]: one row per emitted token (and <eos>)
    ranking: float | None = None  # what orders a sentence's hypotheses (beam search: length-normalised score)
    repaired: int = 0  # protected items the model dropped and the restore step put back

    @property
    def rank(self) -> float:
        return self.score if self.ranking is None else self.ranking


def pad_batch(sequences: list[list[int]], pad_id: int) -> tuple[np.ndarray, np.ndarray]:
    lengths = np.array([len(s) for s in sequences], dtype=np.int64)
    ids = np.full((len(sequences), max(int(lengths.max()), 1)), pad_id, dtype=np.int64)
    for row, seq in enumerate(sequences):
        ids[row, : len(seq)] = seq
    return ids, lengths


@dataclass
class NextStep:
    """What a strategy feeds the next decoder step: one token per row that goes on, and which of
    this step's rows those are, in order (None: all of them, as they are)."""

    token_ids: np.ndarray
    rows: np.ndarray | None = None


class SearchStrategy(ABC):
    k: int  # candidates the decoder ranks per row and step

    @abstractmethod
    def start(self, source_lengths: np.ndarray) -> np.ndarray:
        """The first tokens fed to the decoder, one per source sentence."""

    @abstractmethod
    def advance(self, out: StepOutput) -> NextStep | None:
        """Take one decoder step's top-k; None when every sentence is done."""

    @abstractmethod
    def hypotheses(self) -> list[list[Hypothesis]]:
        """Each sentence's finished hypotheses, best first."""


def search(model: OnnxSeq2Seq, sources: list[list[int]], pad_id: int,
           strategy: SearchStrategy) -> list[list[Hypothesis]]:
    """Decode a batch of non-empty token sequences with `strategy`: the encoder runs once, then
    the decoder once per step for every row still going, all sentences together."""
    ids, lengths = pad_batch(sources, pad_id)
    context, state = model.encode(ids, lengths)
    tokens = strategy.start(lengths)
    while True:
        out = model.step(tokens, state, context, k=strategy.k)
        step = strategy.advance(out)
        if step is None:
            return strategy.hypotheses()
        if step.rows is None:
            state = out.state
        else:
            state, context = out.state.select(step.rows), context.select(step.rows)
        tokens = step.token_ids


class GreedySearch(SearchStrategy):
    """Each step feeds back the argmax, until a row emits <eos> or its limit of tokens. Finished
    rows leave the batch, so no work is spent on them."""

    k = 1

    def __init__(self, limits: list[int], sos_id: int, eos_id: int, keep_attention: bool = False) -> None:
        self.limit = np.asarray(limits, dtype=np.int64)
        self.sos_id, self.eos_id, self.keep_attention = sos_id, eos_id, keep_attention

    def start(self, source_lengths: np.ndarray) -> np.ndarray:
        batch = len(source_lengths)
        self.lengths = source_lengths
        # Every active row emits at the same step, so outputs fill one matrix column by column.
        self.output = np.zeros((batch, max(int(self.limit.max()), 1)), dtype=np.int64)
        self.emitted = np.zeros(batch, dtype=np.int64)
        self.scores = np.zeros(batch, dtype=np.float64)
        self.attention: list[list[np.ndarray]] = [[] for _ in range(batch)]
        self.active = np.arange(batch)  # original row of each row still in the batch
        self.step = 0
        return np.full(batch, self.sos_id, dtype=np.int64)

    def advance(self, out: StepOutput) -> NextStep | None:
        active = self.active
        chosen = out.top_ids[:, 0]
        self.scores[active] += out.top_log_probs[:, 0]
        if self.keep_attention and out.attention is not None:
            for position, row in enumerate(active):
                self.attention[row].append(out.attention[position, : self.lengths[row]])
        finished = chosen == self.eos_id
        emitting = active[~finished]
        self.output[emitting, self.step] = chosen[~finished]
        self.emitted[emitting] += 1
        finished |= self.emitted[active] >= self.limit[active]
        self.step += 1
        if not finished.any():
            return NextStep(chosen)
        keep = np.flatnonzero(~finished)
        if not keep.size:
            return None
        self.active = active[keep]
        return NextStep(chosen[keep], keep)

    def hypotheses(self) -> list[list[Hypothesis]]:
        return [
            [Hypothesis(self.output[row, : self.emitted[row]].tolist(), float(self.scores[row]),
                        np.stack(self.attention[row]) if self.keep_attention and self.attention[row] else None)]
            for row in range(len(self.emitted))
        ]


@dataclass
class _Beam:
    sentence: int
    token_ids: list[int]
    score: float
    attention: list[np.ndarray]


class BeamSearch(SearchStrategy):
    """All beams of all sentences share each decoder step. A sentence ends when `beam_size`
    hypotheses have finished (emitted <eos> or reached the length limit); it keeps its `n_best`
    (at most `beam_size`), best first by length-normalised score. With beam_size 1 the best is
    exactly greedy search's."""

    def __init__(self, limits: list[int], sos_id: int, eos_id: int, beam_size: int = 5,
                 length_penalty: float = 1.0, keep_attention: bool = False, n_best: int = 1) -> None:
        self.limits, self.sos_id, self.eos_id = limits, sos_id, eos_id
        self.k = beam_size
        self.length_penalty, self.keep_attention, self.n_best = length_penalty, keep_attention, n_best

    def start(self, source_lengths: np.ndarray) -> np.ndarray:
        batch = len(source_lengths)
        self.lengths = source_lengths
        self.beams = [_Beam(b, [], 0.0, []) for b in range(batch)]
        self.finished: list[list[tuple[float, _Beam]]] = [[] for _ in range(batch)]
        return np.full(batch, self.sos_id, dtype=np.int64)

    def _normalised(self, score: float, length: int) -> float:
        # Length normalisation: without it, beam search prefers short outputs (every token costs
        # log-probability). length counts the emitted tokens, <eos> included.
        return score / max(length, 1) ** self.length_penalty

    def advance(self, out: StepOutput) -> NextStep | None:
        beam_size, beams, finished = self.k, self.beams, self.finished
        candidates: dict[int, list[tuple[float, int, int]]] = {}
        for position, beam in enumerate(beams):
            for j in range(out.top_ids.shape[1]):
                total = beam.score + float(out.top_log_probs[position, j])
                candidates.setdefault(beam.sentence, []).append((total, position, int(out.top_ids[position, j])))
        next_beams, parents = [], []
        for sentence, options in candidates.items():
            options.sort(key=lambda option: -option[0])
            live = 0
            for total, position, token in options:
                if live == beam_size or len(finished[sentence]) >= beam_size:
                    break
                parent = beams[position]
                attention = parent.attention
                if self.keep_attention and out.attention is not None:
                    attention = attention + [out.attention[position, : self.lengths[sentence]]]
                if token == self.eos_id:
                    done = _Beam(sentence, parent.token_ids, total, attention)
                    finished[sentence].append((self._normalised(total, len(parent.token_ids) + 1), done))
                    continue
                beam = _Beam(sentence, parent.token_ids + [token], total, attention)
                if len(beam.token_ids) >= self.limits[sentence]:
                    finished[sentence].append((self._normalised(total, len(beam.token_ids)), beam))
                    continue
                next_beams.append(beam)
                parents.append(position)
                live += 1
        keep = [i for i, b in enumerate(next_beams) if len(finished[b.sentence]) < beam_size]
        if not keep:
            return None
        self.beams = [next_beams[i] for i in keep]
        return NextStep(np.asarray([b.token_ids[-1] for b in self.beams], dtype=np.int64),
                        np.asarray([parents[i] for i in keep]))

    def hypotheses(self) -> list[list[Hypothesis]]:
        results = []
        for sentence_finished in self.finished:
            # Stable sort: among equal scores, the hypothesis that finished first stays first.
            ranked = sorted(sentence_finished, key=lambda item: -item[0])[: self.n_best]
            results.append([
                Hypothesis(beam.token_ids, beam.score,
                           np.stack(beam.attention) if self.keep_attention and beam.attention else None,
                           ranking=normalised)
                for normalised, beam in ranked
            ])
        return results
