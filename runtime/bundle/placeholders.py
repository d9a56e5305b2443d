"""Placeholder tokens: what stands in, inside the model's text, for text it must not change.

Part of the bundle contract. A placeholder is one character of Unicode's Private Use Area,
U+E001 to U+E010, written ⟦1⟧ to ⟦16⟧ in the docs. Such a character survives NFKC, is neither
punctuation nor a control, so both tokenizer implementations (Python's and the JS host's) treat
it as a letter with no change: after a space it is one BPE token "▁⟦n⟧" (training makes sure of
the merge), glued to punctuation it is the token "⟦n⟧". The space before a placeholder is then
learnt and decoded exactly like a word's, which an added token (spaceless) would lose.
"""

from __future__ import annotations

import re

PLACEHOLDER_COUNT = 16
_FIRST = 0xE001
PLACEHOLDERS: tuple[str, ...] = tuple(chr(_FIRST + i) for i in range(PLACEHOLDER_COUNT))
PLACEHOLDER_PATTERN = re.compile(f"[{PLACEHOLDERS[0]}-{PLACEHOLDERS[-1]}]")
# Any private-use character in a user's text is itself protected (kept as written), so no
# input can forge a placeholder.
PRIVATE_USE_PATTERN = re.compile("[\ue000-\uf8ff]")


def placeholder(number: int) -> str:
    """The placeholder ⟦number⟧, 1 <= number <= PLACEHOLDER_COUNT."""
    if not 1 <= number <= PLACEHOLDER_COUNT:
        raise ValueError(f"placeholder numbers run from 1 to {PLACEHOLDER_COUNT}, got {number}")
    return PLACEHOLDERS[number - 1]


def placeholder_number(char: str) -> int | None:
    """n for the placeholder ⟦n⟧, None for any other character."""
    index = ord(char) - _FIRST if len(char) == 1 else -1
    return index + 1 if 0 <= index < PLACEHOLDER_COUNT else None


def shown(text: str) -> str:
    """`text` with each placeholder written ⟦n⟧ (for messages and docs; the model sees one character)."""
    return PLACEHOLDER_PATTERN.sub(lambda m: f"⟦{placeholder_number(m.group())}⟧", text)
