"""`s2s-export`: a thin command-line layer over `s2s.export.export_bundle`."""

from __future__ import annotations

import shlex
import sys
from pathlib import Path

import click
from s2s.runtime.cli.command import CONTEXT_SETTINGS, Command, log_to_stderr, output_option, user_errors, version_option

from .opsets import DEFAULT_OPSET


@click.command(cls=Command, context_settings=CONTEXT_SETTINGS)
@version_option("s2s-export")
@click.argument("checkpoint_dir", type=click.Path(path_type=Path))
@output_option("Bundle directory to write (a NAME.zip file with --zip).", type=click.Path(path_type=Path))
@click.option("--quantize", type=click.Choice(["int8"]), help="Dynamic int8 quantisation of the graphs' weights.")
@click.option("--opset", type=int, default=DEFAULT_OPSET, show_default=True, help="ONNX opset version.")
@click.option("--zip", "as_zip", is_flag=True, help="Write the bundle as one .zip file.")
@click.option("--one-call", is_flag=True,
              help="Also write greedy.onnx: the whole greedy decode in one graph (checked token for token against "
                   "the step loop; it shares the step graphs' weights through weights.bin, adding ~0.05 MB).")
@click.option("--force", is_flag=True, help="Replace an existing bundle at -o.")
@click.option("--name", help="Bundle name (default: the training run's directory name).")
@click.option("--source-lang", help="Source language code for the manifest (default: from training).")
@click.option("--target-lang", help="Target language code for the manifest (default: from training).")
@click.option("--sample-size", type=click.IntRange(min=1), default=200, show_default=True,
              help="Validation sentences used for the parity checks.")
@click.option("--min-int8-agreement", type=click.FloatRange(0, 1), default=None,
              help="Least share of sample sentences whose int8 greedy output must equal fp32's [default: 0.8].")
def main(checkpoint_dir: Path, out: Path, quantize, opset, as_zip, one_call, force, name, source_lang, target_lang, sample_size,
         min_int8_agreement) -> None:
    """Export a training checkpoint to a verified model bundle: encoder.onnx, a single-step
    decoder.onnx, both tokenizers, model.json and a model card.

    Every export is checked with onnx.checker and against PyTorch (encoder outputs and per-step
    log-probabilities within 1e-4, greedy outputs identical); a failed check writes nothing.

    \b
    Example:
      s2s-export runs/eng-fra/checkpoint-best -o models/eng-fra --quantize int8
    """
    log_to_stderr("%(message)s")
    from s2s.training.errors import TRAIN_INSTALL, missing_train_extra

    from .errors import ExportError

    missing = missing_train_extra()
    if missing:
        with user_errors("s2s-export"):
            raise ExportError(f"exporting needs {missing}: {TRAIN_INSTALL}")
    from .exporter import DEFAULT_INT8_AGREEMENT, ExportOptions, export_bundle

    options = ExportOptions(
        out=out, quantize=quantize, opset=opset, zip=as_zip, one_call=one_call, force=force, name=name, source_lang=source_lang,
        target_lang=target_lang, sample_size=sample_size,
        min_int8_agreement=DEFAULT_INT8_AGREEMENT if min_int8_agreement is None else min_int8_agreement,
        command=shlex.join(["s2s-export", *sys.argv[1:]]),
    )
    with user_errors("s2s-export"):
        result = export_bundle(checkpoint_dir, options)
    # The size on disk of what was written: the .zip file itself, or the bundle's files.
    size = result.path.stat().st_size if result.path.is_file() else sum(
        entry["bytes"] for entry in result.manifest["files"].values())
    click.echo(f"wrote {result.path} ({size:,} bytes, {result.manifest['onnx']['precision']})", err=True)
