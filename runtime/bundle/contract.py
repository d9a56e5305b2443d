"""The model bundle: a directory (or a zip of one) holding two ONNX graphs, two tokenizers
and a manifest, `model.json`. This module defines the format and reads it; the export stage
writes it. docs/bundle-format.md documents every field and graph input/output.
"""

from __future__ import annotations

import hashlib
import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import BundleError
from .placeholders import PLACEHOLDERS

# Version 2 adds weights.bin, the graphs' shared weights (bundles without it stay version 1);
# version 3 adds `protection`, the placeholders the model was trained to carry (without it, stay 2).
FORMAT_VERSION = 3
MANIFEST = "model.json"
ENCODER = "encoder.onnx"
DECODER = "decoder.onnx"
SOURCE_TOKENIZER = "source.tokenizer.json"
TARGET_TOKENIZER = "target.tokenizer.json"
MODEL_CARD = "README.md"
REQUIRED_FILES = (ENCODER, DECODER, SOURCE_TOKENIZER, TARGET_TOKENIZER)
# Optional: the whole greedy decode in one graph (docs/bundle-format.md, "greedy.onnx"), and
# the weights the graphs share as external data (format version 2).
GREEDY = "greedy.onnx"
WEIGHTS = "weights.bin"

# Graph input and output names (the contract with any host; see docs/bundle-format.md).
SOURCE_IDS, SOURCE_LENGTHS = "source_ids", "source_lengths"
MEMORY, ATTENTION_KEYS, SOURCE_MASK = "memory", "attention_keys", "source_mask"
INITIAL_HIDDEN, INITIAL_CELL = "initial_hidden", "initial_cell"
PREVIOUS_IDS, HIDDEN, CELL, TOP_K = "previous_ids", "hidden", "cell", "top_k"
TOP_IDS, TOP_LOG_PROBS, NEXT_HIDDEN, NEXT_CELL, ATTENTION = (
    "top_ids", "top_log_probs", "next_hidden", "next_cell", "attention",
)
OUTPUT_IDS, OUTPUT_LENGTHS, SCORES = "output_ids", "output_lengths", "scores"  # greedy.onnx

# onnx.activation_quantisation of an int8 bundle, current form first: a fixed scale for every
# activation proved to lie in [-1, 1] and a scale per row for the others, or per row for all.
# Both make a sentence's translation independent of its batch; per tensor (no value), not.
ACTIVATIONS_FIXED_OR_PER_ROW, ACTIVATIONS_PER_ROW = "fixed-or-per-row", "per-row"
BATCH_INVARIANT_ACTIVATIONS = (ACTIVATIONS_FIXED_OR_PER_ROW, ACTIVATIONS_PER_ROW)


def length_limit(source_length: int, ratio: float, offset: int, maximum: int) -> int:
    """The length rule of every decoder (training's, the runtime's, any host's; the manifest
    records its numbers): at most ceil(ratio * source_length) + offset target tokens, <eos>
    aside, and never more than `maximum`."""
    return int(min(maximum, math.ceil(ratio * source_length) + offset))


def encoder_output_names(cell: str, attention: str) -> list[str]:
    names = [MEMORY, ATTENTION_KEYS, SOURCE_MASK] if attention != "none" else []
    return names + [INITIAL_HIDDEN] + ([INITIAL_CELL] if cell == "lstm" else [])


def decoder_input_names(cell: str, attention: str) -> list[str]:
    names = [PREVIOUS_IDS, HIDDEN] + ([CELL] if cell == "lstm" else [])
    return names + ([MEMORY, ATTENTION_KEYS, SOURCE_MASK] if attention != "none" else []) + [TOP_K]


def decoder_output_names(cell: str, attention: str) -> list[str]:
    names = [TOP_IDS, TOP_LOG_PROBS, NEXT_HIDDEN] + ([NEXT_CELL] if cell == "lstm" else [])
    return names + ([ATTENTION] if attention != "none" else [])


# What each graph's inputs and outputs are: name -> (ONNX type, rank). Checked at load.
GRAPH_SPECS: dict[str, tuple[str, int]] = {
    SOURCE_IDS: ("tensor(int64)", 2), SOURCE_LENGTHS: ("tensor(int64)", 1),
    MEMORY: ("tensor(float)", 3), ATTENTION_KEYS: ("tensor(float)", 3), SOURCE_MASK: ("tensor(bool)", 2),
    INITIAL_HIDDEN: ("tensor(float)", 3), INITIAL_CELL: ("tensor(float)", 3),
    PREVIOUS_IDS: ("tensor(int64)", 1), HIDDEN: ("tensor(float)", 3), CELL: ("tensor(float)", 3),
    TOP_K: ("tensor(int64)", 0), TOP_IDS: ("tensor(int64)", 2), TOP_LOG_PROBS: ("tensor(float)", 2),
    NEXT_HIDDEN: ("tensor(float)", 3), NEXT_CELL: ("tensor(float)", 3), ATTENTION: ("tensor(float)", 2),
    OUTPUT_IDS: ("tensor(int64)", 2), OUTPUT_LENGTHS: ("tensor(int64)", 1), SCORES: ("tensor(double)", 1),
}

CELLS = ("rnn", "gru", "lstm")
# Up to this many sentences a batch, greedy decoding runs the bundle's one-call graph (greedy.onnx)
# when it has one (no Python between steps); above it, the step loop, where finished rows leave
# the batch and cost nothing. Measured (docs/speed-levers.md): the one call is 4-10% faster for
# one sentence; from 4 sentences up the step loop is as fast or faster, with 2 threads. Both
# hosts take it from here.
ONE_CALL_MAX_BATCH = 1
ATTENTIONS = ("none", "bahdanau", "luong")
# Bounds on manifest numbers: far above any real model, low enough that nothing absurd is allocated.
# What a bundle can need, checked on the manifest before any listed file is read: a file, and all
# of them together, at most 1 GiB (a 10-million-word vocabulary's graphs fit; two listed 1.5 GiB
# files of zeros, a 15 MB zip bomb, do not).
MAX_FILE_BYTES = 1 << 30
MAX_BUNDLE_BYTES = 1 << 30
MAX_VOCAB = 10_000_000
MAX_LENGTH = 100_000
MAX_MANIFEST_BYTES = 16 << 20


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


@dataclass
class Bundle:
    """A verified bundle, held in memory: every file the manifest lists was read once, checked
    against its sha256 and byte count, and is served from those bytes (nothing else is read,
    and no file can change between the check and its use)."""

    manifest: dict[str, Any]
    origin: Path  # what the user gave: the directory or the .zip
    files: dict[str, bytes] = field(default_factory=dict, repr=False)

    @property
    def path(self) -> Path | None:
        """The bundle directory (None for a .zip bundle)."""
        return self.origin if self.origin.is_dir() else None

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
    def protects(self) -> bool:
        """Whether the model was trained to carry placeholders (manifest `protection`)."""
        return self.manifest.get("protection") is not None

    @property
    def special_ids(self) -> dict[str, int]:
        return self.manifest["special_ids"]

    @property
    def source_language(self) -> str | None:
        return (self.manifest.get("languages") or {}).get("source")

    @property
    def target_language(self) -> str | None:
        return (self.manifest.get("languages") or {}).get("target")

    @property
    def precision(self) -> str | None:
        """"fp32" or "int8" (None: not recorded)."""
        return (self.manifest.get("onnx") or {}).get("precision")

    @property
    def activation_quantisation(self) -> str | None:
        return (self.manifest.get("onnx") or {}).get("activation_quantisation")

    @property
    def max_source_length(self) -> int:
        """Most source tokens a sentence may have (longer ones are truncated)."""
        return int(self.manifest["decoding"]["max_source_length"])

    @property
    def longest_training_source(self) -> int | None:
        """Source tokens of the longest training sentence (None: not recorded)."""
        data = self.manifest.get("training_data") or {}
        return (data.get("source_tokens") or {}).get("max")

    def lists(self, name: str) -> bool:
        """Whether the manifest lists the file `name` (greedy.onnx and weights.bin are optional)."""
        return name in self.manifest["files"]

    def file_digests(self) -> dict[str, str]:
        """File name -> sha256, of every file the manifest lists."""
        return {name: entry["sha256"] for name, entry in self.manifest["files"].items()}

    def decode_length_limit(self, source_length: int) -> int:
        """Most target tokens decoding may emit for a source of `source_length` tokens."""
        rule = self.manifest["decoding"]
        return length_limit(source_length, rule["length_ratio"], rule["length_offset"], rule["max_target_length"])

    def read(self, name: str) -> bytes:
        """The verified bytes of one of the bundle's files."""
        try:
            return self.files[name]
        except KeyError:
            raise BundleError(f"{self.origin} has no verified file {name}") from None


class _Schema:
    """Checks of the manifest's fields, each failing with one line that names the field."""

    def __init__(self, where: str) -> None:
        self.where = where

    def fail(self, field_name: str, problem: str) -> None:
        raise BundleError(f"{self.where}: {field_name} {problem}")

    def object(self, parent: dict, key: str, name: str | None = None) -> dict:
        value = parent.get(key)
        if not isinstance(value, dict):
            self.fail(name or key, "is missing" if value is None else "must be an object")
        return value

    def integer(self, parent: dict, key: str, name: str, low: int, high: int) -> int:
        value = parent.get(key)
        if value is None:
            self.fail(name, "is missing")
        if isinstance(value, bool) or not isinstance(value, int):
            self.fail(name, f"must be an integer, got {json.dumps(value)[:40]}")
        if not low <= value <= high:
            self.fail(name, f"must be between {low} and {high}, got {value}")
        return value

    def number(self, parent: dict, key: str, name: str, low: float, high: float) -> float:
        value = parent.get(key)
        if value is None:
            self.fail(name, "is missing")
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
            self.fail(name, f"must be a finite number, got {json.dumps(value)[:40]}")
        if not low <= value <= high:
            self.fail(name, f"must be between {low} and {high}, got {value}")
        return float(value)

    def choice(self, parent: dict, key: str, name: str, choices: tuple[str, ...]) -> str:
        value = parent.get(key)
        if value not in choices:
            self.fail(name, f"must be one of {', '.join(choices)}, got {json.dumps(value)[:40]}")
        return value


def check_manifest(manifest: Any, where: str) -> dict[str, Any]:
    """Validate everything the runtime reads from a manifest; raise BundleError naming the field."""
    schema = _Schema(where)
    if not isinstance(manifest, dict):
        raise BundleError(f"{where} is not a manifest (expected a JSON object)")
    version = manifest.get("format_version")
    if isinstance(version, bool) or not isinstance(version, int) or version < 1:
        schema.fail("format_version", "is missing or not a positive integer")
    if version > FORMAT_VERSION:
        raise BundleError(f"bundle format {version} is newer than this runtime supports ({FORMAT_VERSION}); upgrade s2s-onnx")
    arch = schema.object(manifest, "architecture")
    schema.choice(arch, "cell", "architecture.cell", CELLS)
    schema.choice(arch, "attention", "architecture.attention", ATTENTIONS)
    schema.integer(arch, "layers", "architecture.layers", 1, 64)
    source_vocab = schema.integer(arch, "source_vocab_size", "architecture.source_vocab_size", 5, MAX_VOCAB)
    target_vocab = schema.integer(arch, "target_vocab_size", "architecture.target_vocab_size", 5, MAX_VOCAB)
    ids = schema.object(manifest, "special_ids")
    for key in ("pad", "sos", "eos"):
        schema.integer(ids, key, f"special_ids.{key}", 0, min(source_vocab, target_vocab) - 1)
    decoding = schema.object(manifest, "decoding")
    schema.number(decoding, "length_ratio", "decoding.length_ratio", 0.0, 1000.0)
    schema.integer(decoding, "length_offset", "decoding.length_offset", 0, MAX_LENGTH)
    schema.integer(decoding, "max_target_length", "decoding.max_target_length", 1, MAX_LENGTH)
    schema.integer(decoding, "max_source_length", "decoding.max_source_length", 1, MAX_LENGTH)
    onnx_info = manifest.get("onnx", {})
    if not isinstance(onnx_info, dict):
        schema.fail("onnx", "must be an object")
    for key in ("precision", "activation_quantisation"):
        if not isinstance(onnx_info.get(key), (str, type(None))):
            schema.fail(f"onnx.{key}", "must be a string")
    languages = manifest.get("languages", {})
    if not isinstance(languages, dict) or not all(isinstance(languages.get(k), (str, type(None)))
                                                  for k in ("source", "target")):
        schema.fail("languages", "must be an object of language codes")
    files = schema.object(manifest, "files")
    for name in REQUIRED_FILES:
        if name not in files:
            raise BundleError(f"{where} does not list {name}")
    for name, entry in files.items():
        if not isinstance(name, str) or not name or name in (".", "..") or "/" in name or "\\" in name \
                or name == MANIFEST or Path(name).name != name:
            schema.fail("files", f"may hold only plain file names inside the bundle, got {json.dumps(name)[:60]}")
        if not isinstance(entry, dict):
            schema.fail(f"files.{name}", "must be an object")
        digest = entry.get("sha256")
        if not isinstance(digest, str) or len(digest) != 64 or any(c not in "0123456789abcdef" for c in digest):
            schema.fail(f"files.{name}.sha256", "must be 64 lower-case hex digits")
        schema.integer(entry, "bytes", f"files.{name}.bytes", 0, MAX_FILE_BYTES)
    if sum(entry["bytes"] for entry in files.values()) > MAX_BUNDLE_BYTES:
        schema.fail("files", f"list more than {MAX_BUNDLE_BYTES >> 30} GiB in all, more than any bundle needs")
    training_data = manifest.get("training_data")
    if training_data is not None:
        if not isinstance(training_data, dict):
            schema.fail("training_data", "must be an object")
        lengths = schema.object(training_data, "source_tokens", "training_data.source_tokens")
        schema.integer(lengths, "max", "training_data.source_tokens.max", 1, MAX_LENGTH)
    protection = manifest.get("protection")
    if protection is not None:
        if not isinstance(protection, dict):
            schema.fail("protection", "must be an object")
        if protection.get("placeholders") != list(PLACEHOLDERS):
            schema.fail("protection.placeholders", f"must list the {len(PLACEHOLDERS)} placeholders U+E001..U+E010")
        schema.number(protection, "trained_share", "protection.trained_share", 0.0, 1.0)
    return manifest


def parse_json(data: bytes, where: str) -> Any:
    """The JSON value of one of a bundle's files; a BundleError naming `where` if it is not JSON."""
    try:
        return json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise BundleError(f"{where} is not valid JSON ({exc})") from None
    except RecursionError:
        raise BundleError(f"{where} is nested too deeply") from None


def _parse_manifest(data: bytes, where: str) -> dict[str, Any]:
    return check_manifest(parse_json(data, where), where)


def read_manifest(directory: Path) -> dict[str, Any]:
    """The checked manifest of the bundle directory `directory` (bounded read, the one parser and
    validator), without reading or verifying the other files: what listing models, or a tool
    about to rewrite a bundle it verifies afterwards, needs."""
    manifest_path = directory / MANIFEST
    try:
        with open(manifest_path, "rb") as handle:
            data = handle.read(MAX_MANIFEST_BYTES + 1)
    except OSError as exc:
        raise BundleError(f"cannot read {manifest_path}: {exc.strerror}") from None
    if len(data) > MAX_MANIFEST_BYTES:
        raise BundleError(f"{manifest_path} is too large to be a manifest")
    return _parse_manifest(data, str(manifest_path))


def _verified(name: str, data: bytes, entry: dict[str, Any], origin: Path) -> bytes:
    if len(data) != entry["bytes"] or hashlib.sha256(data).hexdigest() != entry["sha256"]:
        if name == MODEL_CARD:
            raise BundleError(f"checksum mismatch: {name} in {origin} was edited; the model card is verified like every "
                              "file of a bundle (it states what the model is): restore it, or re-export the bundle")
        raise BundleError(f"checksum mismatch: {name} in {origin} is corrupt or was modified")
    return data


def _read_directory(directory: Path) -> Bundle:
    manifest_path = directory / MANIFEST
    if manifest_path.is_symlink():
        # Like every listed file: a link could lead anywhere (out of the bundle, a device).
        raise BundleError(f"{manifest_path} is a symbolic link; a bundle's files must be regular files in it")
    if not manifest_path.is_file():
        raise BundleError(f"not a model bundle: {directory} has no {MANIFEST}")
    manifest = read_manifest(directory)
    files = {}
    for name, entry in manifest["files"].items():
        path = directory / name
        if path.is_symlink() or not path.is_file():
            raise BundleError(f"incomplete bundle {directory}: {name} is missing" if not path.exists()
                              else f"{path} is not a plain file of the bundle")
        with open(path, "rb") as handle:
            data = handle.read(entry["bytes"] + 1)  # never more than the manifest announces
        files[name] = _verified(name, data, entry, directory)
    return Bundle(manifest=manifest, origin=directory, files=files)


def _read_zip(origin: Path) -> Bundle:
    """Read the listed members of a .zip bundle into memory, each capped at its announced size
    (nothing is extracted to disk; unlisted members are ignored)."""
    import zipfile

    try:
        archive = zipfile.ZipFile(origin)
    except (zipfile.BadZipFile, OSError) as exc:
        raise BundleError(f"{origin} is not a readable .zip bundle ({exc})") from None
    with archive:
        members = {info.filename: info for info in archive.infolist() if not info.is_dir()}
        # The files sit at the zip's root or inside one folder.
        prefix = ""
        if MANIFEST not in members:
            candidates = [name for name in members if name.count("/") == 1 and name.endswith("/" + MANIFEST)]
            if len(candidates) != 1:
                raise BundleError(f"not a model bundle: {origin} holds no {MANIFEST}")
            prefix = candidates[0][: -len(MANIFEST)]

        def read(name: str, limit: int) -> bytes:
            info = members.get(prefix + name)
            if info is None:
                raise BundleError(f"incomplete bundle {origin}: {name} is missing")
            if info.file_size > limit:
                raise BundleError(f"{origin}: {name} is larger than its manifest entry allows")
            try:
                with archive.open(info) as handle:
                    return handle.read(limit + 1)
            except (zipfile.BadZipFile, OSError, RuntimeError, NotImplementedError) as exc:
                raise BundleError(f"{origin}: cannot read {name} ({exc})") from None

        data = read(MANIFEST, MAX_MANIFEST_BYTES)
        if len(data) > MAX_MANIFEST_BYTES:
            raise BundleError(f"{origin}: {MANIFEST} is too large to be a manifest")
        manifest = _parse_manifest(data, f"{origin}:{MANIFEST}")
        files = {name: _verified(name, read(name, entry["bytes"]), entry, origin)
                 for name, entry in manifest["files"].items()}
    return Bundle(manifest=manifest, origin=origin, files=files)


def load_bundle(path: str | Path) -> Bundle:
    """Open a bundle directory or .zip: check its manifest, and read and verify every file it lists."""
    origin = Path(path)
    if not origin.exists():
        raise BundleError(f"model bundle not found: {origin}")
    if origin.is_dir():
        return _read_directory(origin)
    if not origin.is_file():
        # A device, a FIFO or a socket would be read without end (or block): never opened.
        raise BundleError(f"not a model bundle: {origin} is neither a directory nor a regular file")
    import zipfile  # imported here: directory bundles (the common case) never need it

    if not zipfile.is_zipfile(origin):
        raise BundleError(f"{origin} is neither a bundle directory nor a .zip bundle")
    return _read_zip(origin)
