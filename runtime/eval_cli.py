"""`s2s-eval`: translate a test set with the runtime; print sacreBLEU, chrF and speed."""

from __future__ import annotations

import json
import shlex
import sys
from pathlib import Path

import click

from .command import user_errors, version_option
from .errors import InputError


@click.command(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@version_option("s2s-eval")
@click.option("-m", "--model", "model_path", type=click.Path(path_type=Path), help="Bundle [default: the bundled model].")
@click.option("--test", type=click.Path(path_type=Path), help="Test set as TSV: source<TAB>reference.")
@click.option("--source", type=click.Path(path_type=Path), help="Source sentences, one a line (with --reference).")
@click.option("--reference", type=click.Path(path_type=Path), help="Reference translations, line-aligned with --source.")
@click.option("--beam-size", type=click.IntRange(min=1), default=1, show_default=True)
@click.option("--batch-size", type=click.IntRange(min=1), default=64, show_default=True)
@click.option("--threads", type=click.IntRange(min=1), help="Threads per ONNX Runtime session.")
@click.option("--split-sentences/--no-split-sentences", default=True, show_default=True,
              help="Translate a line of several sentences sentence by sentence, as s2s-translate does.")
@click.option("--lowercase", is_flag=True, help="Case-insensitive BLEU and chrF (sacreBLEU -lc).")
@click.option("--output", type=click.Path(path_type=Path),
              help="Also write the translations to FILE (checked before the run; written whole at the end).")
@click.option("--overwrite", is_flag=True, help="Replace an existing --output file.")
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
@click.option("--record", is_flag=True, help="Write the result into the bundle's model.json and model card.")
def main(model_path, test, source, reference, beam_size, batch_size, threads, split_sentences, lowercase, output, overwrite, as_json,
         record) -> None:
    """Evaluate a bundle on a test set: sacreBLEU (13a, cased unless --lowercase) and chrF of the
    detokenised output against the raw references, plus sentences/s and target tokens/s.

    \b
    Example:
      s2s-eval -m models/eng-fra --test ../shared/data/tatoeba-eng-fra/test.tsv
    """
    with user_errors("s2s-eval"):
        from .evaluation import evaluate, read_test_set, record_in_bundle
        from .output_file import check_output_path, write_atomically
        from .sessions import default_threads
        from .translator import Translator

        if output is not None:
            check_output_path(output, [p for p in (test, source, reference) if p is not None], overwrite)

        sources, references = read_test_set(test, source, reference)
        translator = Translator.load(model_path, threads=threads)
        name = str(test) if test is not None else f"{source} | {reference}"
        result, hypotheses = evaluate(translator, sources, references, name, beam_size, batch_size, lowercase,
                                       threads or default_threads(), split_sentences)
        result.command = shlex.join(["s2s-eval", *sys.argv[1:]])
        if output is not None:
            write_atomically(output, "".join(h + "\n" for h in hypotheses))
        if record:
            if translator.bundle.origin.is_file():
                raise InputError("--record needs a bundle directory, not a .zip")
            record_in_bundle(translator.bundle.path, result)
    if as_json:
        click.echo(json.dumps(result.to_dict(), indent=2, ensure_ascii=False))
        return
    click.echo(f"{result.test}: {result.sentences} sentences, beam {result.beam_size}")
    click.echo(f"BLEU  {result.bleu:6.2f}   {result.signature}")
    click.echo(f"chrF  {result.chrf:6.2f}   {result.chrf_signature}")
    click.echo(f"speed {result.sentences_per_second:,.0f} sentences/s, {result.tokens_per_second:,.0f} target tokens/s "
               f"({result.seconds:.2f} s)")
