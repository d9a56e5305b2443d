"""Checks that the exported graphs compute what the PyTorch model computes.

- fp32: on a sample of sentences, encoder outputs and the log-probabilities of every decoder
  step (over the whole vocabulary, along the reference greedy path) match PyTorch within
  `tolerance`, and the runtime's greedy output is token-for-token the PyTorch reference
  greedy decoder's, for every sentence. Several batch sizes are run (dynamic axes).
- int8: greedy agreement with the fp32 graphs (share of identical output sentences).
- tokenizers: the runtime's own tokenizer (no `tokenizers` package) encodes and decodes real
  text exactly as the training tokenizer does.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import torch

from s2s.runtime.bundle.contract import SOURCE_IDS, SOURCE_LENGTHS, encoder_output_names
from s2s.runtime.bundle.reader import Bundle
from s2s.runtime.decoding.onnx_model import OnnxSeq2Seq
from s2s.runtime.decoding.search import GreedySearch, Hypothesis, pad_batch, search
from s2s.runtime.decoding.tokenizer import Tokenizer as RuntimeTokenizer
from s2s.training.decoding import greedy_decode
from s2s.training.model import Seq2Seq
from s2s.training.tokenization import EOS_ID, PAD_ID, SOS_ID, Tokenizer

from .graphs import EncoderGraph


TOP_CHECKED = 16  # candidates per step compared within the tolerance (beam sizes up to 16)


@dataclass
class ParityReport:
    sentences: int
    max_encoder_error: float = 0.0
    max_log_prob_error: float = 0.0  # over each step's TOP_CHECKED most probable tokens
    max_tail_error: float = 0.0  # over the whole vocabulary (informational)
    steps_checked: int = 0
    greedy_mismatches: list[int] = field(default_factory=list)
    tolerance: float = 1e-4

    @property
    def passed(self) -> bool:
        return (
            self.max_encoder_error <= self.tolerance
            and self.max_log_prob_error <= self.tolerance
            and not self.greedy_mismatches
        )

    def summary(self) -> str:
        return (
            f"{self.sentences} sentences: max |encoder diff| {self.max_encoder_error:.2e}, "
            f"max |log-prob diff| {self.max_log_prob_error:.2e} over the top {TOP_CHECKED} tokens of "
            f"{self.steps_checked} steps (whole vocabulary: {self.max_tail_error:.2e}) "
            f"(tolerance {self.tolerance:g}); greedy identical for "
            f"{self.sentences - len(self.greedy_mismatches)}/{self.sentences}"
        )


def _limits(model: Seq2Seq, sources: list[list[int]]) -> list[int]:
    return [model.config.decode_length_limit(len(s)) for s in sources]


def _stepped_greedy(model: OnnxSeq2Seq, batch: list[list[int]], limits: list[int]) -> list[Hypothesis]:
    """The runtime's greedy search over the step graphs (not the one-call graph)."""
    return [best for [best] in search(model, batch, PAD_ID, GreedySearch(limits, SOS_ID, EOS_ID))]


def check_fp32(
    model: Seq2Seq, bundle: Bundle, sources: list[list[int]], tolerance: float = 1e-4, batch_size: int = 16
) -> ParityReport:
    model.eval()
    onnx_model = OnnxSeq2Seq(bundle)
    config = model.config
    report = ParityReport(sentences=len(sources), tolerance=tolerance)
    reference = greedy_decode(model, sources, batch_size=batch_size)
    names = encoder_output_names(config.cell, config.attention)
    for batch_rows in _batches(len(sources), (1, 3, batch_size)):
        batch = [sources[i] for i in batch_rows]
        ids, lengths = pad_batch(batch, PAD_ID)
        with torch.no_grad():
            expected = EncoderGraph(model)(torch.from_numpy(ids), torch.from_numpy(lengths))
        actual = onnx_model.encoder.run(None, {SOURCE_IDS: ids, SOURCE_LENGTHS: lengths})
        for name, e, a in zip(names, expected, actual):
            if name == "source_mask":
                if not np.array_equal(e.numpy(), a):
                    report.max_encoder_error = float("inf")
                continue
            report.max_encoder_error = max(report.max_encoder_error, float(np.abs(e.numpy() - a).max()))
        report.max_log_prob_error = max(
            report.max_log_prob_error, _step_error(model, onnx_model, batch, [reference[i] for i in batch_rows], report)
        )
        decoded = _stepped_greedy(onnx_model, batch, _limits(model, batch))
        for row, hypothesis in zip(batch_rows, decoded):
            if hypothesis.token_ids != reference[row]:
                report.greedy_mismatches.append(row)
    report.greedy_mismatches = sorted(set(report.greedy_mismatches))
    return report


def _batches(count: int, sizes: tuple[int, ...]) -> list[list[int]]:
    """Cover all rows, cycling through batch sizes so that several sizes are exercised."""
    out, start, index = [], 0, 0
    while start < count:
        size = sizes[index % len(sizes)]
        out.append(list(range(start, min(count, start + size))))
        start += size
        index += 1
    return out


@torch.no_grad()
def _step_error(model: Seq2Seq, onnx_model: OnnxSeq2Seq, batch: list[list[int]], paths: list[list[int]], report) -> float:
    """Max |log-prob| difference over the whole vocabulary, every step, along the greedy paths."""
    vocab = model.config.target_vocab_size
    ids, lengths = pad_batch(batch, PAD_ID)
    encoded = model.encoder(torch.from_numpy(ids), torch.from_numpy(lengths))
    state = model.decoder.initial_state(encoded)
    keys = model.decoder.attention_keys(encoded.memory)
    context, onnx_state = onnx_model.encode(ids, lengths)
    steps = max(len(p) for p in paths) + 1
    previous = np.full(len(batch), SOS_ID, dtype=np.int64)
    worst = 0.0
    for t in range(steps):
        logits, state, _ = model.decoder.step(torch.from_numpy(previous), state, encoded.memory, keys, encoded.mask)
        expected = torch.log_softmax(logits, dim=-1).numpy()
        out = onnx_model.step(previous, onnx_state, context, k=vocab)
        actual = np.empty_like(expected)
        np.put_along_axis(actual, out.top_ids, out.top_log_probs, axis=1)
        # The graph serves the top-k candidates (k = 1 greedy, k = beam size); those must match
        # within the tolerance. The whole-vocabulary error is reported too: on trained models the
        # far tail (large negative logits) carries the largest float32 rounding differences.
        head = np.argsort(-expected, axis=1)[:, :TOP_CHECKED]
        worst = max(worst, float(np.abs(np.take_along_axis(expected - actual, head, axis=1)).max()))
        report.max_tail_error = max(report.max_tail_error, float(np.abs(expected - actual).max()))
        report.steps_checked += 1
        onnx_state = out.state
        previous = np.array([p[t] if t < len(p) else EOS_ID for p in paths], dtype=np.int64)
    return worst


def greedy_agreement(reference: Bundle, candidate: Bundle, sources: list[list[int]], limits: list[int],
                     batch_size: int = 32) -> float:
    """Share of sentences whose greedy output is identical under the two bundles' graphs."""
    first, second = OnnxSeq2Seq(reference), OnnxSeq2Seq(candidate)
    same = 0
    for start in range(0, len(sources), batch_size):
        batch, batch_limits = sources[start : start + batch_size], limits[start : start + batch_size]
        a = _stepped_greedy(first, batch, batch_limits)
        b = _stepped_greedy(second, batch, batch_limits)
        same += sum(x.token_ids == y.token_ids for x, y in zip(a, b))
    return same / max(len(sources), 1)


def batch_variant_sentences(bundle: Bundle, sources: list[list[int]], limits: list[int],
                            batch_sizes: tuple[int, ...] = (1, 7, 64)) -> list[int]:
    """Indices of sentences whose greedy output changes with the batch they are decoded in.

    Each batch size decodes the sample in input order (so neighbours and padding differ between
    sizes, as they do between a file and the same file resumed mid-way); the bundle contract
    requires identical output."""
    model = OnnxSeq2Seq(bundle)
    results = []
    for size in batch_sizes:
        tokens: list[list[int]] = []
        for start in range(0, len(sources), size):
            batch, batch_limits = sources[start : start + size], limits[start : start + size]
            tokens += [h.token_ids for h in _stepped_greedy(model, batch, batch_limits)]
        results.append(tokens)
    return [i for i in range(len(sources)) if any(r[i] != results[0][i] for r in results[1:])]


def tokenizer_mismatches(reference: Tokenizer, runtime: RuntimeTokenizer, texts: list[str]) -> list[str]:
    """Texts whose token ids, or whose decoded ids, differ between the two implementations."""
    mismatches = []
    for text in texts:
        ids = reference.encode(text, add_special_tokens=False).ids
        if runtime.encode(text) != ids or runtime.decode(ids) != reference.decode(ids, skip_special_tokens=True):
            mismatches.append(text)
    return mismatches


def one_call_mismatches(bundle: Bundle, sources: list[list[int]], limits: list[int],
                        batch_size: int = 32) -> list[int]:
    """Indices of sentences whose one-call greedy output (greedy.onnx) differs from the step
    loop's, token for token or in score; the bundle contract requires none."""
    model = OnnxSeq2Seq(bundle)
    mismatches = []
    for start in range(0, len(sources), batch_size):
        batch, batch_limits = sources[start : start + batch_size], limits[start : start + batch_size]
        stepped = _stepped_greedy(model, batch, batch_limits)
        ids, lengths = pad_batch(batch, PAD_ID)
        output, emitted, scores = model.decode_greedy(ids, lengths)
        for row, hypothesis in enumerate(stepped):
            if output[row, : emitted[row]].tolist() != hypothesis.token_ids or abs(scores[row] - hypothesis.score) > 1e-4:
                mismatches.append(start + row)
    return mismatches
