"""Paired inline markup (<b>...</b>, <a href>...</a>, an XLIFF <pc>, a styled docx run) put back
around the right words by the attention alignment, instead of being carried through the model.

Measured on held-out sentences (recipes/inline_markup_bench.py, docs/quality.md "Inline markup"):
carried as placeholders, a tag pair costs the sentence 13-16 BLEU and ends around the right name
28% of the time; put back by the alignment, the words are the plain translation's and the name is
wrapped exactly 87% of the time. So a segment's paired markers are taken out, the text is
translated sentence by sentence with its attention, and each pair goes around the target words
aligned to the source words it held. Markers that stand for something (an image, a line break,
inline code) stay in the text, where the model carries them as placeholders, words of their own;
one between two sentences stands in the space between them, in neither.

A pair whose words no target word aligns to is left out, and the format's own check gives up that
segment's paired markup as before (counted as markup_dropped).
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ..bundle.placeholders import PLACEHOLDER_PATTERN, placeholder_number
from ..decoding import sentences
from ..decoding.options import DecodeOptions
from . import markers

if TYPE_CHECKING:
    from ..decoding.translator import Translator, TranslationResult

_METASPACE = "\u2581"


@dataclass
class _Segment:
    text: str  # what the model reads: paired markers out, the other markers spaced apart
    glue: dict[str, tuple[bool, bool]]  # the remaining markers' joins (markers.spaced)
    pairs: list[tuple[str, str, int, int]]  # (opening, closing, start, end) in `text`, in source order
    sentences: list[str]
    separators: list[str]
    starts: list[int]  # where each sentence starts in `text`


def can_align(translator: object) -> bool:
    """Whether `translator` gives attention to align with (a single model that has attention)."""
    from ..decoding.translator import Translator

    return isinstance(translator, Translator) and translator.bundle.manifest.architecture.attention != "none"


def translate_with_pairs(translator: "Translator", segments: list[str], pairs: list[dict[str, str]],
                         options: DecodeOptions) -> list[str]:
    """The translations of `segments` (text holding markers), each pair of `pairs[i]` (opening
    marker -> closing marker) put back by the alignment, the other markers carried by the model
    (those between two sentences kept out of both). With `pairs` empty, no attention is needed."""
    prepared = [_prepare(segment, segment_pairs, translator.source_language if options.split_sentences else None,
                         options.split_sentences) for segment, segment_pairs in zip(segments, pairs)]
    # A segment whose pairs all hold the whole of it (<li><a>Home</a></li>) needs no alignment:
    # its pairs go around the whole translation.
    aligned = {i for i, segment in enumerate(prepared) if not all(_whole(segment, pair) for pair in segment.pairs)}
    flat = [s for i in sorted(aligned) for s in prepared[i].sentences]
    results = iter(translator.translate_results(flat, options, attention=True, split_sentences=False, n_best=1)
                   if flat else [])
    flat = [s for i, segment in enumerate(prepared) if i not in aligned for s in segment.sentences]
    plain = iter(translator.translate(flat, options, split_sentences=False) if flat else [])
    out = []
    for i, segment in enumerate(prepared):
        if i in aligned:
            text = _with_pairs(segment, [next(results) for _ in segment.sentences])
        else:
            translations = [next(plain) for _ in segment.sentences]
            text = _around(sentences.join_sentences(translations, segment.separators), segment.pairs)
        out.append(markers.glued(text, segment.glue))
    return out


def _whole(segment: _Segment, pair: tuple[str, str, int, int]) -> bool:
    """Whether the pair holds every word of the segment."""
    text = segment.text
    return pair[2] == len(text) - len(text.lstrip()) and pair[3] == len(text.rstrip())


def _around(translation: str, pairs: list[tuple[str, str, int, int]]) -> str:
    """The translation with pairs that each held the whole source around the whole of it, outer
    first (`pairs` comes outer first)."""
    body = translation.strip()
    start = len(translation) - len(translation.lstrip())
    openings = "".join(opening for opening, _, _, _ in pairs)
    closings = "".join(closing for _, closing, _, _ in reversed(pairs))
    return translation[:start] + openings + body + closings + translation[start + len(body):]


def _prepare(segment: str, pairs: dict[str, str], language: str | None, split: bool) -> _Segment:
    # Pairs holding nothing but spaces have no words to align: they stay markers in the text.
    projected = {}
    for opening, closing in pairs.items():
        start, end = segment.find(opening), segment.find(closing)
        if 0 <= start < end and segment[start + 1 : end].strip():
            projected[opening] = closing
    removed = set(projected) | set(projected.values())
    plain, at = [], {}
    for char in segment:
        if char in removed:
            at[char] = len(plain)
        else:
            plain.append(char)
    text, glue, index = markers.spaced("".join(plain))
    # Outer pairs first: by start, then the longer, then the one opened first in the segment.
    raw = sorted(((o, c, index[at[o]], index[at[c]]) for o, c in projected.items()),
                 key=lambda p: (p[2], -p[3], segment.index(p[0])))
    # A pair's words, without the spaces around them.
    spans = []
    for opening, closing, start, end in raw:
        while start < end and text[start].isspace():
            start += 1
        while end > start and text[end - 1].isspace():
            end -= 1
        spans.append((opening, closing, start, end))
    if split:
        parts, separators = _split_sentences(text, language)
    else:
        parts, separators = [text], ["", ""]
    starts, cursor = [], 0
    for part, separator in zip(parts, separators):
        cursor += len(separator)
        starts.append(cursor)
        cursor += len(part)
    # As the translator joins a text's sentences: the text's own outer whitespace dropped.
    separators = [separators[0].lstrip(), *separators[1:-1], separators[-1].rstrip()] if len(separators) > 1 \
        else [separators[0].strip()]
    return _Segment(text, glue, spans, parts, separators, starts)


def _split_sentences(text: str, language: str | None) -> tuple[list[str], list[str]]:
    """The translator's sentence split, reading markers as the spaces they stand beside, cut from
    `text` itself: a marker after "end." neither hides the boundary nor starts the next sentence,
    where the model would take its placeholder for the subject ("<br>It is blue." came back as
    "<br>est bleu."); it stands in the space between the two."""
    masked = "".join(" " if markers.is_marker(c) else c for c in text)
    masked_parts, masked_separators = sentences.split_sentences(masked, language)
    parts, separators, position = [], [], 0
    for k, separator in enumerate(masked_separators):
        separators.append(text[position : position + len(separator)])
        position += len(separator)
        if k < len(masked_parts):
            parts.append(text[position : position + len(masked_parts[k])])
            position += len(masked_parts[k])
    return parts, separators


def _surfaces(tokens: list[str], result: "TranslationResult", side: str) -> list[str]:
    """What each token writes, a placeholder replaced by its item (source or output side)."""
    out = []
    for token in tokens:
        surface = token.lstrip(_METASPACE)
        found = PLACEHOLDER_PATTERN.fullmatch(surface)
        number = placeholder_number(surface) if found else None
        if number is not None and number <= len(result.protected):
            item = result.protected[number - 1]
            surface = item.source if side == "source" else item.output
        out.append(surface)
    return out


def _spans(surfaces: list[str], text: str) -> list[tuple[int, int] | None]:
    """Each token's (start, end) in `text`, found in order; None where a token is not there as
    written (normalised, unknown, or a placeholder the restore step moved)."""
    spans: list[tuple[int, int] | None] = []
    cursor, lost = 0, False
    for surface in surfaces:
        if not surface:
            spans.append(None)
            continue
        found = text.find(surface, cursor)
        # Only spaces (or a character or two the tokenizer normalised away) may lie between;
        # after a token that had no place, the next one found takes up the thread again.
        if found < 0 or (not lost and len(text[cursor:found].strip()) > 2):
            spans.append(None)
            lost = True
            continue
        spans.append((found, found + len(surface)))
        cursor, lost = found + len(surface), False
    return spans


def _whole_words(first: int, last: int, tokens: list[str], surfaces: list[str]) -> tuple[int, int]:
    """Widen target tokens first..last to whole words where a word was cut into subwords."""
    def joined(left: int, right: int) -> bool:  # token `right` continues the word of token `left`
        return (not tokens[right].startswith(_METASPACE) and surfaces[left][-1:].isalnum()
                and surfaces[right][:1].isalnum())

    while first > 0 and surfaces[first - 1] and surfaces[first] and joined(first - 1, first):
        first -= 1
    while last + 1 < len(tokens) and surfaces[last] and surfaces[last + 1] and joined(last, last + 1):
        last += 1
    return first, last


def _holds(outer: tuple[str, str, int, int], inner: tuple[str, str, int, int]) -> bool:
    """Whether pair `inner` lies inside pair `outer` in the source (identical spans: the one listed
    first, opened first, is the outer)."""
    return outer[2] <= inner[2] and inner[3] <= outer[3] and (outer[2], -outer[3]) <= (inner[2], -inner[3])


def _with_pairs(segment: _Segment, results: list["TranslationResult"]) -> str:
    translations = [result.text for result in results]
    joined = sentences.join_sentences(translations, segment.separators)
    # Global positions: source tokens in segment.text, target tokens in `joined`.
    source_spans: list[tuple[int, int] | None] = []
    target: list[tuple[int, int] | None] = []  # each target token's span in `joined`
    aligned_to: list[int | None] = []  # each target token's source token (global index)
    offset = len(segment.separators[0])
    for result, start, separator in zip(results, segment.starts, segment.separators[1:]):
        best = result.hypotheses[0]
        base = len(source_spans)
        local = _spans(_surfaces(result.source_tokens, result, "source"), result.source)
        source_spans += [None if s is None else (s[0] + start, s[1] + start) for s in local]
        surfaces = _surfaces(best.tokens, result, "target")
        spans = _spans(surfaces, best.text)
        alignment = best.alignment()
        for t, span in enumerate(spans):
            if span is not None:
                first, last = _whole_words(t, t, best.tokens, surfaces)
                start_of = spans[first] or span
                end_of = spans[last] or span
                span = (start_of[0], end_of[1])
            target.append(None if span is None else (span[0] + offset, span[1] + offset))
            aligned_to.append(base + alignment[t] if t < len(alignment) else None)
        offset += len(best.text) + len(separator)
    # Each pair's hull: the target words aligned to the source tokens it holds. Source tokens come
    # in order, so those a pair holds are one run of indices (found by bisection), and the hull is a
    # range minimum and maximum over them: linear in the pairs, not pairs times tokens.
    nearest = _RangeHull(len(source_spans))
    for t, s in enumerate(aligned_to):
        if s is not None and target[t] is not None and source_spans[s] is not None:
            nearest.add(s, target[t])
    nearest.build()
    located = [(i, s) for i, s in enumerate(source_spans) if s is not None]
    ends, starts = [s[1] for _, s in located], [s[0] for _, s in located]
    whole_hull = (len(joined) - len(joined.lstrip()), len(joined.rstrip())) if joined.strip() else None
    hulls: list[tuple[int, int] | None] = []
    for pair in segment.pairs:
        _, _, start, end = pair
        if whole_hull is not None and _whole(segment, pair):
            hulls.append(whole_hull)
            continue
        first, last = bisect.bisect_right(ends, start), bisect.bisect_left(starts, end) - 1
        hulls.append(nearest.query(located[first][0], located[last][0]) if first <= last else None)
    # What nests in the source nests in the translation: an outer pair holds its inner pairs' words.
    # An inner pair's tokens are among its outer pair's, so its hull is already inside; only a pair
    # around the whole block, placed around the whole translation, can widen the pairs holding it.
    whole = next((pair for pair in segment.pairs if whole_hull is not None and _whole(segment, pair)), None)
    if whole is not None:
        for k, pair in enumerate(segment.pairs):
            if hulls[k] and _holds(pair, whole):
                hulls[k] = (min(hulls[k][0], whole_hull[0]), max(hulls[k][1], whole_hull[1]))
    inserts: list[tuple[int, int, int, str]] = []  # (position, closings first, order, marker)
    for order, ((opening, closing, _, _), hull) in enumerate(zip(segment.pairs, hulls)):
        if hull is None:
            continue  # nothing aligns to its words: left out (the format gives up the pair)
        # At one position: closings before openings; outer openings first, inner closings first.
        inserts += [(hull[0], 1, order, opening), (hull[1], 0, -order, closing)]
    out, position = [], 0
    for at, _, _, char in sorted(inserts):
        out += [joined[position:at], char]
        position = at
    out.append(joined[position:])
    return "".join(out)


class _RangeHull:
    """(smallest start, largest end) of the target spans aligned to source tokens first..last, for
    any first..last, each query in constant time (a sparse table, built in n log n)."""

    def __init__(self, size: int) -> None:
        self._starts = [float("inf")] * size
        self._ends = [-1] * size
        self._tables: list[tuple[list, list]] = []

    def add(self, index: int, span: tuple[int, int]) -> None:
        self._starts[index] = min(self._starts[index], span[0])
        self._ends[index] = max(self._ends[index], span[1])

    def build(self) -> None:
        starts, ends, width = self._starts, self._ends, 1
        self._tables = [(starts, ends)]
        while 2 * width <= len(self._starts):
            starts = [min(starts[i], starts[i + width]) for i in range(len(starts) - width)]
            ends = [max(ends[i], ends[i + width]) for i in range(len(ends) - width)]
            self._tables.append((starts, ends))
            width *= 2

    def query(self, first: int, last: int) -> tuple[int, int] | None:
        level = (last - first + 1).bit_length() - 1
        starts, ends = self._tables[level]
        start = min(starts[first], starts[last - (1 << level) + 1])
        end = max(ends[first], ends[last - (1 << level) + 1])
        return None if end < 0 else (int(start), end)
