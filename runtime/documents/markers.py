"""Markup carried through the model as private-use characters: whether paired markers came back
in a shape the document can take (HTML tags, XLIFF codes)."""

from __future__ import annotations

from collections.abc import Iterable


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
