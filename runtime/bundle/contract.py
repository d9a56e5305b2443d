"""The model bundle's format: a directory (or a zip of one) holding two ONNX graphs, two
tokenizers and a manifest, `model.json`. This module names its files and graph inputs/outputs and
holds the length rule and the limits; manifest.py types and validates the manifest, reader.py
reads and verifies a bundle, and the export stage writes one. docs/bundle-format.md documents
every field and graph input/output.
"""

from __future__ import annotations

import math

# Version 2 adds weights.bin, the graphs' shared weights (bundles without it stay version 1);
# version 3 adds `protection`, the placeholders the model was trained to carry (without it, stay 2).
FORMAT_VERSION = 3
MANIFEST = "model.json"
ENCODER = "encoder.onnx"
DECODER = "decoder.onnx"
SOURCE_TOKENIZER = "source.tokenizer.json"
TARGET_TOKENIZER = "target.tokenizer.json"
MODEL_CARD = "README.md"
REQUIRED_FILES = (ENCODER, DECODER, SOURCE_TOKENIZER, TARGET_TOKENIZER)
# Optional: the whole greedy decode in one graph (docs/bundle-format.md, "greedy.onnx"), and
# the weights the graphs share as external data (format version 2).
GREEDY = "greedy.onnx"
WEIGHTS = "weights.bin"

# Graph input and output names (the contract with any host; see docs/bundle-format.md).
SOURCE_IDS, SOURCE_LENGTHS = "source_ids", "source_lengths"
MEMORY, ATTENTION_KEYS, SOURCE_MASK = "memory", "attention_keys", "source_mask"
INITIAL_HIDDEN, INITIAL_CELL = "initial_hidden", "initial_cell"
PREVIOUS_IDS, HIDDEN, CELL, TOP_K = "previous_ids", "hidden", "cell", "top_k"
TOP_IDS, TOP_LOG_PROBS, NEXT_HIDDEN, NEXT_CELL, ATTENTION = (
    "top_ids", "top_log_probs", "next_hidden", "next_cell", "attention",
)
OUTPUT_IDS, OUTPUT_LENGTHS, SCORES = "output_ids", "output_lengths", "scores"  # greedy.onnx

# onnx.activation_quantisation of an int8 bundle, current form first: a fixed scale for every
# activation proved to lie in [-1, 1] and a scale per row for the others, or per row for all.
# Both make a sentence's translation independent of its batch; per tensor (no value), not.
ACTIVATIONS_FIXED_OR_PER_ROW, ACTIVATIONS_PER_ROW = "fixed-or-per-row", "per-row"
BATCH_INVARIANT_ACTIVATIONS = (ACTIVATIONS_FIXED_OR_PER_ROW, ACTIVATIONS_PER_ROW)


def length_limit(source_length: int, ratio: float, offset: int, maximum: int) -> int:
    """The length rule of every decoder (training's, the runtime's, any host's; the manifest
    records its numbers): at most ceil(ratio * source_length) + offset target tokens, <eos>
    aside, and never more than `maximum`."""
    return int(min(maximum, math.ceil(ratio * source_length) + offset))


def encoder_output_names(cell: str, attention: str) -> list[str]:
    names = [MEMORY, ATTENTION_KEYS, SOURCE_MASK] if attention != "none" else []
    return names + [INITIAL_HIDDEN] + ([INITIAL_CELL] if cell == "lstm" else [])


def decoder_input_names(cell: str, attention: str) -> list[str]:
    names = [PREVIOUS_IDS, HIDDEN] + ([CELL] if cell == "lstm" else [])
    return names + ([MEMORY, ATTENTION_KEYS, SOURCE_MASK] if attention != "none" else []) + [TOP_K]


def decoder_output_names(cell: str, attention: str) -> list[str]:
    names = [TOP_IDS, TOP_LOG_PROBS, NEXT_HIDDEN] + ([NEXT_CELL] if cell == "lstm" else [])
    return names + ([ATTENTION] if attention != "none" else [])


# What each graph's inputs and outputs are: name -> (ONNX type, rank). Checked at load.
GRAPH_SPECS: dict[str, tuple[str, int]] = {
    SOURCE_IDS: ("tensor(int64)", 2), SOURCE_LENGTHS: ("tensor(int64)", 1),
    MEMORY: ("tensor(float)", 3), ATTENTION_KEYS: ("tensor(float)", 3), SOURCE_MASK: ("tensor(bool)", 2),
    INITIAL_HIDDEN: ("tensor(float)", 3), INITIAL_CELL: ("tensor(float)", 3),
    PREVIOUS_IDS: ("tensor(int64)", 1), HIDDEN: ("tensor(float)", 3), CELL: ("tensor(float)", 3),
    TOP_K: ("tensor(int64)", 0), TOP_IDS: ("tensor(int64)", 2), TOP_LOG_PROBS: ("tensor(float)", 2),
    NEXT_HIDDEN: ("tensor(float)", 3), NEXT_CELL: ("tensor(float)", 3), ATTENTION: ("tensor(float)", 2),
    OUTPUT_IDS: ("tensor(int64)", 2), OUTPUT_LENGTHS: ("tensor(int64)", 1), SCORES: ("tensor(double)", 1),
}

CELLS = ("rnn", "gru", "lstm")
# Up to this many sentences a batch, greedy decoding runs the bundle's one-call graph (greedy.onnx)
# when it has one (no Python between steps); above it, the step loop, where finished rows leave
# the batch and cost nothing. Measured (docs/speed-levers.md): the one call is 4-10% faster for
# one sentence; from 4 sentences up the step loop is as fast or faster, with 2 threads. Both
# hosts take it from here.
ONE_CALL_MAX_BATCH = 1
ATTENTIONS = ("none", "bahdanau", "luong")
# Bounds on manifest numbers: far above any real model, low enough that nothing absurd is allocated.
# What a bundle can need, checked on the manifest before any listed file is read: a file, and all
# of them together, at most 1 GiB (a 10-million-word vocabulary's graphs fit; two listed 1.5 GiB
# files of zeros, a 15 MB zip bomb, do not).
MAX_FILE_BYTES = 1 << 30
MAX_BUNDLE_BYTES = 1 << 30
MAX_VOCAB = 10_000_000
MAX_LENGTH = 100_000
MAX_MANIFEST_BYTES = 16 << 20
