"""`s2s-translate`: a thin command-line layer over `s2s.runtime.Translator`."""

from __future__ import annotations

import logging
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import TextIO

import click

from .errors import InputError, S2SRuntimeError
from .sessions import DEVICES


def read_lines(stream, name: str, errors: str) -> Iterator[str]:
    """Lines of a binary stream without their newline; invalid UTF-8 is an error naming the line
    (errors="strict") or replaced with U+FFFD (errors="replace")."""
    for number, raw in enumerate(stream, start=1):
        try:
            line = raw.decode("utf-8", errors=errors)
        except UnicodeDecodeError as exc:
            raise InputError(f"{name}, line {number}: invalid UTF-8 (byte {exc.start + 1}); use --errors replace to go on") from None
        yield line.rstrip("\r\n")


@click.command(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.argument("text", nargs=-1)
@click.option("-m", "--model", "model_path", type=click.Path(path_type=Path),
              help="Model bundle directory or .zip [default: the bundled English→French model].")
@click.option("-i", "--input", "input_path", type=click.Path(path_type=Path), help="Read sentences from FILE, one a line ('-': stdin).")
@click.option("-o", "--output", "output_path", type=click.Path(path_type=Path), help="Write translations to FILE [default: stdout].")
@click.option("--batch-size", type=click.IntRange(min=1), default=64, show_default=True)
@click.option("--beam-size", type=click.IntRange(min=1), default=1, show_default=True, help="1: greedy decoding.")
@click.option("--max-length", type=click.IntRange(min=1), help="Most target tokens per sentence [default: from the model, by source length].")
@click.option("--device", type=click.Choice(DEVICES), default="cpu", show_default=True)
@click.option("--threads", type=click.IntRange(min=1), help="Threads per ONNX Runtime session [default: cores, at most 4].")
@click.option("--errors", "encoding_errors", type=click.Choice(["strict", "replace"]), default="strict", show_default=True,
              help="What to do with invalid UTF-8 in the input.")
@click.option("--quiet", "-q", is_flag=True, help="No progress bar or summary.")
def main(text, model_path, input_path, output_path, batch_size, beam_size, max_length, device, threads,
         encoding_errors, quiet) -> None:
    """Translate sentences with a model bundle (onnxruntime; no PyTorch needed).

    Sentences come from the arguments, from --input FILE, or from standard input, one per line;
    translations go to standard output (or --output), one per line, in the same order. An empty
    line gives an empty line.

    \b
    Examples:
      s2s-translate "I am a student."
      s2s-translate -i english.txt -o french.txt --beam-size 5
      cat english.txt | s2s-translate -m models/eng-fra > french.txt
    """
    logging.basicConfig(level=logging.WARNING, format="s2s-translate: warning: %(message)s", stream=sys.stderr)
    try:
        from .translator import Translator

        if text and input_path:
            raise InputError("give sentences as arguments or with --input, not both")
        translator = Translator.load(model_path, device=device, threads=threads)
        started = time.perf_counter()
        out: TextIO = open(output_path, "w", encoding="utf-8") if output_path else sys.stdout
        try:
            total = None
            if text:
                sentences = iter(text)
            else:
                from_stdin = input_path is None or str(input_path) == "-"
                stream = sys.stdin.buffer if from_stdin else _open(input_path)
                sentences = read_lines(stream, "<stdin>" if from_stdin else str(input_path), encoding_errors)
                if not from_stdin:
                    total = _count_lines(input_path)
            show_progress = total is not None and not quiet and sys.stderr.isatty()
            count = tokens = 0
            with click.progressbar(length=total or 1, label="translating", file=sys.stderr,
                                   hidden=not show_progress) as bar:
                for translation in translator.translate_stream_detailed(
                    sentences, beam_size=beam_size, max_length=max_length, batch_size=batch_size
                ):
                    out.write(translation.text + "\n")
                    count += 1
                    tokens += len(translation.tokens)
                    bar.update(1)
            out.flush()
        finally:
            if out is not sys.stdout:
                out.close()
        elapsed = time.perf_counter() - started
        if not quiet and not text:
            click.echo(f"translated {count} sentences in {elapsed:.2f} s ({count / max(elapsed, 1e-9):,.0f} sentences/s, "
                       f"{tokens / max(elapsed, 1e-9):,.0f} target tokens/s)", err=True)
    except S2SRuntimeError as exc:
        click.echo(f"s2s-translate: error: {exc}", err=True)
        sys.exit(2)
    except KeyboardInterrupt:
        sys.exit(130)


def _count_lines(path: Path) -> int:
    with open(path, "rb") as handle:
        data = handle.read()
    return data.count(b"\n") + (0 if not data or data.endswith(b"\n") else 1)


def _open(path: Path):
    try:
        return open(path, "rb")
    except FileNotFoundError:
        raise InputError(f"input file not found: {path}") from None
    except IsADirectoryError:
        raise InputError(f"input is a directory: {path}") from None
    except OSError as exc:
        raise InputError(f"cannot read {path}: {exc.strerror}") from None


if __name__ == "__main__":
    main()
