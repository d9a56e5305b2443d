"""Markup carried through the model as private-use characters (HTML tags, XLIFF codes, Markdown
emphasis and link brackets, docx runs): the characters themselves, the spacing that lets the model
read them, and whether paired markers came back in a shape the document can take."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable

# Markers are private-use characters from here on, one per piece of markup in a segment (numbered
# afresh in each, so a document may hold any number of tags); the runtime protects each as an item
# of its own (decoding/protection.py).
FIRST_MARKER = 0xF000
MAX_MARKERS = 0x800
_MARKER = re.compile(f"[{chr(FIRST_MARKER)}-{chr(FIRST_MARKER + MAX_MARKERS - 1)}]")


class TooManyMarkers(Exception):
    """A segment holds more pieces of markup than there are markers: the format leaves it as it is."""


def marker(index: int) -> str:
    """The `index`-th marker character of a segment."""
    if not 0 <= index < MAX_MARKERS:
        raise TooManyMarkers(f"more than {MAX_MARKERS} pieces of markup in one segment")
    return chr(FIRST_MARKER + index)


def escaped(text: str, carry: Callable[[str], str]) -> str:
    """`text` with each character of the markers' range it already holds (an icon font's private-use
    characters start at U+F000 too) replaced by `carry(char)`: a marker of its own that stands for
    that character, so it can never be taken for a piece of markup, nor lost."""
    return _MARKER.sub(lambda match: carry(match.group()), text) if holds_marker(text) else text


def is_marker(char: str) -> bool:
    return bool(_MARKER.fullmatch(char))


def holds_marker(text: str) -> bool:
    return _MARKER.search(text) is not None


def _touches(char: str) -> bool:
    return char.isalnum() or is_marker(char)


def spaced(segment: str) -> tuple[str, dict[str, tuple[bool, bool]], list[int]]:
    """The segment with a space between each marker and what it touches on its left, and a word or
    marker it touches on its right; for each marker whether it touched what came before and after
    it; and where each position of the segment (its end included) lies in the spaced text.

    The model reads a placeholder glued to a word ("<b>Tom</b>" is one word of three characters)
    as one unknown word, cut into letters, and drops the word with it; it was trained on
    placeholders standing as words of their own."""
    glue: dict[str, tuple[bool, bool]] = {}
    out: list[str] = []
    index: list[int] = []
    for position, char in enumerate(segment):
        if not is_marker(char):
            index.append(len(out))
            out.append(char)
            continue
        # Left of a marker any character but a space: the model saw placeholders only after one.
        before = position > 0 and not segment[position - 1].isspace()
        after = position + 1 < len(segment) and _touches(segment[position + 1])
        glue.setdefault(char, (before, after))
        if before and not (out and out[-1] == " "):
            out.append(" ")
        index.append(len(out))
        out.append(char)
        if after:
            out.append(" ")
    index.append(len(out))
    return "".join(out), glue, index


def glued(translation: str, glue: dict[str, tuple[bool, bool]]) -> str:
    """The translation of a `spaced` segment with each marker joined again to its neighbours on
    the sides where the source had it joined."""
    for char, (before, after) in glue.items():
        if before:
            translation = re.sub(" +" + re.escape(char), char, translation)
        if after:
            translation = re.sub(re.escape(char) + " +", char, translation)
    return translation


def well_nested(text: Iterable[str], pairs: dict[str, str]) -> bool:
    """Whether every opening marker of `pairs` (opening -> closing) and its closing appear in
    `text` exactly once, each closing after its opening and properly nested."""
    closing_of = {close: opening for opening, close in pairs.items()}
    seen: set[str] = set()
    stack: list[str] = []
    for char in text:
        if char in pairs or char in closing_of:
            if char in seen:
                return False
            seen.add(char)
            if char in pairs:
                stack.append(char)
            elif not stack or stack.pop() != closing_of[char]:
                return False
    return not stack and len(seen) == 2 * len(pairs)
