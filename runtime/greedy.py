"""Greedy autoregressive decoding over the exported graphs (numpy + onnxruntime, no torch)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .onnx_model import OnnxSeq2Seq


@dataclass
class Hypothesis:
    tokens: list[int]  # without <sos>/<eos>
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


def greedy_decode(
    model: OnnxSeq2Seq,
    sources: list[list[int]],
    limits: list[int],
    sos_id: int,
    eos_id: int,
    pad_id: int,
    keep_attention: bool = False,
) -> list[Hypothesis]:
    """Decode a batch of non-empty token sequences.

    The encoder runs once. From <sos>, each step feeds back the previous argmax until a row emits
    <eos> or `limits[row]` tokens. Finished rows leave the batch, so no work is spent on them.
    """
    ids, lengths = pad_batch(sources, pad_id)
    context, state = model.encode(ids, lengths)
    batch = len(sources)
    limit = np.asarray(limits, dtype=np.int64)
    # Every active row emits at the same step, so outputs fill one matrix column by column.
    output = np.zeros((batch, max(int(limit.max()), 1)), dtype=np.int64)
    emitted = np.zeros(batch, dtype=np.int64)
    scores = np.zeros(batch, dtype=np.float64)
    attention: list[list[np.ndarray]] = [[] for _ in range(batch)]
    active = np.arange(batch)  # original row of each row still in the batch
    previous = np.full(batch, sos_id, dtype=np.int64)
    step = 0
    while active.size:
        out = model.step(previous, state, context, k=1)
        chosen = out.top_ids[:, 0]
        scores[active] += out.top_log_probs[:, 0]
        if keep_attention and out.attention is not None:
            for position, row in enumerate(active):
                attention[row].append(out.attention[position, : lengths[row]])
        finished = chosen == eos_id
        emitting = active[~finished]
        output[emitting, step] = chosen[~finished]
        emitted[emitting] += 1
        finished |= emitted[active] >= limit[active]
        step += 1
        if finished.any():
            keep = np.flatnonzero(~finished)
            if not keep.size:
                break
            active, chosen = active[keep], chosen[keep]
            state, context = out.state.select(keep), context.select(keep)
        else:
            state = out.state
        previous = chosen
    return [
        Hypothesis(
            output[row, : emitted[row]].tolist(),
            float(scores[row]),
            np.stack(attention[row]) if keep_attention and attention[row] else None,
        )
        for row in range(batch)
    ]
