"""The manifest of a bundle (`model.json`) as a typed value: `Manifest.parse` is its one parser
and validator, used by the runtime, the model store, the exporter and the evaluation tools alike.

The fields every reader needs (architecture, special ids, the length rule, languages, precision,
files, protection, the longest training source) are typed attributes, checked as they are read; a
bad field is one BundleError that names it. The records a bundle carries for people (provenance,
verification reports, evaluations, attribution, training data) stay in `document`, the JSON object
as written, which is also what a writer edits (`editable`) and writes (`serialise`): the exporter
and the tools that rewrite a bundle add records the runtime never reads.
"""

from __future__ import annotations

import copy
import json
import math
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Any, Mapping

from ..errors import BundleError
from .contract import (
    ATTENTIONS,
    CELLS,
    FORMAT_VERSION,
    MANIFEST,
    MAX_BUNDLE_BYTES,
    MAX_FILE_BYTES,
    MAX_LENGTH,
    MAX_MANIFEST_BYTES,
    MAX_VOCAB,
    REQUIRED_FILES,
    length_limit,
)
from .placeholders import PLACEHOLDERS

@dataclass(frozen=True)
class Architecture:
    cell: str
    attention: str
    layers: int
    source_vocab_size: int
    target_vocab_size: int


@dataclass(frozen=True)
class SpecialIds:
    pad: int
    sos: int
    eos: int


@dataclass(frozen=True)
class LengthRule:
    """How long a translation may grow, and how long a source may be (longer ones are cut)."""

    length_ratio: float
    length_offset: int
    max_target_length: int
    max_source_length: int

    def limit(self, source_length: int) -> int:
        """Most target tokens decoding may emit for a source of `source_length` tokens."""
        return length_limit(source_length, self.length_ratio, self.length_offset, self.max_target_length)


@dataclass(frozen=True)
class FileEntry:
    sha256: str
    bytes: int


@dataclass(frozen=True)
class Manifest:
    format_version: int
    name: str | None
    source_language: str | None
    target_language: str | None
    architecture: Architecture
    special_ids: SpecialIds
    decoding: LengthRule
    precision: str | None  # "fp32" or "int8" (None: not recorded)
    activation_quantisation: str | None
    files: Mapping[str, FileEntry]  # every file of the bundle but the manifest, by name
    longest_training_source: int | None  # source tokens of the longest training sentence
    protection_share: float | None  # share of training pairs given placeholders (None: no protection)
    document: Mapping[str, Any]  # the JSON object as written, records included (read it; edit `editable()`)

    @property
    def protects(self) -> bool:
        """Whether the model was trained to carry placeholders."""
        return self.protection_share is not None

    def lists(self, name: str) -> bool:
        """Whether the bundle holds the file `name` (greedy.onnx and weights.bin are optional)."""
        return name in self.files

    def editable(self) -> dict[str, Any]:
        """A deep copy of the document, for a writer to change and finalise."""
        return copy.deepcopy(dict(self.document))

    @classmethod
    def parse(cls, value: Any, where: str) -> Manifest:
        """Check a manifest's JSON value and type it; a BundleError naming `where` and the field."""
        return _Parser(where).manifest(value)

    @classmethod
    def from_bytes(cls, data: bytes, where: str) -> Manifest:
        return cls.parse(parse_json(data, where), where)

    @classmethod
    def read(cls, directory: Path) -> Manifest:
        """The manifest of the bundle directory `directory` (a bounded read), without reading or
        verifying the other files: what listing models, or a tool about to rewrite a bundle it
        verifies afterwards, needs."""
        path = directory / MANIFEST
        try:
            with open(path, "rb") as handle:
                data = handle.read(MAX_MANIFEST_BYTES + 1)
        except OSError as exc:
            raise BundleError(f"cannot read {path}: {exc.strerror}") from None
        if len(data) > MAX_MANIFEST_BYTES:
            raise BundleError(f"{path} is too large to be a manifest")
        return cls.from_bytes(data, str(path))


def serialise(document: Mapping[str, Any]) -> str:
    """A manifest document as its file holds it (the one serialisation every writer uses)."""
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


def parse_json(data: bytes, where: str) -> Any:
    """The JSON value of one of a bundle's files; a BundleError naming `where` if it is not JSON."""
    try:
        return json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise BundleError(f"{where} is not valid JSON ({exc})") from None
    except ValueError as exc:  # an integer of thousands of digits, past Python's conversion limit
        raise BundleError(f"{where} is not a bundle's JSON ({str(exc)[:120]})") from None
    except RecursionError:
        raise BundleError(f"{where} is nested too deeply") from None


class _Parser:
    """Reads the manifest's fields, each failing with one line that names the field."""

    def __init__(self, where: str) -> None:
        self.where = where

    def fail(self, field_name: str, problem: str) -> None:
        raise BundleError(f"{self.where}: {field_name} {problem}")

    def object(self, parent: Mapping, key: str, name: str | None = None) -> dict:
        value = parent.get(key)
        if not isinstance(value, dict):
            self.fail(name or key, "is missing" if value is None else "must be an object")
        return value

    def optional_object(self, parent: Mapping, key: str) -> dict:
        value = parent.get(key, {})
        if not isinstance(value, dict):
            self.fail(key, "must be an object")
        return value

    def integer(self, parent: Mapping, key: str, name: str, low: int, high: int) -> int:
        value = parent.get(key)
        if value is None:
            self.fail(name, "is missing")
        if isinstance(value, bool) or not isinstance(value, int):
            self.fail(name, f"must be an integer, got {json.dumps(value)[:40]}")
        if not low <= value <= high:
            self.fail(name, f"must be between {low} and {high}, got {value}")
        return value

    def number(self, parent: Mapping, key: str, name: str, low: float, high: float) -> float:
        value = parent.get(key)
        if value is None:
            self.fail(name, "is missing")
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
            self.fail(name, f"must be a finite number, got {json.dumps(value)[:40]}")
        if not low <= value <= high:
            self.fail(name, f"must be between {low} and {high}, got {value}")
        return float(value)

    def choice(self, parent: Mapping, key: str, name: str, choices: tuple[str, ...]) -> str:
        value = parent.get(key)
        if value not in choices:
            self.fail(name, f"must be one of {', '.join(choices)}, got {json.dumps(value)[:40]}")
        return value

    def text(self, parent: Mapping, key: str, name: str) -> str | None:
        value = parent.get(key)
        if not isinstance(value, (str, type(None))):
            self.fail(name, "must be a string")
        return value

    def manifest(self, value: Any) -> Manifest:
        if not isinstance(value, dict):
            raise BundleError(f"{self.where} is not a manifest (expected a JSON object)")
        version = value.get("format_version")
        if isinstance(version, bool) or not isinstance(version, int) or version < 1:
            self.fail("format_version", "is missing or not a positive integer")
        if version > FORMAT_VERSION:
            raise BundleError(f"bundle format {version} is newer than this runtime supports ({FORMAT_VERSION}); "
                              "upgrade s2s-onnx")
        architecture = self.architecture(self.object(value, "architecture"))
        ids = self.object(value, "special_ids")
        top_id = min(architecture.source_vocab_size, architecture.target_vocab_size) - 1
        special_ids = SpecialIds(**{key: self.integer(ids, key, f"special_ids.{key}", 0, top_id)
                                    for key in ("pad", "sos", "eos")})
        decoding = self.object(value, "decoding")
        rule = LengthRule(
            length_ratio=self.number(decoding, "length_ratio", "decoding.length_ratio", 0.0, 1000.0),
            length_offset=self.integer(decoding, "length_offset", "decoding.length_offset", 0, MAX_LENGTH),
            max_target_length=self.integer(decoding, "max_target_length", "decoding.max_target_length", 1, MAX_LENGTH),
            max_source_length=self.integer(decoding, "max_source_length", "decoding.max_source_length", 1, MAX_LENGTH),
        )
        onnx_info = self.optional_object(value, "onnx")
        languages = value.get("languages", {})
        if not isinstance(languages, dict) or not all(isinstance(languages.get(k), (str, type(None)))
                                                      for k in ("source", "target")):
            self.fail("languages", "must be an object of language codes")
        name = value.get("name")
        return Manifest(
            format_version=version,
            name=name if isinstance(name, str) and name else None,
            source_language=languages.get("source"),
            target_language=languages.get("target"),
            architecture=architecture,
            special_ids=special_ids,
            decoding=rule,
            precision=self.text(onnx_info, "precision", "onnx.precision"),
            activation_quantisation=self.text(onnx_info, "activation_quantisation", "onnx.activation_quantisation"),
            files=self.files(self.object(value, "files")),
            longest_training_source=self.longest_training_source(value.get("training_data")),
            protection_share=self.protection_share(value.get("protection")),
            document=value,
        )

    def architecture(self, arch: dict) -> Architecture:
        return Architecture(
            cell=self.choice(arch, "cell", "architecture.cell", CELLS),
            attention=self.choice(arch, "attention", "architecture.attention", ATTENTIONS),
            layers=self.integer(arch, "layers", "architecture.layers", 1, 64),
            source_vocab_size=self.integer(arch, "source_vocab_size", "architecture.source_vocab_size", 5, MAX_VOCAB),
            target_vocab_size=self.integer(arch, "target_vocab_size", "architecture.target_vocab_size", 5, MAX_VOCAB),
        )

    def files(self, files: dict) -> Mapping[str, FileEntry]:
        for name in REQUIRED_FILES:
            if name not in files:
                raise BundleError(f"{self.where} does not list {name}")
        entries = {}
        for name, entry in files.items():
            if not isinstance(name, str) or not name or name in (".", "..") or "/" in name or "\\" in name \
                    or name == MANIFEST or Path(name).name != name:
                self.fail("files", f"may hold only plain file names inside the bundle, got {json.dumps(name)[:60]}")
            if not isinstance(entry, dict):
                self.fail(f"files.{name}", "must be an object")
            digest = entry.get("sha256")
            if not isinstance(digest, str) or len(digest) != 64 or any(c not in "0123456789abcdef" for c in digest):
                self.fail(f"files.{name}.sha256", "must be 64 lower-case hex digits")
            entries[name] = FileEntry(digest, self.integer(entry, "bytes", f"files.{name}.bytes", 0, MAX_FILE_BYTES))
        if sum(entry.bytes for entry in entries.values()) > MAX_BUNDLE_BYTES:
            self.fail("files", f"list more than {MAX_BUNDLE_BYTES >> 30} GiB in all, more than any bundle needs")
        return MappingProxyType(entries)

    def longest_training_source(self, training_data: Any) -> int | None:
        if training_data is None:
            return None
        if not isinstance(training_data, dict):
            self.fail("training_data", "must be an object")
        lengths = self.object(training_data, "source_tokens", "training_data.source_tokens")
        return self.integer(lengths, "max", "training_data.source_tokens.max", 1, MAX_LENGTH)

    def protection_share(self, protection: Any) -> float | None:
        if protection is None:
            return None
        if not isinstance(protection, dict):
            self.fail("protection", "must be an object")
        if protection.get("placeholders") != list(PLACEHOLDERS):
            self.fail("protection.placeholders", f"must list the {len(PLACEHOLDERS)} placeholders U+E001..U+E010")
        return self.number(protection, "trained_share", "protection.trained_share", 0.0, 1.0)
