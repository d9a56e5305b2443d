"""Every assigned code point normalises and splits as in `tokenizers` (the training tokenizer)."""

import json
import unicodedata

from tokenizers import pre_tokenizers

from s2s.runtime.decoding.tokenizer import Tokenizer, _is_punctuation
from s2s.training.tokenization import train_tokenizer


def _spans(codes):
    out = []
    for code in codes:
        if out and out[-1][1] == code - 1:
            out[-1][1] = code
        else:
            out.append([code, code])
    return ", ".join(f"(0x{a:X}, 0x{b:X})" for a, b in out)


def test_every_code_point_matches_tokenizers():
    reference = train_tokenizer(["hello world"], "bpe", 100)
    runtime = Tokenizer(json.loads(reference.to_str()))
    punctuation = pre_tokenizers.Punctuation(behavior="isolated")
    normalised, split = [], []
    for code in range(0x110000):
        char = chr(code)
        if 0xD800 <= code <= 0xDFFF:
            continue  # surrogates: not characters
        # Code points Python's tables leave unassigned are checked too: a newer `tokenizers` may
        # know them (U+13439..U+1343F, format controls of Unicode 15, were missed that way).
        text = "a" + char + "a"
        if reference.normalizer.normalize_str(text) != runtime._normalize(text):
            normalised.append(code)
        if (len(punctuation.pre_tokenize_str(text)) > 1) != _is_punctuation(char):
            split.append(code)
    # On failure, the spans to add to runtime/bundle/unicode_compat.py (Python's Unicode version:
    # unicodedata.unidata_version).
    assert not normalised, f"NFKC differs ({unicodedata.unidata_version}): {_spans(normalised)}"
    assert not split, f"punctuation differs ({unicodedata.unidata_version}): {_spans(split)}"
