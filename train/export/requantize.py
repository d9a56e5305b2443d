"""Give an existing int8 bundle the current activation quantisers without retraining: tensor-wide
quantisers (batch-dependent) and the per-row quantisers of earlier bundles become the fixed scale
where the activation is proved to lie in [-1, 1], the fused per-row quantiser elsewhere
(`quantize_activations`); the int8 weights stay as they are, and a one-call graph (greedy.onnx)
is composed again from the rewritten graphs.

    python -m s2s.export.requantize models/deu-eng -o models/deu-eng --force \\
        --sample ../shared/data/multi30k/val.de

For bundles exported before the current quantiser, whose checkpoint is gone. The result
is checked like an export (every sample sentence decoded at several batch sizes must give the
same output) and published the same way; evaluations recorded for the old graphs are dropped
(rerun `s2s-eval --record`).
"""

from __future__ import annotations

import logging
import shlex
import sys
import tempfile
from pathlib import Path

import click
import onnx

from s2s.runtime.bundle.contract import ACTIVATIONS_FIXED_OR_PER_ROW, DECODER, ENCODER
from s2s.runtime.bundle.reader import load_bundle
from s2s.runtime.cli.command import log_to_stderr, user_errors
from s2s.runtime.errors import S2SRuntimeError

from .errors import ExportError
from .exporter import add_greedy_graph
from .manifest import finalise
from .parity import batch_variant_sentences
from .publish import check_output
from .bounds import bounded_decoder_inputs
from .quantize import activation_counts, quantize_activations
from .rewrite import encoded_sample, publish_rewritten, read_sample, rewrite_options, rewrite_step_graphs, unpack

log = logging.getLogger("s2s.export")


def requantize_bundle(bundle_path: Path, out: Path, sample: list[str], force: bool = False,
                      command: str | None = None) -> dict:
    """Rewrite the bundle at `bundle_path` into `out` (see the module docstring) -> its manifest."""
    check_output(out, force)
    try:
        bundle = load_bundle(bundle_path)
    except S2SRuntimeError as exc:
        raise ExportError(str(exc)) from None
    manifest = bundle.manifest.editable()  # `bundle` keeps describing its own files
    if manifest["onnx"].get("precision") != "int8":
        raise ExportError(f"{bundle_path} is not an int8 bundle; fp32 graphs are batch-invariant already")
    with tempfile.TemporaryDirectory(prefix="s2s-requantize-") as work:
        directory = Path(work)
        unpack(bundle, directory)
        bounded = bounded_decoder_inputs(*(onnx.load(str(directory / g), load_external_data=False)
                                           for g in (ENCODER, DECODER)))
        replaced, one_call = rewrite_step_graphs(directory, manifest,
                                                 lambda model: quantize_activations(model, bounded))
        counts = activation_counts(directory)
        log.info("rewrote %d activation quantisers: %d with the fixed scale, %d per row",
                 replaced, counts["fixed"], counts["per_row"])
        manifest["onnx"]["activation_quantisation"] = ACTIVATIONS_FIXED_OR_PER_ROW
        manifest.pop("evaluation", None)
        manifest.setdefault("provenance", {})["requantize_command"] = command
        finalise(directory, manifest)
        sources = encoded_sample(directory, manifest, sample, "batch invariance")
        limits = [bundle.manifest.decoding.limit(len(s)) for s in sources]
        if one_call:
            manifest["verification"]["one_call"] = add_greedy_graph(directory, sources, limits)
        rewritten = load_bundle(directory)
        variant = batch_variant_sentences(rewritten, sources, limits)
        if variant:
            raise ExportError(f"output still depends on the batch for {len(variant)} of {len(sources)} sentences; "
                              "nothing written")
        manifest["verification"].setdefault("int8", {}).update(
            activation_quantisation=ACTIVATIONS_FIXED_OR_PER_ROW, activations=counts,
            batch_invariant_sentences=len(sources))
        manifest = publish_rewritten(directory, manifest, out)
    return manifest


@rewrite_options("batch invariance")
def main(bundle: Path, out: Path, force: bool, sample_path: Path, sample_size: int) -> None:
    """Make an int8 bundle batch-invariant (fixed or per-row activation scales), keeping its weights."""
    log_to_stderr("%(message)s")
    with user_errors("s2s.export.requantize"):
        manifest = requantize_bundle(bundle, out, read_sample(sample_path, sample_size), force,
                                     shlex.join(["python", "-m", "s2s.export.requantize", *sys.argv[1:]]))
    checked = manifest["verification"]["int8"]["batch_invariant_sentences"]
    click.echo(f"wrote {out}: int8, batch-invariant on {checked} sentences", err=True)


if __name__ == "__main__":
    main()
