"""Attention over the encoder states: additive (Bahdanau) and multiplicative (Luong, general).

Each module splits its work in two: `keys` is computed once per sentence from the encoder
states (the export puts it in the encoder graph); `forward` runs at every decoder step.
Padding positions get a large negative score, so they receive zero weight.
"""

from __future__ import annotations

import torch
from torch import nn

# Finite rather than -inf: a row with no valid position (never produced by the runtime, which
# skips empty inputs) then gets uniform weights instead of NaN.
MASK_SCORE = -1e9


def _attend(scores: torch.Tensor, mask: torch.Tensor, memory: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    weights = torch.softmax(scores.masked_fill(~mask, MASK_SCORE), dim=-1)  # [batch, src_len]
    context = torch.bmm(weights.unsqueeze(1), memory).squeeze(1)  # [batch, memory_dim]
    return context, weights


class BahdanauAttention(nn.Module):
    """score(q, m) = v · tanh(W_k m + W_q q)."""

    def __init__(self, memory_dim: int, query_dim: int, attention_dim: int) -> None:
        super().__init__()
        self.key_proj = nn.Linear(memory_dim, attention_dim, bias=False)
        self.query_proj = nn.Linear(query_dim, attention_dim)
        self.score = nn.Linear(attention_dim, 1, bias=False)

    def keys(self, memory: torch.Tensor) -> torch.Tensor:
        return self.key_proj(memory)

    def forward(
        self, query: torch.Tensor, keys: torch.Tensor, memory: torch.Tensor, mask: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor]:
        scores = self.score(torch.tanh(keys + self.query_proj(query).unsqueeze(1))).squeeze(-1)
        return _attend(scores, mask, memory)


class LuongAttention(nn.Module):
    """score(q, m) = q · W m  (Luong's "general" score)."""

    def __init__(self, memory_dim: int, query_dim: int) -> None:
        super().__init__()
        self.key_proj = nn.Linear(memory_dim, query_dim, bias=False)

    def keys(self, memory: torch.Tensor) -> torch.Tensor:
        return self.key_proj(memory)

    def forward(
        self, query: torch.Tensor, keys: torch.Tensor, memory: torch.Tensor, mask: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor]:
        scores = torch.bmm(keys, query.unsqueeze(-1)).squeeze(-1)
        return _attend(scores, mask, memory)

    def attend_all(
        self, queries: torch.Tensor, keys: torch.Tensor, memory: torch.Tensor, mask: torch.Tensor
    ) -> torch.Tensor:
        """`forward` for every step at once: queries [batch, time, query_dim] -> contexts
        [batch, time, memory_dim]. Possible because Luong's query is the step's own output."""
        scores = torch.bmm(queries, keys.transpose(1, 2)).masked_fill(~mask.unsqueeze(1), MASK_SCORE)
        return torch.bmm(torch.softmax(scores, dim=-1), memory)
