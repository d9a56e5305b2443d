"""Configuration dataclasses: what the model is, and how it is trained."""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field
from typing import Any, Literal

Cell = Literal["rnn", "lstm", "gru"]
AttentionKind = Literal["none", "bahdanau", "luong"]
TokenizerKind = Literal["bpe", "word", "char"]

CELLS: tuple[str, ...] = ("rnn", "lstm", "gru")
ATTENTIONS: tuple[str, ...] = ("none", "bahdanau", "luong")
TOKENIZERS: tuple[str, ...] = ("bpe", "word", "char")


@dataclass
class ModelConfig:
    """Shape of the encoder-decoder. Saved with every checkpoint."""

    source_vocab_size: int
    target_vocab_size: int
    cell: Cell = "gru"
    # luong by default: as good per epoch as bahdanau on Tatoeba (35.35 vs 34.94 valid BLEU) and,
    # its recurrence not reading the context, teacher-forced training runs fused: ~1.6x the tokens/s.
    attention: AttentionKind = "luong"
    layers: int = 1
    bidirectional: bool = True
    embedding_dim: int = 256
    hidden_dim: int = 512
    dropout: float = 0.3
    # The output layer reads a small "attentional vector" (embedding_dim wide) and, when tied,
    # reuses the target embedding matrix: fewer parameters and a cheaper softmax layer.
    tie_embeddings: bool = True
    # Decoding length limit: ceil(ratio * source_tokens) + offset, capped at max_target_length.
    length_ratio: float = 1.5
    length_offset: int = 10
    max_target_length: int = 128

    def __post_init__(self) -> None:
        if self.cell not in CELLS:
            raise ValueError(f"cell must be one of {CELLS}, got {self.cell!r}")
        if self.attention not in ATTENTIONS:
            raise ValueError(f"attention must be one of {ATTENTIONS}, got {self.attention!r}")
        for name in ("layers", "embedding_dim", "hidden_dim", "source_vocab_size", "target_vocab_size"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be positive, got {getattr(self, name)}")
        if self.bidirectional and self.hidden_dim % 2:
            raise ValueError(f"a bidirectional encoder needs an even hidden_dim, got {self.hidden_dim}")
        if not 0.0 <= self.dropout < 1.0:
            raise ValueError(f"dropout must be in [0, 1), got {self.dropout}")

    @property
    def encoder_direction_dim(self) -> int:
        """Hidden size of each encoder direction: a bidirectional encoder splits `hidden_dim`
        between its two directions, so encoder states are always `hidden_dim` wide."""
        return self.hidden_dim // 2 if self.bidirectional else self.hidden_dim

    @property
    def encoder_state_dim(self) -> int:
        """Width of one encoder state (both directions concatenated)."""
        return self.hidden_dim

    def decode_length_limit(self, source_length: int) -> int:
        """Most target tokens (without <eos>) greedy or beam decoding may emit for a source."""
        return min(self.max_target_length, math.ceil(self.length_ratio * source_length) + self.length_offset)

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "ModelConfig":
        known = {f.name for f in dataclasses.fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in known})


@dataclass
class TrainConfig:
    """Everything about a training run except the model shape. Saved with every checkpoint."""

    train: str
    out: str
    valid: str | None = None
    source_lang: str | None = None
    target_lang: str | None = None
    tokenizer: TokenizerKind = "bpe"
    vocab_size: int = 8000
    max_length: int = 64  # tokens per side; longer pairs are skipped (and counted)
    epochs: int = 30
    max_minutes: float | None = None
    max_steps: int | None = None  # stop (resumably) after this many optimizer steps in total
    batch_size: int = 64  # sentence pairs per batch
    lr: float = 1e-3
    lr_decay: float = 0.5  # multiply the learning rate by this when validation BLEU stalls
    lr_patience: int = 1  # epochs without improvement before the learning rate decays
    early_stopping: int = 4  # epochs without improvement before training stops; 0 = never
    grad_clip: float = 1.0
    teacher_forcing: float = 1.0
    label_smoothing: float = 0.1
    weight_decay: float = 0.0
    seed: int = 1234
    threads: int | None = None
    valid_bleu_samples: int | None = None  # None: decode the whole validation set each epoch
    log_every: int = 50
    extra: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not 0.0 <= self.teacher_forcing <= 1.0:
            raise ValueError(f"teacher forcing ratio must be in [0, 1], got {self.teacher_forcing}")
        if not 0.0 <= self.label_smoothing < 1.0:
            raise ValueError(f"label smoothing must be in [0, 1), got {self.label_smoothing}")
        if self.tokenizer not in TOKENIZERS:
            raise ValueError(f"tokenizer must be one of {TOKENIZERS}, got {self.tokenizer!r}")
        for name in ("batch_size", "epochs", "max_length", "vocab_size"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be positive, got {getattr(self, name)}")
        if self.lr <= 0:
            raise ValueError(f"lr must be positive, got {self.lr}")

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "TrainConfig":
        known = {f.name for f in dataclasses.fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in known})
