"""Validation: teacher-forced loss and greedy-decoding sacreBLEU."""

from __future__ import annotations

import math

import sacrebleu
import torch
from torch.nn import functional as F

from .data import make_batch, sequential_batches
from .decoding import greedy_decode
from .model import Seq2Seq
from .tokenization import PAD_ID


@torch.no_grad()
def validation_loss(model: Seq2Seq, source_ids: list[list[int]], target_ids: list[list[int]], batch_size: int) -> float:
    """Mean per-token cross-entropy (nats, no label smoothing) with teacher forcing."""
    model.eval()
    total, tokens = 0.0, 0
    for indices in sequential_batches([len(s) for s in source_ids], batch_size):
        batch = make_batch(source_ids, target_ids, indices).to(next(model.parameters()).device)
        logits = model(batch.source, batch.source_lengths, batch.target_in)
        total += float(
            F.cross_entropy(logits.flatten(0, 1), batch.target_out.flatten(), ignore_index=PAD_ID, reduction="sum")
        )
        tokens += batch.target_tokens
    return total / max(tokens, 1)


def corpus_bleu(hypotheses: list[str], references: list[str]) -> float:
    """sacreBLEU (13a tokenisation, cased) of detokenised hypotheses against raw references."""
    return float(sacrebleu.corpus_bleu(hypotheses, [references]).score)


def validation_bleu(
    model: Seq2Seq, target_tokenizer, source_ids: list[list[int]], references: list[str], batch_size: int
) -> tuple[float, list[str]]:
    decoded = greedy_decode(model, source_ids, batch_size=batch_size)
    hypotheses = target_tokenizer.decode_batch(decoded, skip_special_tokens=True)
    return corpus_bleu(hypotheses, references), hypotheses


def perplexity(loss: float) -> float:
    return math.exp(min(loss, 50.0))
