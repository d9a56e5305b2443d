"""Training stage: the RNN encoder-decoder, its tokenizers, and the teacher-forced training loop.

Names are imported on first use, so that `s2s-train` can tell a runtime-only install (no
PyTorch) with one line instead of failing on import.
"""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS = {
    "Checkpoint": ".checkpoint", "TrainerState": ".checkpoint", "load_checkpoint": ".checkpoint",
    "save_checkpoint": ".checkpoint", "ModelConfig": ".config", "TrainConfig": ".config",
    "greedy_decode": ".decoding", "greedy_decode_batch": ".decoding", "TrainingInputError": ".errors",
    "Decoder": ".model", "DecoderState": ".model", "Encoder": ".model", "EncoderOutput": ".model", "Seq2Seq": ".model",
    "EOS_ID": ".tokenization", "PAD_ID": ".tokenization", "SOS_ID": ".tokenization", "UNK_ID": ".tokenization",
    "train_tokenizer": ".tokenization",
}
__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    if name not in _EXPORTS:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(_EXPORTS[name], __name__), name)
