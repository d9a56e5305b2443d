"""The decoding options every translating command speaks (s2s-translate, s2s-eval), each defined
once: a click decorator per option, mapping to one field of DecodeOptions or one Translator
argument."""

from __future__ import annotations

import click

from ..decoding.options import MAX_BEAM_SIZE
from ..decoding.sessions import DEVICES

batch_size = click.option("--batch-size", type=click.IntRange(min=1), default=64, show_default=True,
                          help="Sentences decoded together (speed only: the output is the same at any batch size).")
beam_size = click.option("--beam-size", type=click.IntRange(1, MAX_BEAM_SIZE), default=1, show_default=True,
                         help=f"1: greedy decoding; at most {MAX_BEAM_SIZE}.")
length_penalty = click.option(
    "--length-penalty", type=click.FloatRange(0, 10), default=1.0, show_default=True,
    help="Beam search ranks hypotheses by score / length ** this (length with the end token): 1 the mean token "
         "log-probability, 0 the summed log-probability (favours short outputs).")
max_length = click.option("--max-length", type=click.IntRange(min=1),
                          help="Most target tokens per sentence [default: from the model, by source length].")
split_sentences = click.option(
    "--split-sentences/--no-split-sentences", default=True, show_default=True,
    help="Translate a line of several sentences sentence by sentence (one line in, one line out).")
protect = click.option(
    "--protect/--no-protect", default=True, show_default=True,
    help="Keep numbers, names, codes, URLs, e-mail addresses and file paths out of the model's reach and put them "
         "back unchanged (with a model trained with placeholders; others translate as they are).")
device = click.option("--device", type=click.Choice(DEVICES), default="cpu", show_default=True,
                      help="cpu, cuda (needs onnxruntime-gpu and a GPU; never falls back silently) or auto.")
threads = click.option("--threads", type=click.IntRange(min=1),
                       help="Threads per ONNX Runtime session [default: cores, at most 4].")
