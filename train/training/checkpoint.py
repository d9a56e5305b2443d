"""Checkpoints without pickles: safetensors for tensors, JSON for everything else.

A checkpoint is a directory:
    checkpoint.json            format version, model and training configs, trainer state
    model.safetensors          weights
    optimizer.safetensors      Adam moments, and the torch RNG state (for exact resumption)
    source.tokenizer.json, target.tokenizer.json
It is written to a temporary directory and renamed into place, so a crash or kill at any
moment leaves either the old checkpoint or the new one, never a mix.
"""

from __future__ import annotations

import json
import os
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch
from s2s.runtime.atomic import replace_directory
from safetensors import SafetensorError
from safetensors.torch import load_file, load_model, save_file, save_model
from tokenizers import Tokenizer

from .config import ModelConfig, TrainConfig
from .errors import TrainingInputError
from .model import Seq2Seq
from .tokenization import load_tokenizer

CHECKPOINT_FORMAT = 1
CHECKPOINT_FILES = (
    "checkpoint.json",
    "model.safetensors",
    "optimizer.safetensors",
    "source.tokenizer.json",
    "target.tokenizer.json",
)


@dataclass
class TrainerState:
    epoch: int = 0  # epochs completed
    batch_in_epoch: int = 0  # batches of the current epoch already trained (resume point)
    step: int = 0
    epoch_loss_sum: float = 0.0  # running sums of the current epoch (so a resumed epoch reports the same loss)
    epoch_tokens: float = 0.0
    best_bleu: float = -1.0  # validation BLEU of the best epoch (whatever the selection metric)
    best_loss: float | None = None  # validation loss of the best epoch
    best_epoch: int = 0
    epochs_without_improvement: int = 0
    elapsed_seconds: float = 0.0
    world_size: int = 1  # processes of a data-parallel run; a resume must use as many
    finished: bool = False
    stop_reason: str = ""
    history: list[dict[str, Any]] = field(default_factory=list)


def _check_state(state: TrainerState, where: str) -> None:
    """A hand-edited or damaged checkpoint.json is one line, not a traceback mid-training."""
    import math

    for name in ("epoch", "batch_in_epoch", "step", "best_epoch", "epochs_without_improvement", "world_size"):
        value = getattr(state, name)
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise TrainingInputError(f"{where}: trainer_state.{name} must be a non-negative integer, got {value!r}")
    for name in ("epoch_loss_sum", "epoch_tokens", "best_bleu", "elapsed_seconds", "best_loss"):
        value = getattr(state, name)
        if value is None and name == "best_loss":
            continue
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
            raise TrainingInputError(f"{where}: trainer_state.{name} must be a finite number, got {value!r}")
    if not isinstance(state.finished, bool) or not isinstance(state.stop_reason, str) \
            or not isinstance(state.history, list):
        raise TrainingInputError(f"{where}: trainer_state is damaged (finished, stop_reason or history)")


@dataclass
class Checkpoint:
    model: Seq2Seq
    model_config: ModelConfig
    train_config: TrainConfig
    state: TrainerState
    source_tokenizer: Tokenizer
    target_tokenizer: Tokenizer
    optimizer_state: dict[str, Any] | None = None
    rng_state: torch.Tensor | None = None
    rank_rng_states: list[torch.Tensor] = field(default_factory=list)  # each rank's, for data-parallel runs
    path: Path | None = None


def _flatten_optimizer(optimizer_state: dict[str, Any]) -> tuple[dict[str, torch.Tensor], list[dict[str, Any]]]:
    tensors = {}
    for index, values in optimizer_state["state"].items():
        for name, value in values.items():
            tensors[f"state.{index}.{name}"] = torch.as_tensor(value).contiguous()
    groups = [{k: v for k, v in group.items()} for group in optimizer_state["param_groups"]]
    return tensors, groups


def _unflatten_optimizer(tensors: dict[str, torch.Tensor], groups: list[dict[str, Any]]) -> dict[str, Any]:
    state: dict[int, dict[str, torch.Tensor]] = {}
    for key, value in tensors.items():
        if not key.startswith("state."):
            continue
        _, index, name = key.split(".", 2)
        state.setdefault(int(index), {})[name] = value
    return {"state": state, "param_groups": groups}


def _save_weights(model: torch.nn.Module, path: Path) -> None:
    device = next(model.parameters()).device
    if device.type == "cpu":
        save_model(model, str(path))
        return
    # On a GPU, cuDNN keeps an RNN's weights as views into one flat buffer, which safetensors
    # refuses to save: the weights are saved from the CPU, then moved back (the optimizer keeps
    # its references: `Module.to` moves parameters in place).
    model.to("cpu")
    try:
        save_model(model, str(path))
    finally:
        model.to(device)
        for module in model.modules():  # back into cuDNN's one flat buffer, or every step re-packs it
            if isinstance(module, torch.nn.RNNBase):
                module.flatten_parameters()


def save_checkpoint(
    directory: Path,
    model: Seq2Seq,
    train_config: TrainConfig,
    state: TrainerState,
    source_tokenizer: Tokenizer,
    target_tokenizer: Tokenizer,
    optimizer: torch.optim.Optimizer | None = None,
    rank_rng_states: list[torch.Tensor] | None = None,
) -> None:
    directory = Path(directory)
    temporary = directory.with_name(directory.name + f".tmp-{os.getpid()}")
    # Saves a kill interrupted (this process's or an earlier one's) leave their temporary folders.
    for debris in directory.parent.glob(directory.name + ".tmp-*"):
        if debris.is_dir():
            shutil.rmtree(debris, ignore_errors=True)
    temporary.mkdir(parents=True)
    _save_weights(model, temporary / "model.safetensors")
    optimizer_tensors: dict[str, torch.Tensor] = {"rng.torch": torch.get_rng_state()}
    for rank, rng in enumerate(rank_rng_states or []):
        optimizer_tensors[f"rng.torch.rank{rank}"] = rng
    groups: list[dict[str, Any]] = []
    if optimizer is not None:
        tensors, groups = _flatten_optimizer(optimizer.state_dict())
        optimizer_tensors.update(tensors)
    save_file(optimizer_tensors, str(temporary / "optimizer.safetensors"))
    source_tokenizer.save(str(temporary / "source.tokenizer.json"))
    target_tokenizer.save(str(temporary / "target.tokenizer.json"))
    meta = {
        "format_version": CHECKPOINT_FORMAT,
        "model": model.config.to_dict(),
        "training": train_config.to_dict(),
        "optimizer_param_groups": groups,
        "trainer_state": state.__dict__,
    }
    (temporary / "checkpoint.json").write_text(json.dumps(meta, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    # A kill between the two renames leaves only the ".old" copy, where load_checkpoint looks.
    replace_directory(temporary, directory, aside=directory.with_name(directory.name + ".old"))


def load_checkpoint(directory: str | Path, with_optimizer: bool = False) -> Checkpoint:
    """Load a checkpoint directory (as written by `save_checkpoint`)."""
    directory = Path(directory)
    if not directory.exists():
        # A kill between the two renames of save_checkpoint leaves only the ".old" copy.
        fallback = directory.with_name(directory.name + ".old")
        if fallback.exists():
            directory = fallback
        else:
            raise TrainingInputError(f"checkpoint not found: {directory}")
    if not directory.is_dir():
        raise TrainingInputError(f"a checkpoint is a directory: {directory}")
    missing = [name for name in CHECKPOINT_FILES if not (directory / name).is_file()]
    if missing:
        raise TrainingInputError(f"incomplete checkpoint {directory}: missing {', '.join(missing)}")
    try:
        meta = json.loads((directory / "checkpoint.json").read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise TrainingInputError(f"{directory / 'checkpoint.json'} is not valid JSON: {exc}") from None
    except RecursionError:
        raise TrainingInputError(f"{directory / 'checkpoint.json'} is nested too deeply") from None
    if not isinstance(meta, dict):
        raise TrainingInputError(f"{directory / 'checkpoint.json'} is not a checkpoint description (expected a JSON object)")
    version = meta.get("format_version")
    if isinstance(version, bool) or not isinstance(version, int) or version < 1:
        raise TrainingInputError(f"{directory / 'checkpoint.json'}: format_version is missing or not a positive integer")
    if version > CHECKPOINT_FORMAT:
        raise TrainingInputError(
            f"checkpoint format {version} is newer than this version of s2s-onnx supports ({CHECKPOINT_FORMAT}); upgrade s2s-onnx"
        )
    where = directory / "checkpoint.json"
    if not isinstance(meta, dict):
        raise TrainingInputError(f"{where} is not a checkpoint description (expected a JSON object)")
    for key in ("model", "training", "trainer_state"):
        if not isinstance(meta.get(key), dict):
            raise TrainingInputError(f"{where}: {key!r} is missing or not an object")
    for key in ("source_vocab_size", "target_vocab_size"):
        if key not in meta["model"]:
            raise TrainingInputError(f"{where}: model.{key} is missing")
    for key in ("train", "out"):
        if key not in meta["training"]:
            raise TrainingInputError(f"{where}: training.{key} is missing")
    known_state = set(TrainerState.__dataclass_fields__)
    if not set(meta["trainer_state"]) <= known_state:
        raise TrainingInputError(f"{where}: unknown trainer_state fields {sorted(set(meta['trainer_state']) - known_state)}")
    model_config = ModelConfig.from_dict(meta["model"])  # ConfigError (one line) on bad or absurd values
    train_config = TrainConfig.from_dict(meta["training"])
    model = Seq2Seq(model_config)
    try:
        load_model(model, str(directory / "model.safetensors"))
    except (SafetensorError, RuntimeError, OSError) as exc:
        raise TrainingInputError(f"{directory / 'model.safetensors'} is damaged or does not fit the model "
                                 f"({str(exc).splitlines()[0][:120]})") from None
    model.eval()
    state = TrainerState(**meta["trainer_state"])
    _check_state(state, where)
    optimizer_state = rng_state = None
    rank_rng_states: list[torch.Tensor] = []
    if with_optimizer:
        try:
            tensors = load_file(str(directory / "optimizer.safetensors"))
        except (SafetensorError, RuntimeError, OSError) as exc:
            raise TrainingInputError(f"{directory / 'optimizer.safetensors'} is damaged "
                                     f"({str(exc).splitlines()[0][:120]})") from None
        rng_state = tensors.pop("rng.torch", None)
        rank_keys = sorted((k for k in tensors if k.startswith("rng.torch.rank")), key=lambda k: int(k[len("rng.torch.rank"):]))
        rank_rng_states = [tensors.pop(k) for k in rank_keys]
        if meta.get("optimizer_param_groups"):
            optimizer_state = _unflatten_optimizer(tensors, meta["optimizer_param_groups"])
    return Checkpoint(
        model=model,
        model_config=model_config,
        train_config=train_config,
        state=state,
        source_tokenizer=load_tokenizer(directory / "source.tokenizer.json"),
        target_tokenizer=load_tokenizer(directory / "target.tokenizer.json"),
        optimizer_state=optimizer_state,
        rng_state=rng_state,
        rank_rng_states=rank_rng_states,
        path=directory,
    )
