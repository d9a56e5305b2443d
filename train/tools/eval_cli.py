"""`s2s-eval`: translate a test set with the runtime; print sacreBLEU, chrF and speed."""

from __future__ import annotations

import json
import logging
import shlex
import sys
from pathlib import Path

import click
from s2s.runtime.bundle.model_card import length_penalty_note
from s2s.runtime.cli.command import CONTEXT_SETTINGS, Command, log_to_stderr, renamed, user_errors, version_option
from s2s.runtime.cli import decode_options as options
from s2s.runtime.errors import InputError


@click.command(cls=Command, context_settings=CONTEXT_SETTINGS)
@version_option("s2s-eval")
@click.option("-m", "--model", "model_path",
              help="Model: a bundle directory or .zip, or the name of an installed model [default: the bundled model].")
@click.option("-i", "--input", "input_path", type=click.Path(path_type=Path), required=True,
              help="Test set: a TSV of source<TAB>reference lines, or source sentences one a line with --reference.")
@click.option("--reference", type=click.Path(path_type=Path), help="Reference translations, line-aligned with --input.")
@click.option("-o", "--output", type=click.Path(path_type=Path),
              help="Also write the translations to FILE (checked before the run; written whole at the end).")
@click.option("--overwrite", is_flag=True, help="Replace an existing --output file.")
@click.option("--source-lang", metavar="LANG", help="Without -m: use the installed model from LANG (with --target-lang).")
@click.option("--target-lang", metavar="LANG", help="Without -m: use the installed model into LANG (with --source-lang).")
@options.batch_size
@options.beam_size
@options.length_penalty
@options.max_length
@options.split_sentences
@options.protect
@options.device
@options.threads
@click.option("--lowercase", is_flag=True, help="Case-insensitive BLEU and chrF (sacreBLEU -lc).")
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
@click.option("--record", is_flag=True, help="Write the result into the bundle's model.json and model card.")
@click.option("--quiet", "-q", is_flag=True, help="No warnings (the scores are still printed).")
@renamed("--test", "-i/--input", "FILE")
@renamed("--source", "-i/--input (with --reference)", "FILE")
def main(model_path, input_path, reference, output, overwrite, source_lang, target_lang, batch_size, beam_size,
         length_penalty, max_length, split_sentences, protect, device, threads, lowercase, as_json, record, quiet) -> None:
    """Evaluate a bundle on a test set: sacreBLEU (13a, cased unless --lowercase) and chrF of the
    detokenised output against the raw references, plus sentences/s and target tokens/s.

    \b
    Example:
      s2s-eval -m models/eng-fra -i ../shared/data/tatoeba-eng-fra/test.tsv
      s2s-eval -m models/deu-eng -i test_2016_flickr.de --reference test_2016_flickr.en --lowercase
    """
    log_to_stderr("s2s-eval: warning: %(message)s", logging.ERROR if quiet else logging.WARNING)
    with user_errors("s2s-eval"):
        from s2s.runtime.atomic import write_atomically
        from s2s.runtime.batch.output_file import check_output_path
        from s2s.runtime.decoding.sessions import default_threads
        from s2s.runtime.decoding.translator import Translator

        from .evaluation import evaluate, read_test_set, record_in_bundle

        if output is not None:
            check_output_path(output, [p for p in (input_path, reference) if p is not None], overwrite)

        sources, references = read_test_set(input_path, reference)
        translator = Translator.load(model_path, source_lang=source_lang, target_lang=target_lang, device=device,
                                     threads=threads)
        name = str(input_path) if reference is None else f"{input_path} | {reference}"
        result, hypotheses = evaluate(translator, sources, references, name, beam_size=beam_size,
                                      length_penalty=length_penalty, batch_size=batch_size, max_length=max_length,
                                      lowercase=lowercase,
                                      threads=threads or default_threads(), split_sentences=split_sentences,
                                      protect=protect)
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
    protection = {None: "", True: ", protected", False: ", --no-protect"}[result.protected]
    penalty = length_penalty_note(result.beam_size, result.length_penalty)
    click.echo(f"{result.test}: {result.sentences} sentences, beam {result.beam_size}{penalty}{protection}")
    click.echo(f"BLEU  {result.bleu:6.2f}   {result.signature}")
    click.echo(f"chrF  {result.chrf:6.2f}   {result.chrf_signature}")
    if result.by_length and len(result.by_length) > 1:
        click.echo("BLEU by source length: " + ", ".join(f"{b['words']} words ({b['sentences']}) {b['bleu']:.2f}"
                                                       for b in result.by_length))
    click.echo(f"speed {result.sentences_per_second:,.0f} sentences/s, {result.tokens_per_second:,.0f} target tokens/s "
               f"({result.seconds:.2f} s)")

