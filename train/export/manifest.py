"""The bundle manifest (model.json): what the export writes, in the format s2s.runtime reads."""

from __future__ import annotations

import datetime as _dt
import json
import platform
from pathlib import Path
from typing import Any

from s2s.runtime.bundle.contract import ACTIVATIONS_FIXED_OR_PER_ROW, MANIFEST, MODEL_CARD, WEIGHTS
from s2s.runtime.bundle.manifest import serialise
from s2s.runtime.bundle.reader import sha256_file
from s2s.runtime.bundle.model_card import render_model_card
from s2s.runtime.bundle.placeholders import PLACEHOLDERS
from s2s.training.placeholder_training import RULES as PLACEHOLDER_RULES
from s2s.training.checkpoint import Checkpoint
from s2s.training.tokenization import EOS_ID, PAD_ID, SOS_ID, UNK_ID

from .data_card import shown_path

# Attribution the licences of the project's reference corpora ask for, found by path.
KNOWN_CORPORA = {
    "tatoeba": "Sentence pairs from the Tatoeba project (https://tatoeba.org), CC-BY 2.0 FR.",
    "multi30k": 'Multi30k: Elliott et al., "Multi30K: Multilingual English-German Image Descriptions", 2016.',
}


def attribution_for(train_paths: list[str]) -> str | None:
    """The attribution of every known corpus among the training paths, in the order given."""
    found = []
    for path in train_paths:
        lowered = path.lower()
        found += [text for key, text in KNOWN_CORPORA.items() if key in lowered and text not in found]
    return " ".join(found) or None


def machine_description() -> str:
    import os

    return f"{platform.machine()}, {os.cpu_count()} CPU cores, {platform.system()}"


def build_manifest(
    checkpoint: Checkpoint,
    *,
    name: str,
    source_lang: str | None,
    target_lang: str | None,
    opset: int,
    precision: str,
    max_source_length: int,
    verification: dict[str, Any],
    export_command: str,
    attribution: str | None,
    training_data: dict[str, Any] | None = None,
) -> dict[str, Any]:
    config = checkpoint.model_config
    train = checkpoint.train_config
    state = checkpoint.state
    import torch

    return {
        "format_version": 1,  # finalise() raises it to 2 where the bundle has weights.bin
        "name": name,
        "languages": {"source": source_lang, "target": target_lang},
        "architecture": {
            "cell": config.cell,
            "attention": config.attention,
            "layers": config.layers,
            "bidirectional": config.bidirectional,
            "embedding_dim": config.embedding_dim,
            "hidden_dim": config.hidden_dim,
            "memory_dim": config.encoder_state_dim,
            "source_vocab_size": config.source_vocab_size,
            "target_vocab_size": config.target_vocab_size,
            "tie_embeddings": config.tie_embeddings,
            "attentional_dim": config.attentional_dim,
            "bridge": config.bridge,
            "parameters": checkpoint.model.parameter_count(),
        },
        # Corpora, domains and source-length distribution: the runtime warns about inputs longer
        # than anything in it, the model card says what the model is for.
        "training_data": training_data,
        "special_ids": {"pad": PAD_ID, "sos": SOS_ID, "eos": EOS_ID, "unk": UNK_ID},
        "decoding": {
            "length_ratio": config.length_ratio,
            "length_offset": config.length_offset,
            "max_target_length": config.max_target_length,
            "max_source_length": max_source_length,
        },
        "onnx": {
            "opset": opset,
            "precision": precision,
            # int8: every activation is quantised with a fixed scale (proved bounded) or per row,
            # so a sentence's output never depends on its batch (docs/bundle-format.md).
            "activation_quantisation": ACTIVATIONS_FIXED_OR_PER_ROW if precision == "int8" else None,
            "exporter": f"torch.onnx.export (TorchScript-based, dynamo=False), torch {torch.__version__}",
        },
        "verification": verification,
        "provenance": {
            "checkpoint": str(checkpoint.path),
            "training_command": train.extra.get("command"),
            "resume_commands": train.extra.get("resume_commands", []),
            "training": {
                "train": [shown_path(p) for p in train.train],
                "valid": [shown_path(p) for p in train.valid],
                "tokenizer": train.tokenizer,
                "vocab_size": train.vocab_size,
                "epochs_completed": state.epoch,
                "best_epoch": state.best_epoch,
                "best_valid_bleu": state.best_bleu if state.best_bleu >= 0 else None,
                "training_minutes": round(state.elapsed_seconds / 60, 1),
                "stop_reason": state.stop_reason,
                "history": [{**r, "valid_sets": {shown_path(k): v for k, v in r["valid_sets"].items()}}
                            if "valid_sets" in r else r for r in state.history],
                "machine": machine_description(),
            },
            "fine_tuned_from": _parent(train),
            "export_command": export_command,
            "created": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
        },
        # Which placeholders the model learnt to carry, and from what: the runtime protects only
        # with a bundle that has this (docs/bundle-format.md, "protection").
        "protection": {
            "placeholders": list(PLACEHOLDERS),
            "trained_share": train.placeholders,
            "rules": list(PLACEHOLDER_RULES),
        } if train.placeholders > 0 else None,
        "attribution": attribution,
        "files": {},
    }


def _parent(train) -> dict[str, Any] | None:
    """What a fine-tuned model started from and was tuned on: the parent (its manifest's name and
    sha256 where it is a bundle), each translation memory's size and sha256, the replayed share."""
    if not train.init_from:
        return None
    from s2s.training.memories import is_memory, json_pair

    parent = Path(train.init_from)
    record: dict[str, Any] = {"path": shown_path(str(parent)), "name": None, "manifest_sha256": None}
    if (parent / MANIFEST).is_file():
        record["manifest_sha256"] = sha256_file(parent / MANIFEST)
        try:
            record["name"] = json.loads((parent / MANIFEST).read_text(encoding="utf-8")).get("name")
        except (OSError, ValueError):
            pass
    memories = []
    for path in train.train:
        if is_memory(path):
            files = list(json_pair(path) or [Path(path)])
            memories.append({"path": shown_path(path), "bytes": sum(f.stat().st_size for f in files if f.exists()),
                             "sha256": [sha256_file(f) for f in files if f.exists()]})
    record["memories"] = memories
    record["replay"] = {"share": train.replay, "from": [shown_path(p) for p in train.replay_from]} if train.replay else None
    return record


def finalise(directory: Path, manifest: dict[str, Any]) -> dict[str, Any]:
    """Write README.md (from the manifest), then model.json with every other file's sha256."""
    files = {}
    for path in sorted(directory.iterdir()):
        if path.name in (MANIFEST, MODEL_CARD) or not path.is_file():
            continue
        files[path.name] = {"sha256": sha256_file(path), "bytes": path.stat().st_size}
    manifest["files"] = files
    # Each version only where its addition is used: older hosts keep reading the others.
    manifest["format_version"] = 3 if manifest.get("protection") else 2 if WEIGHTS in files else 1
    if manifest.get("protection") is None:
        manifest.pop("protection", None)
    (directory / MODEL_CARD).write_text(render_model_card(manifest), encoding="utf-8")
    card = directory / MODEL_CARD
    manifest["files"][MODEL_CARD] = {"sha256": sha256_file(card), "bytes": card.stat().st_size}
    (directory / MANIFEST).write_text(serialise(manifest), encoding="utf-8")
    return manifest
