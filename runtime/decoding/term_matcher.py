"""Finding a user's glossary and keep terms in a sentence: whole words, any case, any Unicode form.

A regular expression of alternatives costs a pass per term at every position (a glossary of
100,000 entries took seconds to build and tens of milliseconds a line), and its case-insensitive
matching and `str.lower()` disagree ("İstanbul" matched "istanbul" and then had no entry). Here
both the terms and the sentence are folded the same way, cluster by cluster (a character and the
combining marks after it, composed to NFC, then case-folded), and terms are looked up in a dict:
from each place a term may start, the sentence is read one word at a time for as long as what
was read begins some term. Time is linear in the sentence (each look-up is bounded by the longest
term), memory linear in the glossary, and a match maps back to the sentence's own characters, so
"cafe\u0301" matches the term "café" and keeps its accent.

The JavaScript host folds and matches the same way (hosts/js/src/term-matcher.js).
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache

_COMBINING_DOT_ABOVE = "\u0307"


@lru_cache(maxsize=4096)
def fold(cluster: str) -> str:
    """A cluster's folded form: NFC, then upper-cased and lower-cased (the full case mappings both
    hosts share: "ſ" and "S" fold to "s", "ß" to "ss", "ς" to "σ"), with the dotted and dotless
    i of Turkish and Azeri folding to "i"."""
    folded = unicodedata.normalize("NFC", cluster).upper().lower()
    return folded.replace("i" + _COMBINING_DOT_ABOVE, "i").replace("\u0131", "i")


def _is_mark(char: str) -> bool:
    return unicodedata.category(char)[0] == "M"


def _is_word(char: str) -> bool:
    """Python's \\w: letters, digits and numerals, and the underscore."""
    return char.isalnum() or char == "_"


@dataclass(frozen=True)
class Clusters:
    """A text cut into clusters: where each starts, its folded form, whether it is a word character
    (\\w, as its first character is); `ends[i]` is where cluster i ends."""

    starts: list[int]
    ends: list[int]
    folded: list[str]
    word: list[bool]

    def __len__(self) -> int:
        return len(self.starts)


def clusters(text: str) -> Clusters:
    if text.isascii():  # the common case, without a per-character Unicode look-up
        return Clusters(list(range(len(text))), list(range(1, len(text) + 1)), list(text.lower()),
                        [c.isalnum() or c == "_" for c in text])
    starts, ends, folded, word = [], [], [], []
    start, length = 0, len(text)
    while start < length:
        end = start + 1
        while end < length and _is_mark(text[end]):
            end += 1
        piece = text[start:end]
        starts.append(start)
        ends.append(end)
        folded.append(fold(piece))
        word.append(_is_word(piece[0]))
        start = end
    return Clusters(starts, ends, folded, word)


class TermMatcher:
    """Finds terms as whole words, leftmost first and longest at each place ("New York City" wins
    over "New York"), never overlapping. `terms` maps each term to what a match stands for (a
    glossary's target term; for keep terms, None: the match keeps its own text). Two terms that
    fold alike are one: the last one given wins."""

    def __init__(self, terms: Iterable[tuple[str, str | None]]) -> None:
        self._terms: dict[str, str | None] = {}
        # Folded beginnings of terms that end where the term goes on with a non-word character
        # ("new" of "new york"): reading goes on past a word only while it is one of these.
        self._prefixes: set[str] = set()
        self._first: set[str] = set()
        self._longest = 0
        for term, output in terms:
            parts = clusters(term)
            key = "".join(parts.folded)
            if not key:
                continue
            self._terms[key] = output
            self._first.add(key[0])
            self._longest = max(self._longest, len(key))
            for index in range(1, len(parts)):
                if not parts.word[index]:
                    self._prefixes.add("".join(parts.folded[:index]))

    def find(self, text: str) -> list[tuple[int, int, str | None]]:
        """(start, end, output) of every match, in order; `output` is the term's, or None."""
        parts = clusters(text)
        found = []
        index = 0
        while index < len(parts):
            match = self._longest_at(parts, index) if self._may_start(parts, index) else None
            if match is None:
                index += 1
                continue
            last, output = match
            found.append((parts.starts[index], parts.ends[last], output))
            index = last + 1
        return found

    def _may_start(self, parts: Clusters, index: int) -> bool:
        return (index == 0 or not parts.word[index - 1]) and parts.folded[index][:1] in self._first

    def _longest_at(self, parts: Clusters, index: int) -> tuple[int, str | None] | None:
        best = None
        read = ""
        count = len(parts)
        for last in range(index, count):
            read += parts.folded[last]
            if len(read) > self._longest:
                break
            # Only where a word ends (the next character is not a word character, or the text
            # ends) may a term end, or a multi-word term go on.
            if last + 1 < count and parts.word[last + 1]:
                continue
            if read in self._terms:
                best = (last, self._terms[read])
            if read not in self._prefixes:
                break
        return best
