"""Where Python's Unicode tables and those of Hugging Face `tokenizers` disagree.

The training tokenizer (`tokenizers`) normalises and classifies characters with older Unicode
tables than Python's `unicodedata` (Unicode 14 on Python 3.11): characters added or changed
since are left alone by its NFKC and are not punctuation to it. The runtime must tokenise
exactly as training did, so it applies these exceptions. tests/runtime/decoding/test_unicode_sweep.py
compares every assigned code point with `tokenizers` and prints a fresh table when either side
changes (a new Python or `tokenizers` release).
"""

from __future__ import annotations

import re


def _ranges(*spans: tuple[int, int]) -> frozenset[int]:
    return frozenset(c for low, high in spans for c in range(low, high + 1))


# NFKC leaves these unchanged in `tokenizers` (Python decomposes them).
NFKC_UNCHANGED = _ranges(
    (0x32FF, 0x32FF), (0xA7F2, 0xA7F4), (0xAB69, 0xAB69), (0x10781, 0x10785), (0x10787, 0x107B0),
    (0x107B2, 0x107BA), (0x1F16C, 0x1F16C), (0x1FBF0, 0x1FBF9),
)
# Punctuation to Python, not to `tokenizers`.
NOT_PUNCTUATION = _ranges(
    (0x61D, 0x61D), (0x9FD, 0x9FD), (0xA76, 0xA76), (0xC77, 0xC77), (0xC84, 0xC84), (0x1B7D, 0x1B7E),
    (0x2E43, 0x2E4F), (0x2E52, 0x2E5D), (0x10EAD, 0x10EAD), (0x10F55, 0x10F59), (0x10F86, 0x10F89),
    (0x1144B, 0x1144F), (0x1145A, 0x1145B), (0x1145D, 0x1145D), (0x11660, 0x1166C), (0x116B9, 0x116B9),
    (0x1183B, 0x1183B), (0x11944, 0x11946), (0x119E2, 0x119E2), (0x11A3F, 0x11A46), (0x11A9A, 0x11A9C),
    (0x11A9E, 0x11AA2), (0x11C41, 0x11C45), (0x11C70, 0x11C71), (0x11EF7, 0x11EF8), (0x11FFF, 0x11FFF),
    (0x12FF1, 0x12FF2), (0x16E97, 0x16E9A), (0x16FE2, 0x16FE2), (0x1E95E, 0x1E95F),
)
# Punctuation to `tokenizers`, not to Python.
EXTRA_PUNCTUATION = _ranges((0x166D, 0x166D), (0x111C9, 0x111C9))
# Format characters (Cf) to `tokenizers`, which its normaliser drops, that Python's tables do not
# assign yet (Egyptian hieroglyph format controls of Unicode 15).
EXTRA_FORMAT = _ranges((0x13439, 0x1343F))

_KEEP = re.compile("([" + "".join(re.escape(chr(c)) for c in sorted(NFKC_UNCHANGED)) + "])")


def normalize(form: str, text: str) -> str:
    """unicodedata.normalize(form, text), leaving NFKC_UNCHANGED characters as they are."""
    import unicodedata

    if text.isascii():
        return text
    if form != "NFKC" or not _KEEP.search(text):
        return unicodedata.normalize(form, text)
    parts = _KEEP.split(text)
    return "".join(part if index % 2 else unicodedata.normalize(form, part) for index, part in enumerate(parts))
