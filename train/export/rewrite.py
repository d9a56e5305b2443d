"""What every command that rewrites an existing bundle does around its own change: unpack the
verified files into a work folder, rewrite the step graphs, encode a sample to check the result
on, and publish the result only once it verifies (export/requantize.py, export/add_greedy.py)."""

from __future__ import annotations

from pathlib import Path
from typing import Callable

import click
import onnx
from s2s.runtime.bundle.contract import (
    DECODER,
    ENCODER,
    GREEDY,
    MANIFEST,
    MODEL_CARD,
    SOURCE_TOKENIZER,
    WEIGHTS,
)
from s2s.runtime.bundle.reader import Bundle, load_bundle
from s2s.runtime.cli.command import CONTEXT_SETTINGS, Command, output_option
from s2s.runtime.decoding.tokenizer import Tokenizer

from .errors import ExportError
from .manifest import finalise
from .publish import publish


def unpack(bundle: Bundle, directory: Path) -> None:
    """Write the bundle's verified files (all but its manifest and card) into `directory`."""
    for name in bundle.manifest.files:
        if name not in (MANIFEST, MODEL_CARD):
            (directory / name).write_bytes(bundle.read(name))


def rewrite_step_graphs(directory: Path, manifest: dict, transform: Callable[[onnx.ModelProto], int]) -> tuple[int, bool]:
    """Apply `transform` to encoder.onnx and decoder.onnx of the unpacked bundle in `directory`
    -> (the sum of what it returns, whether a one-call graph must be composed again).

    A one-call graph holds copies of the old step graphs, so it is removed: compose it again from
    the new ones (`add_greedy_graph`) once they check out. weights.bin is rebuilt for the new
    graphs (or by that composition)."""
    from .shared_weights import share_weights

    total = 0
    for graph in (ENCODER, DECODER):
        model = onnx.load(str(directory / graph))  # weights.bin's tensors are read back in
        total += transform(model)
        try:
            onnx.checker.check_model(model)
        except onnx.checker.ValidationError as exc:
            raise ExportError(f"the rewritten {graph} fails onnx.checker: {str(exc).splitlines()[0]}") from None
        onnx.save(model, str(directory / graph))
    one_call = GREEDY in manifest["files"]
    (directory / GREEDY).unlink(missing_ok=True)
    (directory / WEIGHTS).unlink(missing_ok=True)
    if WEIGHTS in manifest["files"] and not one_call:
        share_weights(directory, [ENCODER, DECODER])
    return total, one_call


def read_sample(path: Path, size: int) -> list[str]:
    """The first `size` source sentences of `path`: one a line, or a TSV of pairs (first column)."""
    from s2s.runtime.line_reader import read_sources

    return read_sources(path)[:size]


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


def rewrite_options(checked: str):
    """The arguments every bundle-rewriting command takes: BUNDLE, -o, --force, and the sample
    `checked` is checked on (--sample, --sample-size)."""
    decorators = [
        click.command(cls=Command, context_settings=CONTEXT_SETTINGS),
        click.argument("bundle", type=click.Path(path_type=Path)),
        output_option("Bundle directory to write.", type=click.Path(path_type=Path)),
        click.option("--force", is_flag=True, help="Replace an existing bundle at -o (BUNDLE itself included)."),
        click.option("--sample", "sample_path", required=True, type=click.Path(path_type=Path),
                     help=f"Source sentences, one a line (or a TSV of pairs), on which {checked} is checked."),
        click.option("--sample-size", type=click.IntRange(min=1), default=500, show_default=True),
    ]

    def decorate(function):
        for decorator in reversed(decorators):
            function = decorator(function)
        return function

    return decorate
