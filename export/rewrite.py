"""What every command that rewrites an existing bundle does around its own change: unpack the
verified files into a work folder, encode a sample to check the result on, and publish the
result only once it verifies (export/requantize.py, export/add_greedy.py)."""

from __future__ import annotations

from pathlib import Path

from s2s.runtime.bundle import MANIFEST, MODEL_CARD, SOURCE_TOKENIZER, Bundle, load_bundle
from s2s.runtime.tokenizer import Tokenizer

from .errors import ExportError
from .manifest import finalise
from .publish import publish


def unpack(bundle: Bundle, directory: Path) -> None:
    """Write the bundle's verified files (all but its manifest and card) into `directory`."""
    for name in bundle.manifest["files"]:
        if name not in (MANIFEST, MODEL_CARD):
            (directory / name).write_bytes(bundle.read(name))


def encoded_sample(directory: Path, manifest: dict, sample: list[str], purpose: str) -> list[list[int]]:
    """The non-empty source token ids of `sample`, cut at the bundle's source limit."""
    tokenizer = Tokenizer.from_file(directory / SOURCE_TOKENIZER)
    limit = int(manifest["decoding"]["max_source_length"])
    sources = [ids for ids in tokenizer.encode_batch(sample, max_tokens=limit) if ids]
    if not sources:
        raise ExportError(f"the sample has no sentence to check {purpose} on")
    return sources


def publish_rewritten(directory: Path, manifest: dict, out: Path) -> dict:
    """Write the final manifest and card, verify the bundle as the runtime reads it, publish it."""
    manifest = finalise(directory, manifest)
    load_bundle(directory)
    publish(directory, out)
    return manifest
