"""Protection: text the model must not change is swapped for placeholders before translation and
put back after it.

What is protected, in order of precedence where matches overlap: the user's glossary terms
(replaced by their target term) and do-not-translate terms, format placeholders (`%s`, `%(name)s`,
`{name}`, `{count, number}`, `{{ name }}`, `${name}`), URLs, e-mail addresses, file paths,
codes (letters and digits mixed: `LH1234`, `X7-42QB`, `#5531`), numbers (with their separators
and currency or percent signs as written: `06 12 34 56 78`, `4.2.1`, `14:05`, `$5`, `12%`),
capitalised names the model's vocabulary does not hold, and any private-use character. The
patterns are plain data (`RULES`), written in the regular-expression syntax Python and
JavaScript share, so that every host protects the same spans.

A sentence's items are numbered ⟦1⟧, ⟦2⟧... in order of appearance (the same text twice is the
same placeholder); past the 16th, items stay as they are. After translation each placeholder is
replaced by its item. A placeholder the model dropped is put back after the target token that
attends most to it (the attention alignment); one it repeated is kept as often as the sentence
holds it, where the model first wrote it; one it invented is dropped. Everything is per sentence and deterministic, so a
translation never depends on its batch.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..bundle.placeholders import (
    PLACEHOLDER_COUNT,
    PLACEHOLDER_PATTERN,
    PRIVATE_USE_PATTERN,
    placeholder,
    placeholder_number,
)
from ..errors import InputError
from ..line_reader import read_bounded
from .term_matcher import TermMatcher

# Python's whitespace (str.isspace), spelt out: JavaScript's \s is another set.
WHITESPACE = r"\t\n\x0b\x0c\r\x1c-\x1f \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000"
# (kind, pattern): in precedence order. ASCII classes and escapes only (\x22 is ", \x27 is '), so
# Python's `re` and JavaScript's RegExp (flag "u") read every pattern the same way.
# Linear time: a backtracking engine tries a pattern at every position, so every pattern that can
# scan far opens with a lookbehind that refuses a start inside a run it would have matched from
# the run's first character: a megabyte-long word is scanned once, not once per character.
RULES: tuple[tuple[str, str], ...] = (
    # Software strings' format placeholders: printf (%s, %d, %(name)s, %1$s, %%), braces ({}, {0},
    # {name}, ICU's typed {count, number}), templates ({{ name }}, ${name}).
    ("format", r"%%|%(?:\([A-Za-z0-9_]+\)|[0-9]+\$)?[-+#0]*[0-9]*(?:\.[0-9]+)?[sdifFeEgGxXoucr]"
               r"|\{\{ ?[A-Za-z_][A-Za-z0-9_.]* ?\}\}|\$\{[A-Za-z_][A-Za-z0-9_.]*\}"
               r"|\{[A-Za-z0-9_]*(?:, ?(?:number|date|time|duration|spellout|ordinal)(?:, ?[^{}]*)?)?\}"),
    ("url", rf"(?<![A-Za-z0-9+.-])(?:[A-Za-z][A-Za-z0-9+.-]*://|www\.)[^{WHITESPACE}<>\x22]*"
            rf"[^{WHITESPACE}<>\x22.,;:!?\x27)\]}}]"),
    ("email", r"(?<![A-Za-z0-9._%+-])[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}"),
    ("path", rf"(?<![A-Za-z0-9_/\\])(?:[A-Za-z]:\\[^{WHITESPACE}<>\x22]*[^{WHITESPACE}<>\x22.,;:!?]"
             r"|(?:~|\.{1,2})?/[A-Za-z0-9_.~-]+(?:/[A-Za-z0-9_.~-]+)+/?)"),
    ("code", r"(?<![A-Za-z0-9_])(?<![A-Za-z0-9]-)(?:#[A-Za-z0-9][A-Za-z0-9_-]*|(?=[A-Za-z0-9])"
             r"(?=[A-Za-z0-9-]*[A-Za-z])(?=[A-Za-z0-9-]*[0-9])[A-Za-z0-9]+(?:-[A-Za-z0-9]+)*)(?![A-Za-z0-9_])"),
    ("number", r"(?<![A-Za-z0-9_])[$\u20ac\u00a3\u00a5]?(?:\+?[0-9]{1,4}(?:[ .-][0-9]{2,4}){2,}|[+-]?[0-9]+(?:[.,:/\x27][0-9]+)*)"
               r"(?:%|\u00b0[CF]?| ?[$\u20ac\u00a3\u00a5])?(?![A-Za-z0-9_])"),
)
PROTECTED_KINDS: tuple[str, ...] = ("glossary", "keep", *(kind for kind, _ in RULES), "name", "private-use")
_COMPILED = tuple((kind, re.compile(pattern)) for kind, pattern in RULES)
# A name is letters, hyphen-joined ("Jean-Pierre"), never across an apostrophe: the tokenizers
# split there, so "I'm", "Don't" or "Tom's" are a known word and a suffix, not one unknown word.
_NAME = re.compile(r"[^\W\d_]+(?:-[^\W\d_]+)*")

# A glossary or keep file larger than this is refused before it is read (a glossary is a few
# thousand lines; a gigabyte is a wrong file).
MAX_TERMS_FILE_BYTES = 16 << 20
# Languages that capitalise every noun: there a capital says nothing of a name, and the name
# rule would keep ordinary nouns untranslated (it cost deu-eng 2.6 BLEU on Tatoeba).
NOUN_CAPITALISING = ("de", "lb")
MAX_TERM_CHARS = 200


@dataclass(frozen=True)
class ProtectedItem:
    kind: str  # one of PROTECTED_KINDS
    source: str  # as written in the input
    output: str  # what the translation carries: the source itself, or a glossary's target term


@dataclass
class ProtectedText:
    text: str  # the sentence with placeholders
    items: list[ProtectedItem] = field(default_factory=list)  # items[n - 1] stands behind ⟦n⟧


@dataclass(frozen=True)
class Restored:
    text: str
    repaired: int = 0  # placeholders the model dropped, put back by the attention alignment
    removed: int = 0  # placeholders it wrote twice or invented, dropped


@dataclass(frozen=True)
class Terms:
    """A user's glossary (source term -> target term) and do-not-translate terms."""

    glossary: tuple[tuple[str, str], ...] = ()
    keep: tuple[str, ...] = ()

    @classmethod
    def of(cls, glossary: dict[str, str] | Iterable[tuple[str, str]] | None = None,
           keep: Iterable[str] | None = None) -> "Terms":
        pairs = tuple((glossary or {}).items()) if isinstance(glossary, dict) or glossary is None else tuple(glossary)
        for source, target in pairs:
            _check_term(source, "glossary source term")
            _check_term(target, "glossary target term")
        kept = tuple(keep or ())
        for term in kept:
            _check_term(term, "keep term")
        return cls(pairs, kept)

    def __bool__(self) -> bool:
        return bool(self.glossary or self.keep)


def _check_term(term: object, what: str) -> None:
    if not isinstance(term, str) or not term.strip():
        raise InputError(f"empty {what}")
    if len(term) > MAX_TERM_CHARS:
        raise InputError(f"{what} longer than {MAX_TERM_CHARS} characters: {term[:40]!r}...")
    if PRIVATE_USE_PATTERN.search(term) or any(unicodedata.category(c) == "Cc" for c in term):
        raise InputError(f"{what} holds a control or private-use character: {term!r}")


def _read_terms_file(path: Path, what: str) -> list[str]:
    data = read_bounded(path, MAX_TERMS_FILE_BYTES, what)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise InputError(f"{what} {path}, line {line}: not UTF-8") from None
    return text.splitlines()


def read_glossary(path: str | Path) -> list[tuple[str, str]]:
    """`source term<TAB>target term` a line; blank lines and lines starting with # are skipped."""
    pairs = []
    for number, line in enumerate(_read_terms_file(Path(path), "glossary"), start=1):
        if not line.strip() or line.startswith("#"):
            continue
        columns = line.split("\t")
        if len(columns) != 2:
            raise InputError(f"glossary {path}, line {number}: expected source term<TAB>target term, "
                             f"found {len(columns)} column(s)")
        source, target = columns[0].strip(), columns[1].strip()
        try:
            _check_term(source, "source term")
            _check_term(target, "target term")
        except InputError as exc:
            raise InputError(f"glossary {path}, line {number}: {exc}") from None
        pairs.append((source, target))
    return pairs


def read_keep_file(path: str | Path) -> list[str]:
    """One do-not-translate term a line; blank lines and lines starting with # are skipped."""
    terms = []
    for number, line in enumerate(_read_terms_file(Path(path), "keep file"), start=1):
        if not line.strip() or line.startswith("#"):
            continue
        try:
            _check_term(line.strip(), "term")
        except InputError as exc:
            raise InputError(f"keep file {path}, line {number}: {exc}") from None
        terms.append(line.strip())
    return terms


class Protector:
    """Finds what to protect in a sentence and puts it back in its translation.

    `known_word(w)` says whether the model's source vocabulary holds the word `w` whole; a
    capitalised word it holds neither as written nor in lower case is a name the model cannot
    know, and is protected (`names`: off for a source language that capitalises nouns).
    """

    def __init__(self, known_word: Callable[[str], bool], terms: Terms = Terms(), names: bool = True) -> None:
        self._known_word = known_word
        self._names = names
        self._terms: list[tuple[str, TermMatcher]] = []
        if terms.glossary:
            self._terms.append(("glossary", TermMatcher(terms.glossary)))
        if terms.keep:
            self._terms.append(("keep", TermMatcher((term, None) for term in terms.keep)))

    def protect(self, sentence: str) -> ProtectedText:
        spans = self._spans(sentence)
        if not spans:
            return ProtectedText(sentence)
        items: list[ProtectedItem] = []
        numbers: dict[tuple[str, str], int] = {}
        parts, position = [], 0
        for start, end, kind, output in spans:
            key = (sentence[start:end], output)
            if key not in numbers:
                if len(items) == PLACEHOLDER_COUNT:
                    continue  # past the 16th item: left as written
                items.append(ProtectedItem(kind, sentence[start:end], output))
                numbers[key] = len(items)
            parts += [sentence[position:start], placeholder(numbers[key])]
            position = end
        parts.append(sentence[position:])
        return ProtectedText("".join(parts), items)

    def _spans(self, sentence: str) -> list[tuple[int, int, str, str]]:
        """Non-overlapping (start, end, kind, output) spans, leftmost first, precedence on ties."""
        found: list[tuple[int, int, int, str, str]] = []  # (start, -length, precedence, kind, output)
        precedence = 0
        for kind, matcher in self._terms:
            for start, end, output in matcher.find(sentence):
                found.append((start, start - end, precedence, kind, sentence[start:end] if output is None else output))
            precedence += 1
        for kind, pattern in _COMPILED:
            for match in pattern.finditer(sentence):
                found.append((match.start(), -len(match.group()), precedence, kind, match.group()))
            precedence += 1
        for match in _NAME.finditer(sentence) if self._names else ():
            word = match.group()
            if (len(word) > 1 and word[0].isupper() and not word.isupper()
                    and not self._known_word(word) and not self._known_word(word.lower())):
                found.append((match.start(), -len(word), precedence, "name", word))
        precedence += 1
        for match in PRIVATE_USE_PATTERN.finditer(sentence):
            found.append((match.start(), -1, precedence, "private-use", match.group()))
        found.sort(key=lambda span: span[:3])
        chosen, covered = [], 0
        for start, negative_length, _, kind, output in found:
            if start >= covered:
                chosen.append((start, start - negative_length, kind, output))
                covered = start - negative_length
        return chosen


def restore(protected: ProtectedText, output: str, token_ends: Sequence[int] = (),
            source_positions: dict[int, int] | None = None, attention: np.ndarray | None = None) -> Restored:
    """The translation `output` (of `protected.text`) with every placeholder replaced by its item.

    A dropped placeholder n is placed after the target token that attends most to its source
    token: `source_positions[n]` is that source token's index, `attention` is [target tokens,
    source tokens], and `token_ends[t]` is where target token t ends in `output`. Without them
    (a model without attention), it is appended at the end.
    """
    if not protected.items:
        return Restored(output)
    # An item the source holds twice is one placeholder written twice: kept as often as the
    # source has it, any more dropped.
    allowed = Counter(placeholder_number(m.group()) for m in PLACEHOLDER_PATTERN.finditer(protected.text))
    seen: Counter[int] = Counter()
    removed = 0
    pieces, position = [], 0
    for match in PLACEHOLDER_PATTERN.finditer(output):
        number = placeholder_number(match.group())
        keep = number is not None and number <= len(protected.items) and seen[number] < allowed[number]
        if keep:
            seen[number] += 1
            pieces += [output[position : match.start()], match.group()]
        else:
            removed += 1
            before = output[position : match.start()]
            # A dropped placeholder takes the space before it along, unless a word follows.
            if before.endswith(" ") and not output[match.end() : match.end() + 1].isalnum():
                before = before[:-1]
            pieces.append(before)
        position = match.end()
    pieces.append(output[position:])
    text = "".join(pieces)
    missing = [n for n in range(1, len(protected.items) + 1) if n not in seen]
    if missing:
        text = _insert_missing(text, output, missing, token_ends, source_positions or {}, attention)
    restored = PLACEHOLDER_PATTERN.sub(lambda m: protected.items[placeholder_number(m.group()) - 1].output, text)
    return Restored(restored, repaired=len(missing), removed=removed)


def _insert_missing(text: str, output: str, missing: list[int], token_ends: Sequence[int],
                    source_positions: dict[int, int], attention: np.ndarray | None) -> str:
    insertions: list[tuple[int, int]] = []  # (position in `output`, placeholder number)
    for number in missing:
        column = source_positions.get(number)
        if attention is not None and column is not None and len(token_ends) and column < attention.shape[1]:
            rows = attention[: len(token_ends), column]
            target = int(np.argmax(rows)) if rows.size else len(token_ends) - 1
            insertions.append((token_ends[target], number))
        else:
            insertions.append((len(output), number))
    # Positions are in `output`; `text` differs from it only where placeholders were dropped, so
    # map each position through the placeholders removed before it.
    shift = _removed_before(output, text)
    grouped: dict[int, list[int]] = {}
    for at, number in sorted(insertions):
        grouped.setdefault(shift(at), []).append(number)
    pieces, position = [], 0
    for at, numbers in sorted(grouped.items()):
        pieces.append(text[position:at])
        gap_before = "" if at == 0 or text[at - 1 : at].isspace() else " "
        gap_after = "" if at >= len(text) or text[at : at + 1].isspace() or not text[at : at + 1].isalnum() else " "
        pieces.append(gap_before + " ".join(placeholder(n) for n in numbers) + gap_after)
        position = at
    pieces.append(text[position:])
    return "".join(pieces)


def _removed_before(output: str, text: str) -> Callable[[int], int]:
    """Maps a position in `output` to the same place in `text` (`output` with characters removed)."""
    mapping, j = [], 0
    for i, char in enumerate(output):
        mapping.append(j)
        if j < len(text) and text[j] == char:
            j += 1
    mapping.append(j)
    return lambda at: mapping[min(at, len(output))]
