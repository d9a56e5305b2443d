"""Configuration dataclasses: what the model is, and how it is trained."""

from __future__ import annotations

import dataclasses
import math
import re
from dataclasses import dataclass, field
from typing import Any, Literal

from s2s.runtime.bundle.contract import ATTENTIONS, CELLS, length_limit

from .errors import ConfigError

Cell = Literal["rnn", "gru", "lstm"]
AttentionKind = Literal["none", "bahdanau", "luong"]
TokenizerKind = Literal["bpe", "word", "char"]
LrSchedule = Literal["plateau", "step"]
Selection = Literal["loss", "bleu"]
Bridge = Literal["tanh", "relu", "copy"]
Precision = Literal["fp32", "bf16"]

# CELLS and ATTENTIONS: the bundle contract's lists (s2s.runtime.bundle.contract), imported above.
TOKENIZERS: tuple[str, ...] = ("bpe", "word", "char")
LR_SCHEDULES: tuple[str, ...] = ("plateau", "step")
SELECTIONS: tuple[str, ...] = ("loss", "bleu")
BRIDGES: tuple[str, ...] = ("tanh", "relu", "copy")
PRECISIONS: tuple[str, ...] = ("fp32", "bf16")


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
    # How the encoder's final states become the decoder's first: a linear layer then tanh (the
    # range of a GRU state), a linear layer then a rectifier (OpenNMT-py's bridge), or copied as
    # they are (the classic encoder-decoder; the widths match, both being hidden_dim).
    bridge: Bridge = "tanh"
    # The output layer reads an "attentional vector" tanh(W [h; context]). Untied and hidden_dim
    # wide by default: on Tatoeba the tied 256-wide bottleneck (embedding_dim, sharing the target
    # embedding matrix) cost BLEU for a smaller, faster softmax layer (docs/quality.md).
    tie_embeddings: bool = False
    attentional_dim: int | None = None  # None: embedding_dim when tied (required), else hidden_dim
    # Decoding length limit: ceil(ratio * source_tokens) + offset, capped at max_target_length.
    length_ratio: float = 1.5
    length_offset: int = 10
    max_target_length: int = 128

    def __post_init__(self) -> None:
        if not isinstance(self.tie_embeddings, bool) or not isinstance(self.bidirectional, bool):
            raise ConfigError("tie_embeddings and bidirectional must be true or false")
        if self.attentional_dim is None:
            self.attentional_dim = self.embedding_dim if self.tie_embeddings else self.hidden_dim
        if self.tie_embeddings and self.attentional_dim != self.embedding_dim:
            raise ConfigError(
                f"tied embeddings need attentional_dim == embedding_dim ({self.embedding_dim}), got {self.attentional_dim}"
            )
        if self.cell not in CELLS:
            raise ConfigError(f"cell must be one of {CELLS}, got {self.cell!r}")
        if self.bridge not in BRIDGES:
            raise ConfigError(f"bridge must be one of {BRIDGES}, got {self.bridge!r}")
        if self.attention not in ATTENTIONS:
            raise ConfigError(f"attention must be one of {ATTENTIONS}, got {self.attention!r}")
        # Upper bounds far above any RNN translator: a checkpoint asking for more is damaged or
        # hostile, and would allocate without bound before any other check.
        for name, high in (("layers", 64), ("embedding_dim", 1 << 16), ("hidden_dim", 1 << 16),
                           ("source_vocab_size", 10_000_000), ("target_vocab_size", 10_000_000),
                           ("attentional_dim", 1 << 16), ("max_target_length", 100_000)):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= high:
                raise ConfigError(f"{name} must be an integer between 1 and {high}, got {value!r}")
        if self.bidirectional and self.hidden_dim % 2:
            raise ConfigError(f"a bidirectional encoder needs an even hidden_dim, got {self.hidden_dim}")
        if isinstance(self.dropout, bool) or not isinstance(self.dropout, (int, float)) or not 0.0 <= self.dropout < 1.0:
            raise ConfigError(f"dropout must be in [0, 1), got {self.dropout}")

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
        return length_limit(source_length, self.length_ratio, self.length_offset, self.max_target_length)

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "ModelConfig":
        known = {f.name for f in dataclasses.fields(cls)}
        values = {k: v for k, v in data.items() if k in known}
        # Checkpoints from before these fields existed: tied, embedding-wide attentional vector.
        values.setdefault("tie_embeddings", True)
        values.setdefault("attentional_dim", values.get("embedding_dim", 256))
        return cls(**values)


@dataclass
class TrainConfig:
    """Everything about a training run except the model shape. Saved with every checkpoint."""

    # Each corpus: a TSV file (source<TAB>target), or a prefix read as PREFIX.<source_lang> and
    # PREFIX.<target_lang>. Several corpora are concatenated; validation sets are scored each and
    # together (selection uses the combination).
    train: list[str]
    out: str
    valid: list[str] = field(default_factory=list)
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
    # step: multiply the rate by lr_decay every lr_decay_every steps from step lr_decay_start on
    # (deterministic, as OpenNMT-py does); plateau: multiply it when the selection metric stalls
    # for lr_patience epochs.
    lr_schedule: LrSchedule = "step"
    lr_decay: float = 0.5
    lr_decay_start: int = 8000
    lr_decay_every: int = 2000
    lr_patience: int = 1
    select_by: Selection = "loss"  # validation metric that picks checkpoint-best/ (loss: lower is better)
    early_stopping: int = 4  # epochs without improvement before training stops; 0 = never
    param_init: float = 0.1  # uniform(-x, x) initialisation of every parameter; 0: PyTorch's defaults
    grad_clip: float = 1.0
    teacher_forcing: float = 1.0
    label_smoothing: float = 0.1
    weight_decay: float = 0.0
    # bf16: the training forward pass under bfloat16 autocast (weights, gradients, optimizer state
    # and the loss stay float32; validation runs in float32). Worth it where the CPU multiplies
    # bfloat16 natively (AMX), where the output layer's product, most of a step, runs faster
    # (~1.5x the steps a second measured, docs/quality.md).
    precision: Precision = "fp32"
    # Share of training pairs whose protectable spans (names, numbers, codes) become placeholders
    # on both sides, so the model learns to carry them (placeholder_training.py); 0: none.
    placeholders: float = 0.0
    seed: int = 1234
    # Where training runs: "cpu", "cuda" (a torch build with CUDA and a GPU), or "cuda:N". Not part
    # of what is trained: a resumed run may move. Resume is bit-exact on the CPU only (the GPU's
    # random state and kernels are not saved or deterministic).
    device: str = "cpu"
    threads: int | None = None
    valid_bleu_samples: int | None = None  # None: decode the whole validation set each epoch
    # Also validate (and keep checkpoint-best/) every this many optimizer steps, for corpora whose
    # epoch outlasts a run; early stopping and the plateau schedule then count validations.
    valid_every: int | None = None
    # A bundle or checkpoint to continue from (fine-tuning): its model, weights and tokenizers; the
    # optimizer, schedule and data are this run's.
    init_from: str | None = None
    # Share of the training pairs drawn from the corpora the parent (init_from) was trained on, so
    # that fine-tuning keeps what it knew; `replay_from` holds those corpora, found when the run starts.
    replay: float = 0.0
    replay_from: list[str] = field(default_factory=list)
    log_every: int = 50
    # checkpoint-last/ is also saved mid-epoch at this interval (0: at epoch ends only), so a kill
    # or a power cut loses at most this much work; resuming from it gives the uninterrupted result.
    save_every_minutes: float = 10.0
    extra: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for name, kinds in (("epochs", int), ("batch_size", int), ("max_length", int), ("vocab_size", int),
                            ("seed", int), ("lr_decay_start", int), ("lr_decay_every", int), ("lr_patience", int),
                            ("early_stopping", int), ("log_every", int), ("lr", (int, float)),
                            ("lr_decay", (int, float)), ("grad_clip", (int, float)), ("teacher_forcing", (int, float)),
                            ("label_smoothing", (int, float)), ("weight_decay", (int, float)),
                            ("param_init", (int, float)), ("save_every_minutes", (int, float)),
                            ("placeholders", (int, float))):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, kinds) or not math.isfinite(value):
                raise ConfigError(f"{name} must be a finite number, got {value!r}")
        # Runs saved before several corpora were allowed hold a single path.
        if isinstance(self.train, str):
            self.train = [self.train]
        if self.valid is None:
            self.valid = []
        elif isinstance(self.valid, str):
            self.valid = [self.valid]
        if self.lr_schedule not in LR_SCHEDULES:
            raise ConfigError(f"lr_schedule must be one of {LR_SCHEDULES}, got {self.lr_schedule!r}")
        if self.precision not in PRECISIONS:
            raise ConfigError(f"precision must be one of {PRECISIONS}, got {self.precision!r}")
        if self.select_by not in SELECTIONS:
            raise ConfigError(f"select_by must be one of {SELECTIONS}, got {self.select_by!r}")
        if self.lr_decay_every < 1:
            raise ConfigError(f"lr_decay_every must be positive, got {self.lr_decay_every}")
        if not 0.0 <= self.teacher_forcing <= 1.0:
            raise ConfigError(f"teacher forcing ratio must be in [0, 1], got {self.teacher_forcing}")
        if not 0.0 <= self.replay < 1.0:
            raise ConfigError(f"replay (a share of the pairs) must be in [0, 1), got {self.replay}")
        if not 0.0 <= self.placeholders <= 1.0:
            raise ConfigError(f"placeholders (a share of the pairs) must be in [0, 1], got {self.placeholders}")
        if not 0.0 <= self.label_smoothing < 1.0:
            raise ConfigError(f"label smoothing must be in [0, 1), got {self.label_smoothing}")
        if self.tokenizer not in TOKENIZERS:
            raise ConfigError(f"tokenizer must be one of {TOKENIZERS}, got {self.tokenizer!r}")
        for name in ("batch_size", "epochs", "max_length", "vocab_size"):
            if getattr(self, name) < 1:
                raise ConfigError(f"{name} must be positive, got {getattr(self, name)}")
        if not isinstance(self.device, str) or not re.fullmatch(r"cpu|cuda(:\d+)?", self.device):
            raise ConfigError(f"device must be cpu, cuda or cuda:N, got {self.device!r}")
        if self.lr <= 0:
            raise ConfigError(f"lr must be positive, got {self.lr}")

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "TrainConfig":
        known = {f.name for f in dataclasses.fields(cls)}
        values = {k: v for k, v in data.items() if k in known}
        # Runs saved before these fields existed trained with BLEU plateaus and PyTorch's init.
        values.setdefault("lr_schedule", "plateau")
        values.setdefault("select_by", "bleu")
        values.setdefault("param_init", 0.0)
        return cls(**values)

    def learning_rate(self, step: int) -> float | None:
        """The step schedule's rate before optimizer step `step` (0-based); None for plateau."""
        if self.lr_schedule != "step" or step < self.lr_decay_start:
            return None if self.lr_schedule != "step" else self.lr
        return self.lr * self.lr_decay ** ((step - self.lr_decay_start) // self.lr_decay_every + 1)
