"""The training stage's user-facing errors (the CLI prints them as one line, exit code 2)."""

from __future__ import annotations

from s2s.runtime.errors import S2SRuntimeError


class TrainingInputError(S2SRuntimeError):
    """A problem with what the user gave us (files, options, checkpoints), not a bug."""


class ConfigError(TrainingInputError, ValueError):
    """An impossible model or training setting (a ValueError too, for library callers)."""


# What brings training, export and the developer tools, said by every message that needs them.
TRAIN_INSTALL = "pip install ./train (s2s-onnx-train, from the repository root)"


def missing_train_extra() -> str | None:
    """The first package training and export need that is not installed (the s2s-onnx-train
    distribution installed without its dependencies)."""
    import importlib

    for module, package in (("torch", "PyTorch"), ("onnx", "onnx"), ("safetensors", "safetensors"),
                            ("tokenizers", "tokenizers")):
        try:
            importlib.import_module(module)
        except ImportError:
            return package
    return None
