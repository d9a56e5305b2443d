"""Beam search over the exported graphs: the greedy loop with the top-k of every step."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .greedy import Hypothesis, pad_batch
from .onnx_model import OnnxSeq2Seq


@dataclass
class _Beam:
    sentence: int
    tokens: list[int]
    score: float
    attention: list[np.ndarray]


def _normalised(score: float, length: int, length_penalty: float) -> float:
    # Length normalisation: without it, beam search prefers short outputs (every token costs
    # log-probability). length counts the emitted tokens, <eos> included.
    return score / max(length, 1) ** length_penalty


def beam_search(
    model: OnnxSeq2Seq,
    sources: list[list[int]],
    limits: list[int],
    sos_id: int,
    eos_id: int,
    pad_id: int,
    beam_size: int = 5,
    length_penalty: float = 1.0,
    keep_attention: bool = False,
    n_best: int = 1,
) -> list[list[Hypothesis]]:
    """Beam search for a batch of non-empty token sequences; all beams of all sentences share
    each decoder run. A sentence ends when `beam_size` hypotheses have finished (emitted <eos>
    or reached the length limit). Returns each sentence's `n_best` (at most `beam_size`)
    finished hypotheses, best first by length-normalised score. With beam_size 1 the best is
    exactly greedy decoding's."""
    ids, lengths = pad_batch(sources, pad_id)
    context, state = model.encode(ids, lengths)
    batch = len(sources)
    beams = [_Beam(b, [], 0.0, []) for b in range(batch)]
    previous = np.full(batch, sos_id, dtype=np.int64)
    finished: list[list[tuple[float, _Beam]]] = [[] for _ in range(batch)]
    while beams:
        out = model.step(previous, state, context, k=beam_size)
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
                if keep_attention and out.attention is not None:
                    attention = attention + [out.attention[position, : lengths[sentence]]]
                if token == eos_id:
                    done = _Beam(sentence, parent.tokens, total, attention)
                    finished[sentence].append((_normalised(total, len(parent.tokens) + 1, length_penalty), done))
                    continue
                beam = _Beam(sentence, parent.tokens + [token], total, attention)
                if len(beam.tokens) >= limits[sentence]:
                    finished[sentence].append((_normalised(total, len(beam.tokens), length_penalty), beam))
                    continue
                next_beams.append(beam)
                parents.append(position)
                live += 1
        if len(next_beams) and any(len(finished[b.sentence]) < beam_size for b in next_beams):
            keep = [i for i, b in enumerate(next_beams) if len(finished[b.sentence]) < beam_size]
            beams = [next_beams[i] for i in keep]
            parent_rows = np.asarray([parents[i] for i in keep])
            state, context = out.state.select(parent_rows), context.select(parent_rows)
            previous = np.asarray([b.tokens[-1] for b in beams], dtype=np.int64)
        else:
            beams = []
    results = []
    for sentence in range(batch):
        # Stable sort: among equal scores, the hypothesis that finished first stays first.
        ranked = sorted(finished[sentence], key=lambda item: -item[0])[:n_best]
        results.append([
            Hypothesis(beam.tokens, beam.score,
                       np.stack(beam.attention) if keep_attention and beam.attention else None, ranking=normalised)
            for normalised, beam in ranked
        ])
    return results
