"""The model bundle: a directory (or a zip of one) holding two ONNX graphs, two tokenizers
and a manifest, `model.json`. This module defines the format and reads it; the export stage
writes it. docs/bundle-format.md documents every field and graph input/output.
"""

from __future__ import annotations

import hashlib
import json
import math
import tempfile
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .errors import BundleError

FORMAT_VERSION = 1
MANIFEST = "model.json"
ENCODER = "encoder.onnx"
DECODER = "decoder.onnx"
SOURCE_TOKENIZER = "source.tokenizer.json"
TARGET_TOKENIZER = "target.tokenizer.json"
MODEL_CARD = "README.md"
REQUIRED_FILES = (ENCODER, DECODER, SOURCE_TOKENIZER, TARGET_TOKENIZER)

# Graph input and output names (the contract with any host; see docs/bundle-format.md).
SOURCE_IDS, SOURCE_LENGTHS = "source_ids", "source_lengths"
MEMORY, ATTENTION_KEYS, SOURCE_MASK = "memory", "attention_keys", "source_mask"
INITIAL_HIDDEN, INITIAL_CELL = "initial_hidden", "initial_cell"
PREVIOUS_IDS, HIDDEN, CELL, TOP_K = "previous_ids", "hidden", "cell", "top_k"
TOP_IDS, TOP_LOG_PROBS, NEXT_HIDDEN, NEXT_CELL, ATTENTION = (
    "top_ids", "top_log_probs", "next_hidden", "next_cell", "attention",
)


def encoder_output_names(cell: str, attention: str) -> list[str]:
    names = [MEMORY, ATTENTION_KEYS, SOURCE_MASK] if attention != "none" else []
    return names + [INITIAL_HIDDEN] + ([INITIAL_CELL] if cell == "lstm" else [])


def decoder_input_names(cell: str, attention: str) -> list[str]:
    names = [PREVIOUS_IDS, HIDDEN] + ([CELL] if cell == "lstm" else [])
    return names + ([MEMORY, ATTENTION_KEYS, SOURCE_MASK] if attention != "none" else []) + [TOP_K]


def decoder_output_names(cell: str, attention: str) -> list[str]:
    names = [TOP_IDS, TOP_LOG_PROBS, NEXT_HIDDEN] + ([NEXT_CELL] if cell == "lstm" else [])
    return names + ([ATTENTION] if attention != "none" else [])


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


@dataclass
class Bundle:
    """A verified bundle on disk (a zip is unpacked to a temporary directory first)."""

    path: Path
    manifest: dict[str, Any]
    origin: Path  # what the user gave: the directory or the .zip
    _temporary: Any = field(default=None, repr=False)

    @property
    def architecture(self) -> dict[str, Any]:
        return self.manifest["architecture"]

    @property
    def cell(self) -> str:
        return self.architecture["cell"]

    @property
    def attention(self) -> str:
        return self.architecture["attention"]

    @property
    def special_ids(self) -> dict[str, int]:
        return self.manifest["special_ids"]

    def decode_length_limit(self, source_length: int) -> int:
        """Most target tokens decoding may emit: ceil(ratio * source_length) + offset, capped."""
        rule = self.manifest["decoding"]
        limit = math.ceil(rule["length_ratio"] * source_length) + rule["length_offset"]
        return int(min(rule["max_target_length"], limit))

    def file(self, name: str) -> Path:
        return self.path / name


def _read_manifest(directory: Path) -> dict[str, Any]:
    manifest_path = directory / MANIFEST
    if not manifest_path.is_file():
        raise BundleError(f"not a model bundle: {directory} has no {MANIFEST}")
    try:
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise BundleError(f"{manifest_path} is not valid JSON ({exc})") from None
    if not isinstance(manifest, dict):
        raise BundleError(f"{manifest_path} is not a manifest (expected a JSON object)")
    version = manifest.get("format_version")
    if not isinstance(version, int):
        raise BundleError(f"{manifest_path} has no format_version")
    if version > FORMAT_VERSION:
        raise BundleError(
            f"bundle format {version} is newer than this runtime supports ({FORMAT_VERSION}); upgrade s2s-onnx"
        )
    for key in ("architecture", "special_ids", "decoding", "files"):
        if key not in manifest:
            raise BundleError(f"{manifest_path} is missing {key!r}")
    return manifest


def verify_files(directory: Path, manifest: dict[str, Any]) -> None:
    """Every required file is present and every listed file matches its sha256."""
    files = manifest["files"]
    for name in REQUIRED_FILES:
        if name not in files:
            raise BundleError(f"{directory / MANIFEST} does not list {name}")
    for name, entry in files.items():
        path = directory / name
        if not path.is_file():
            raise BundleError(f"incomplete bundle {directory}: {name} is missing")
        if sha256_file(path) != entry["sha256"]:
            raise BundleError(f"checksum mismatch: {path} is corrupt or was modified")


def load_bundle(path: str | Path, verify: bool = True) -> Bundle:
    """Open a bundle directory or .zip and check its manifest (and, by default, every checksum)."""
    origin = Path(path)
    if not origin.exists():
        raise BundleError(f"model bundle not found: {origin}")
    temporary = None
    directory = origin
    if origin.is_file():
        if not zipfile.is_zipfile(origin):
            raise BundleError(f"{origin} is neither a bundle directory nor a .zip bundle")
        temporary = tempfile.TemporaryDirectory(prefix="s2s-bundle-")
        with zipfile.ZipFile(origin) as archive:
            names = archive.namelist()
            for name in names:
                member = Path(name)
                if member.is_absolute() or ".." in member.parts:
                    raise BundleError(f"{origin}: unsafe path in archive: {name}")
            archive.extractall(temporary.name)
        directory = Path(temporary.name)
        # A zip may hold the files at its root or inside one folder.
        if not (directory / MANIFEST).exists():
            children = [child for child in directory.iterdir() if child.is_dir()]
            if len(children) == 1:
                directory = children[0]
    manifest = _read_manifest(directory)
    if verify:
        verify_files(directory, manifest)
    return Bundle(path=directory, manifest=manifest, origin=origin, _temporary=temporary)
