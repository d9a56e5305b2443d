"""`s2s-translate`: a thin command-line layer over `s2s.runtime.Translator` and its batch job."""

from __future__ import annotations

import io
import logging
import os
import signal
import sys
import time
from pathlib import Path

import click

from ..batch.output_format import ALIGNMENTS, FORMATS
from ..bundle.store import pick_model
from ..decoding.options import DecodeOptions
from ..documents import FORMATS as DOCUMENT_FORMATS
from ..errors import InputError, OutputError
from . import decode_options as options
from .command import CONTEXT_SETTINGS, Command, log_to_stderr, user_errors, version_option

log = logging.getLogger("s2s.runtime")


class _StreamSink:
    """Standard output (or a device such as /dev/null): written as it goes, nothing to resume."""

    def __init__(self, stream) -> None:
        self._stream = stream

    def append(self, lines: list[str], lines_done: int, input_bytes: int, input_sha256: str) -> None:
        try:
            self._stream.write("".join(line + "\n" for line in lines))
        except BrokenPipeError:
            raise  # the reader went away (`| head`): not an error, main() ends quietly
        except OSError as exc:
            raise OutputError(f"cannot write the output: {exc.strerror}") from None

    def sync(self, every_seconds: float = 0.0) -> None:
        try:
            self._stream.flush()
        except BrokenPipeError:
            raise
        except OSError as exc:
            raise OutputError(f"cannot write the output: {exc.strerror}") from None


@click.command(cls=Command, context_settings=CONTEXT_SETTINGS)
@version_option("s2s-translate")
@click.argument("text", nargs=-1)
@click.option("-m", "--model", "model_path",
              help="Model: a bundle directory or .zip, or the name of an installed model (s2s-models list) "
                   "[default: the bundled English→French model].")
@click.option("-i", "--input", "input_path", type=click.Path(path_type=Path), help="Read sentences from FILE, one a line ('-': stdin).")
@click.option("-o", "--output", "output_path", type=click.Path(path_type=Path),
              help="Write translations to FILE [default: stdout]. FILE appears only when the run completes; "
                   "until then lines go to FILE.partial.")
@click.option("--resume", is_flag=True,
              help="Continue the interrupted run whose FILE.partial is beside --output (same input, model and "
                   "options); the result is byte-identical to an uninterrupted run.")
@click.option("--overwrite", is_flag=True, help="Replace an existing --output file when the run completes.")
@click.option("--source-lang", metavar="LANG", help="Without -m: use the installed model from LANG (with --target-lang).")
@click.option("--target-lang", metavar="LANG", help="Without -m: use the installed model into LANG (with --source-lang).")
@options.batch_size
@options.beam_size
@click.option("--n-best", type=click.IntRange(min=1), default=1, show_default=True,
              help="Hypotheses per line in --format jsonl, best first by rank_score (at most --beam-size).")
@options.length_penalty
@options.max_length
@options.split_sentences
@click.option("--format", "output_format", type=click.Choice(FORMATS), default="text", show_default=True,
              help="text: the translation; jsonl: one JSON object a line with the source, its tokens and the "
                   "--n-best hypotheses (text, tokens, score: the sum of token log-probabilities; with beam search "
                   "also rank_score, which orders them: see --length-penalty).")
@click.option("--alignment", type=click.Choice(ALIGNMENTS),
              help="With --format jsonl: add each target token's most-attended source token (argmax), or that "
                   "and every attention weight (full).")
@click.option("--plot-attention", type=click.Path(path_type=Path, file_okay=False), metavar="DIR",
              help="Also draw each non-empty line's attention as DIR/line-NNNNNN.png (needs matplotlib: the plot "
                   "extra).")
@click.option("--input-format", type=click.Choice(["text", *DOCUMENT_FORMATS]),
              help="text: one sentence a line; po (gettext), xliff (1.2, 2.0), srt and vtt (subtitles), json "
                   "(message files), html (web pages), markdown, docx (Word): documents, "
                   "translated with their structure kept (needs pip install 's2s-onnx[documents]') "
                   "[default: from the input file's suffix, else text].")
@options.protect
@click.option("--glossary", "glossary_path", type=click.Path(path_type=Path, dir_okay=False), metavar="FILE",
              help="Your terms: 'source term<TAB>target term' a line; matched as whole words in any case, and the "
                   "target term written as given.")
@click.option("--keep", "keep_terms", multiple=True, metavar="TERM",
              help="Leave TERM untranslated (a product name, a code identifier); repeatable.")
@click.option("--keep-file", type=click.Path(path_type=Path, dir_okay=False), metavar="FILE",
              help="Terms to leave untranslated, one a line.")
@options.device
@options.threads
@click.option("--workers", type=click.IntRange(min=1), default=1, show_default=True,
              help="Translate in this many processes (output identical to one); give each --threads cores / workers.")
@click.option("--ray", "ray_address", metavar="ADDRESS",
              help="Translate on a Ray cluster with Ray Data: 'auto' joins the cluster of this machine, 'local' starts "
                   "one for this run, else HOST:PORT. Needs -i (a file or a folder of files) and -o (a file or a "
                   "folder); --workers actors of --threads threads each; --resume skips finished files. Same bytes "
                   "as without --ray.")
@click.option("--errors", "encoding_errors", type=click.Choice(["strict", "replace"]), default="strict", show_default=True,
              help="What to do with invalid UTF-8 in the input.")
@click.option("--quiet", "-q", is_flag=True, help="No progress or summary.")
def main(text, model_path, input_path, output_path, resume, overwrite, source_lang, target_lang, batch_size, beam_size,
         n_best, length_penalty, max_length, split_sentences, output_format, alignment, plot_attention, input_format,
         protect, glossary_path,
         keep_terms, keep_file, device, threads, workers, ray_address, encoding_errors, quiet) -> None:
    """Translate sentences with a model bundle (onnxruntime; no PyTorch needed).

    Sentences come from the arguments, from --input FILE, or from standard input, one per line;
    translations go to standard output (or --output), one per line, in the same order. An empty
    line gives an empty line.

    A run with --output survives Ctrl-C, SIGTERM and kill -9: rerun the same command with
    --resume to translate only what is left.

    \b
    Examples:
      s2s-translate "I am a student."
      s2s-translate -i english.txt -o french.txt --beam-size 5
      s2s-translate -i english.txt -o french.txt --resume      # after an interruption
      cat english.txt | s2s-translate -m models/eng-fra > french.txt
      s2s-translate --format jsonl --beam-size 5 --n-best 3 --alignment argmax "Is it you?"
      s2s-translate --source-lang de --target-lang en "Ein Mann fährt Fahrrad."
      s2s-translate --glossary terms.tsv --keep "Acme Cloud" "Send the invoice to billing@example.com."
    """
    log_to_stderr("s2s-translate: warning: %(message)s", logging.WARNING)
    from ..batch.job import JobOptions

    try:
        with user_errors("s2s-translate"):
            if output_format == "text" and (n_best > 1 or alignment is not None):
                raise InputError("--n-best and --alignment need --format jsonl")
            from ..decoding.protection import Terms, read_glossary, read_keep_file

            terms = Terms.of(read_glossary(glossary_path) if glossary_path else None,
                             [*keep_terms, *(read_keep_file(keep_file) if keep_file else [])])
            decoding = DecodeOptions(beam_size=beam_size, n_best=n_best, length_penalty=length_penalty,
                                     max_length=max_length, batch_size=batch_size, split_sentences=split_sentences,
                                     protect=protect, glossary=terms.glossary, keep=terms.keep)
            options = JobOptions(decoding, output_format=output_format, alignment=alignment,
                                 plot_attention=plot_attention, workers=workers)
            from ..batch.job import worker_count

            if ray_address is None and worker_count(workers) < workers:
                log.warning("--workers %d: using %d, one per core of this machine", workers, worker_count(workers))
            from ..documents import format_for

            if ray_address is None and input_path is not None and input_path.is_dir():
                _translate_folder(input_path, output_path, (model_path, source_lang, target_lang), options, resume,
                                  overwrite, input_format, device, threads, encoding_errors, quiet)
                return
            document_format = format_for(input_path if input_path and str(input_path) != "-" else None, input_format)
            if document_format is not None:
                if ray_address is not None or text or workers > 1 or resume or output_format != "text":
                    raise InputError(f"a {document_format.name} document is translated whole, in one process: "
                                     "give it with -i (and -o), without --ray, --workers, --resume or --format")
                _translate_document(document_format, (model_path, source_lang, target_lang), input_path,
                                    output_path, overwrite, decoding, device, threads, quiet)
                return
            if ray_address is not None:
                _translate_on_ray(ray_address, text, pick_model(model_path, source_lang, target_lang), input_path,
                                  output_path, resume, overwrite, options, threads, quiet, input_format)
            else:
                _translate(text, (model_path, source_lang, target_lang), input_path, output_path, resume, overwrite,
                           options, device, threads, encoding_errors, quiet)
    except BrokenPipeError:
        # The reader of stdout went away (`| head -1`): stop quietly, as a writer killed by SIGPIPE
        # does (exit 141); stdout goes to /dev/null so that the exit's flush cannot fail again.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        sys.exit(128 + signal.SIGPIPE)


def _translate(text, model, input_path, output_path, resume, overwrite, options, device, threads, encoding_errors,
               quiet) -> None:
    model_path, source_lang, target_lang = model
    from ..batch.job import Interrupted, bundle_fingerprint, run_job
    from ..batch.output_file import PartialOutput, check_output_path, is_regular, partial_path
    from ..batch.progress import Progress
    from ..decoding.translator import Translator
    from ..line_reader import MAX_LINE_BYTES, LineReader, open_input

    if text and input_path:
        raise InputError("give sentences as arguments or with --input, not both")
    from_stdin = not text and (input_path is None or str(input_path) == "-")
    if resume and output_path is None:
        raise InputError("--resume needs --output (the file whose .partial holds the interrupted run)")
    if output_path is not None:
        # Continuing a run that was allowed to replace OUT (or that found none) needs no --overwrite again.
        continuing = resume and partial_path(output_path).exists()
        check_output_path(output_path, [] if text or from_stdin else [input_path], overwrite or continuing)
    if options.plot_attention is not None:
        _check_picture_folder(options.plot_attention, overwrite or resume)
    if text:
        stream, name, total = io.BytesIO("".join(t + "\n" for t in text).encode("utf-8")), "arguments", None
    elif from_stdin:
        stream, name, total = sys.stdin.buffer, "<stdin>", None
    else:
        stream, name, total = open_input(input_path), str(input_path), _size(input_path)
    translator = Translator.load(model_path, source_lang=source_lang, target_lang=target_lang, device=device,
                                 threads=threads)
    # What makes the output: a resumed run continues only with the same.
    fingerprint = {"model": bundle_fingerprint(translator), "errors": encoding_errors,
                   **options.decoding.fingerprint(), "output_format": options.output_format,
                   "alignment": options.alignment}
    partial = None
    if output_path is not None and is_regular(output_path):
        partial = sink = PartialOutput.start(output_path, fingerprint, resume=resume, overwrite=overwrite)
        resumed = partial.resumed
    else:
        out = _open_device(output_path) if output_path is not None else sys.stdout
        sink, resumed = _StreamSink(out), None
    try:
        progress = Progress(total, quiet=quiet or bool(text), start_lines=resumed.lines if resumed else 0,
                            start_bytes=resumed.input_bytes if resumed else 0)
        reader = LineReader(stream, name, encoding_errors, hint="; use --errors replace to go on")
        started = time.perf_counter()
        try:
            result = run_job(translator, reader, sink, options, resumed, progress, device=device, threads=threads)
        except Interrupted as stop:
            where = "; continue with --resume" if partial is not None else ""
            click.echo(f"s2s-translate: interrupted after {stop.lines} lines{where}", err=True)
            sys.exit(130 if stop.signum == signal.SIGINT else 128 + stop.signum)
        if partial is not None:
            partial.finish()
        elapsed = time.perf_counter() - started
        skipped = f" ({resumed.lines} done before)" if resumed and resumed.lines else ""
        if reader.lines_cut:
            log.warning("%d line(s) longer than %d MiB were cut to that length", reader.lines_cut,
                        MAX_LINE_BYTES >> 20)
        if result.repaired:
            log.warning("%d protected item(s) were dropped by the model and put back by the attention alignment "
                        "(--format jsonl marks them)", result.repaired)
        progress.done(f"translated {result.translated} sentence{'' if result.translated == 1 else 's'}{skipped} in {elapsed:.2f} s "
                      f"({result.translated / max(elapsed, 1e-9):,.0f} sentences/s, "
                      f"{result.target_tokens / max(elapsed, 1e-9):,.0f} target tokens/s)")
    finally:
        if partial is not None:
            partial.close()


def _translate_folder(input_path, output_path, model, options, resume, overwrite, input_format, device, threads,
                      encoding_errors, quiet) -> None:
    from ..batch.folder_job import folder_files, shown, translate_folder
    from ..decoding.translator import Translator

    if output_path is None:
        raise InputError(f"input {input_path} is a folder: give an output folder with -o")
    model_path, source_lang, target_lang = model
    translator = Translator.load(model_path, source_lang=source_lang, target_lang=target_lang, device=device,
                                 threads=threads)
    total = len(folder_files(input_path))
    count = [0]

    def done(path: Path) -> None:
        count[0] += 1
        if not quiet:
            click.echo(f"[{count[0]}/{total}] {path.name}", err=True)

    started = time.perf_counter()
    try:
        result = translate_folder(translator, input_path, output_path, options, resume=resume, overwrite=overwrite,
                                  input_format=input_format, encoding_errors=encoding_errors, done=done,
                                  device=device, threads=threads,
                                  failed=lambda path, reason: click.echo(f"s2s-translate: error: {shown(path)}: "
                                                                         f"{reason}", err=True),
                                  warned=lambda path, note: log.warning("%s: %s", shown(path), note))
    except KeyboardInterrupt:
        click.echo(f"s2s-translate: interrupted after {count[0]} file(s); continue with --resume", err=True)
        sys.exit(130)
    if result.not_regular:
        log.warning("left %d entr%s that %s not regular files (links, pipes, devices): %s", len(result.not_regular),
                    "y" if len(result.not_regular) == 1 else "ies", "is" if len(result.not_regular) == 1 else "are",
                    ", ".join(shown(Path(p.name)) for p in result.not_regular))
    if not quiet:
        skipped = f", {len(result.skipped)} done before" if result.skipped else ""
        click.echo(f"translated {len(result.translated)} of {total} files{skipped} in "
                   f"{time.perf_counter() - started:.2f} s", err=True)
    if result.failed:
        raise InputError(f"{len(result.failed)} file(s) could not be translated: "
                         + ", ".join(shown(Path(path.name)) for path, _ in result.failed))


def _translate_document(document_format, model, input_path, output_path, overwrite, decoding, device, threads,
                        quiet) -> None:
    from ..atomic import write_atomically
    from ..batch.output_file import check_output_path
    from ..decoding.translator import Translator
    from ..documents import MAX_DOCUMENT_BYTES, document_notes, translate_document

    model_path, source_lang, target_lang = model
    from_stdin = input_path is None or str(input_path) == "-"
    if output_path is not None:
        check_output_path(output_path, [] if from_stdin else [input_path], overwrite)
    translator = Translator.load(model_path, source_lang=source_lang, target_lang=target_lang, device=device,
                                 threads=threads)
    started = time.perf_counter()
    if from_stdin:  # bounded as a file is: never more than the limit read into memory
        source = sys.stdin.buffer.read(MAX_DOCUMENT_BYTES + 1)
        if len(source) > MAX_DOCUMENT_BYTES:
            raise InputError(f"a {document_format.name} document of more than {MAX_DOCUMENT_BYTES >> 20} MiB on "
                             "standard input")
    else:
        source = input_path
    result = translate_document(translator, source, document_format.name, decoding)
    if output_path is None:
        sys.stdout.buffer.write(result.data)
        sys.stdout.buffer.flush()
    else:
        write_atomically(output_path, result.data)
    for note in document_notes(result):
        log.warning("%s", note)
    if not quiet:
        click.echo(f"translated {result.segments} segment{'' if result.segments == 1 else 's'} of a "
                   f"{document_format.name} document in {time.perf_counter() - started:.2f} s", err=True)


def _check_picture_folder(folder: Path, may_replace: bool) -> None:
    """Pictures go into a folder that holds none yet, unless replacing them was asked for. Checked,
    matplotlib first, before anything is written: a refused run leaves nothing behind (the folder
    is made with the first picture)."""
    from ..batch.attention_plot import require_matplotlib

    require_matplotlib()
    if folder.exists() and not folder.is_dir():
        raise OutputError(f"--plot-attention {folder} is not a folder")
    if folder.is_dir():
        if not may_replace and any(folder.glob("line-*.png")):
            raise OutputError(f"{folder} already holds attention pictures; --overwrite replaces them")
        return
    existing = next((p for p in folder.absolute().parents if p.exists()), None)
    if existing is None or not existing.is_dir() or not os.access(existing, os.W_OK | os.X_OK):
        raise OutputError(f"cannot create {folder}: {existing} is not a writable folder")


def _translate_on_ray(address, text, model, input_path, output_path, resume, overwrite, options, threads,
                      quiet, input_format=None) -> None:
    from ..batch.ray_job import RayJob, connect, file_pairs, ray_logs_dropped, translate_files
    from ..bundle.store import resolve

    if text or input_path is None or output_path is None or str(input_path) == "-":
        raise InputError("--ray translates files: give -i FILE_OR_FOLDER and -o FILE_OR_FOLDER")
    if options.plot_attention is not None:
        raise InputError("--plot-attention draws in this process; translate without --ray")
    pairs = file_pairs(input_path, output_path)
    from ..documents import format_for

    documents = [source.name for source, _ in pairs if format_for(source, input_format) is not None]
    if documents:
        # Ray's path splits files into lines; a document's structure would be translated as text.
        raise InputError(f"--ray translates text files; {documents[0]} is a document: translate documents without "
                         "--ray (-i FOLDER -o FOLDER --workers N translates them N files at a time)")
    with ray_logs_dropped(quiet):
        connect(address, quiet)
        job = RayJob(model=str(resolve(model).absolute()),  # actors may run elsewhere: an absolute path
                     options=options, actors=options.workers, threads=threads or 1)
        started, total = time.perf_counter(), 0
        for target, lines in translate_files(pairs, job, resume=resume, overwrite=overwrite):
            total += lines
            if not quiet:
                click.echo(f"s2s-translate: {target}: {lines} lines", err=True)
    if not quiet:
        elapsed = time.perf_counter() - started
        click.echo(f"translated {total} sentences on Ray in {elapsed:.2f} s ({total / max(elapsed, 1e-9):,.0f} "
                   "sentences/s)", err=True)


def _size(path: Path) -> int | None:
    try:
        return path.stat().st_size or None
    except OSError:
        return None


def _open_device(path: Path):
    try:
        return open(path, "w", encoding="utf-8")
    except OSError as exc:
        raise OutputError(f"cannot write {path}: {exc.strerror}") from None


if __name__ == "__main__":
    main()
