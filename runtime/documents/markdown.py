"""Markdown (.md) with markdown-it-py: the text of headings, paragraphs, list items, quotes and
table cells is translated in place, line by line of the source, so the file's layout (line
breaks, list markers, quote marks, indentation, table pipes) stays as it was; front matter,
code blocks and fences, HTML blocks and everything outside the text are untouched.

Inside the text, what is not language (inline code, link and image destinations, inline HTML and
autolinks) and the markup around words (emphasis, link brackets) become private-use characters:
emphasis pairs and a link's brackets are put back around the words the attention aligns with
theirs (alignment.py), the rest the runtime protects as items the model carries; link text and
image alt text are translated. A block whose paired markup does not come back in order keeps its
words without that markup, and its atomic pieces (inline code, destinations) at the end: nothing that
was not to be translated is lost (counted: `markup_dropped`). A paragraph spread over several
source lines is translated whole and spread back over the same lines: sentence by sentence where
each line held whole sentences (one sentence a line), else by the lines' lengths.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from ..decoding.sentences import split_sentences
from . import DocumentError, Extracted, require
from .markers import TooManyMarkers, escaped, marker
from .subtitles import split_proportionally

_ATOMIC = re.compile(
    r"(?P<code>(`+).+?(?<!`)\2(?!`))"              # inline code
    r"|(?P<dest>\]\((?:[^()\s]|\([^()]*\))*(?:\s+\"[^\"]*\")?\))"  # ](destination "title")
    r"|(?P<ref>\]\[[^\]]*\])"                      # ][reference]
    r"|(?P<html><[A-Za-z/][^<>]*>|<https?://[^<>]+>)"  # inline HTML, autolinks (never across a "<": linear)
)
_PAIRED = re.compile(r"(?P<open>!?\[)|(?P<emph>\*\*|__|\*|(?<![A-Za-z0-9])_|_(?![A-Za-z0-9])|~~)")


@dataclass
class _Block:
    lines: list[int]  # source line numbers the text sits on
    spans: list[tuple[int, int]]  # (start, end) of the text on each of those lines
    markers: dict[str, str] = field(default_factory=dict)  # marker -> the markup it stands for
    paired: dict[str, str] = field(default_factory=dict)  # opening marker -> closing marker
    # Sentences on each line, where every line holds whole sentences (one sentence a line, as
    # "semantic line breaks" write it); None where a sentence runs over a line break.
    sentences_per_line: list[int] | None = None


class MarkdownFormat:
    name = "markdown"
    suffixes = (".md", ".markdown")

    def extract(self, data: bytes) -> Extracted:
        markdown_it = require("markdown_it")
        front_matter = require("mdit_py_plugins.front_matter")
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise DocumentError(f"not a readable Markdown file: not UTF-8 (byte {exc.start + 1})") from None
        parser = markdown_it.MarkdownIt("commonmark").enable("table").use(front_matter.front_matter_plugin)
        lines = text.splitlines(keepends=True)
        blocks: list[_Block] = []
        segments: list[str] = []
        row_taken: dict[int, int] = {}  # a table row's line -> where the cells found so far end
        tokens = parser.parse(text)
        for index, token in enumerate(tokens):
            if token.type != "inline" or token.map is None or not token.content.strip():
                continue
            cell = index > 0 and tokens[index - 1].type in ("th_open", "td_open")
            located = _locate(token.content, lines, token.map, cell, row_taken)
            if located is None:
                continue  # a construct whose text is not verbatim in the source: left as it is
            block = _Block(*located)
            if cell:
                row_taken[block.lines[0]] = block.spans[0][1]
            texts = [lines[n][s:e].strip() for n, (s, e) in zip(block.lines, block.spans)]
            if not any(c.isalpha() for c in _ATOMIC.sub(" ", " ".join(texts))):
                continue  # no words (a cell of numbers, a badge line, code alone): nothing to translate
            block.sentences_per_line = _sentences_per_line(texts)
            try:
                segment = _with_markers(" ".join(texts), block, [0])  # markers are numbered per block
            except TooManyMarkers:
                continue  # more markup than markers: the block is left as it is
            segments.append(segment)
            blocks.append(block)

        def rebuild(translations: list[str]) -> bytes:
            dropped = kept = 0
            edits: dict[int, list[tuple[int, int, str]]] = {}
            for block, translation in zip(blocks, translations):
                widths = [e - s for s, e in block.spans]
                # Spread over the lines first (markers are one character each, never split), then restore.
                parts, ok = _restore(_spread(translation, widths, block), translation, block)
                source = [lines[n][s:e] for n, (s, e) in zip(block.lines, block.spans)]
                if _links(" ".join(parts)) != _links(" ".join(source)):
                    # Every link and image, its target unchanged, and brackets that still pair, or
                    # the block as it was (counted).
                    parts, ok = source, True
                    kept += 1
                dropped += not ok
                for n, (s, e), part in zip(block.lines, block.spans, parts):
                    edits.setdefault(n, []).append((s, e, part))
            out = list(lines)
            for n, changes in edits.items():
                line = out[n]
                for s, e, part in sorted(changes, reverse=True):  # right to left: offsets stay valid
                    line = line[:s] + part + line[e:]
                out[n] = line
            extracted.counts["markup_dropped"] = dropped
            extracted.counts["kept_source"] = kept
            return "".join(out).encode("utf-8")

        # Emphasis and a link's "[" with its "](url)" are put back around their words by the alignment.
        extracted = Extracted(segments, rebuild, pairs=[_pairs(s, b) for s, b in zip(segments, blocks)])
        return extracted


def _locate(content: str, lines: list[str], line_range: list[int], cell: bool,
            row_taken: dict[int, int]) -> tuple[list[int], list[tuple[int, int]]] | None:
    """Where each line of `content` sits in the source: (line numbers, (start, end) on each)."""
    wanted = content.split("\n")
    first, last = line_range
    if cell:  # a table cell: on its row's line, after the cells already found there
        row = first
        start = lines[row].find(wanted[0], row_taken.get(row, 0))
        return None if start < 0 else ([row], [(start, start + len(wanted[0]))])
    if last - first != len(wanted):
        return None
    spans = []
    for n, piece in zip(range(first, last), wanted):
        source = lines[n].rstrip("\r\n")
        start = source.rfind(piece) if piece else -1
        if start < 0 or not source.endswith(piece) and not source[start + len(piece):].strip(" #") == "":
            return None
        spans.append((start, start + len(piece)))
    return list(range(first, last)), spans


def _marker(markup: str, block: _Block, counter: list[int]) -> str:
    char = marker(counter[0])
    counter[0] += 1
    block.markers[char] = markup
    return char


_DESTINATION = re.compile(r"\]\((?:[^()\s]|\([^()]*\))*(?:\s+\"[^\"]*\")?\)|\]\[[^\]]*\]")


def _links(text: str) -> tuple[list[str], int, int]:
    """A block's link and image destinations in order, and its opening and closing brackets."""
    return _DESTINATION.findall(text), text.count("["), text.count("]")


def _with_markers(text: str, block: _Block, counter: list[int]) -> str:
    """`text` with its non-language parts and its paired markup as marker characters."""
    out, position = [], 0
    for match in _ATOMIC.finditer(text):
        out.append(_paired_markers(text[position:match.start()], block, counter))
        out.append(_marker(match.group(), block, counter))
        position = match.end()
    out.append(_paired_markers(text[position:], block, counter))
    return "".join(out)


def _paired_markers(text: str, block: _Block, counter: list[int]) -> str:
    out, position = [], 0
    open_emphasis: dict[str, str] = {}
    carry = lambda char: _marker(char, block, counter)  # noqa: E731
    for match in _PAIRED.finditer(text):
        out.append(escaped(text[position:match.start()], carry))
        char = _marker(match.group(), block, counter)
        if match.group("open"):
            block.paired[char] = ""  # its closing is the "](...)" or "][...]" atomic marker after it
        elif match.group() in open_emphasis:
            block.paired[open_emphasis.pop(match.group())] = char
        else:
            open_emphasis[match.group()] = char
        out.append(char)
        position = match.end()
    out.append(escaped(text[position:], carry))
    return "".join(out)


def _sentences_per_line(texts: list[str]) -> list[int] | None:
    if len(texts) < 2:
        return None
    counts = [len(split_sentences(text)[0]) for text in texts]
    return counts if sum(counts) == len(split_sentences(" ".join(texts))[0]) else None


def _spread(translation: str, widths: list[int], block: _Block) -> list[str]:
    """The translation over the block's lines: sentence by sentence where each source line held
    whole sentences and the translation has as many, else by the lines' lengths."""
    counts = block.sentences_per_line
    if counts is not None:
        translated = split_sentences(translation)[0]
        if len(translated) == sum(counts):
            parts, start = [], 0
            for count in counts:
                parts.append(" ".join(translated[start : start + count]))
                start += count
            return parts
    return split_proportionally(translation, widths)


def _pairs(segment: str, block: _Block) -> dict[str, str]:
    """The block's paired markers: emphasis, and each link's "[" with the "](...)" or "][...]"
    that closes it."""
    pairs = {opening: closing for opening, closing in block.paired.items() if closing}
    links: list[str] = []
    for char in segment:
        if block.paired.get(char) == "":
            links.append(char)
        elif links and block.markers.get(char, "").startswith("]"):
            pairs[links.pop()] = char
    return pairs


def _restore(parts: list[str], translation: str, block: _Block) -> tuple[list[str], bool]:
    """`parts` (the translation spread over the block's lines) with the markers replaced by their
    markup (True) when each came back once and every opening before its closing; else the words
    with the atomic pieces only, a missing one after the last word (False)."""
    present = [c for c in translation if c in block.markers]
    ok = len(present) == len(set(present)) == len(block.markers)
    position = {c: i for i, c in enumerate(present)}
    for opening, closing in block.paired.items():
        if ok and closing and position.get(opening, -1) > position.get(closing, -1):
            ok = False
    paired = set(block.paired) | {c for c in block.paired.values() if c}
    used: set[str] = set()
    out = []
    for part in parts:
        pieces = []
        for char in part:
            if char not in block.markers:
                pieces.append(char)
            elif char not in used and (ok or char not in paired):
                used.add(char)
                pieces.append(block.markers[char])
        out.append("".join(pieces))
    missing = [block.markers[c] for c in block.markers if c not in used and c not in paired]
    if missing:
        out[-1] = " ".join([out[-1].rstrip(), *missing]).strip()
    return out, ok and not missing
