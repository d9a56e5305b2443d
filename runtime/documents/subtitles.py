"""Subtitles: SubRip (.srt, with the `srt` library) and WebVTT (.vtt). Numbering, identifiers,
timings, cue settings and every block that is not a cue (WebVTT's header, NOTE, STYLE, REGION)
stay as they are; a sentence running over several cues is translated as one sentence and its
translation split back over the same cues, in proportion to their lengths, at word boundaries.

Styling inside cues (`<i>`, `<b>`, `<u>`, `<font>`, WebVTT's `<c.class>`, `<v Speaker>`, `<lang>`,
karaoke timestamps, SubRip's `{\an8}`) becomes markers: tags and override codes a cue opens with
that nothing closes (a speaker, a position) stay in front of it; paired tags are put back around
their words by the alignment and closed and opened again where a sentence's translation is
split between cues; the others are carried by the model.

WebVTT is read here (its blocks are lines between blank lines, which round-trip exactly), because
the Python WebVTT libraries rewrite what they do not model (notes, styles, settings)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from . import DocumentError, Extracted, require
from .markers import MAX_MARKERS, TooManyMarkers, escaped, marker

# A cue whose text ends like this closes a sentence; otherwise the sentence runs on.
_SENTENCE_END = re.compile(r"[.!?…♪][\"'»”’)\]]*\s*$")


def _sentences(texts: list[str]) -> list[list[int]]:
    """Indices of consecutive cue texts that form one sentence each."""
    groups: list[list[int]] = []
    current: list[int] = []
    for index, text in enumerate(texts):
        current.append(index)
        if _SENTENCE_END.search(text) or index == len(texts) - 1:
            groups.append(current)
            current = []
    return groups


# Tags in cue text: SubRip's and WebVTT's (<i>, </i>, <v Roger>, <c.yellow>, <00:01.000>) and
# SubRip's override codes ({\an8}).
_TAG = re.compile(r"</?[A-Za-z][^<>]*>|<\d[\d:.]*>|\{\\[^{}]*\}")


@dataclass
class _StyledCue:
    prefix: str  # what the cue opens with and nothing closes: written in front of its text again
    text: str  # its words, one space between them, tags as markers


@dataclass
class _Styling:
    """The markers of a subtitle file: what each stands for, and which pairs open and close."""

    tags: dict[str, str] = field(default_factory=dict)
    closing_of: dict[str, str] = field(default_factory=dict)  # opening marker -> closing marker
    counter: int = 0

    def cue(self, content: str) -> _StyledCue:
        text = " ".join(content.split())
        # Where each tag is last written: whether a tag is closed later in the cue is one look-up,
        # not a scan of the rest of the cue per leading tag.
        last_at = {match.group(): match.start() for match in _TAG.finditer(text)}
        leading, position = [], 0
        while True:  # leading tags without a closing tag in the cue: a speaker, a position
            match = _TAG.match(text, position)
            closing = _closing(match.group()) if match else None
            if match is None or closing is not None and last_at.get(closing, -1) >= match.end():
                break
            leading.append(match.group())
            position = match.end() + (text[match.end() : match.end() + 1] == " ")
        prefix, text = "".join(leading), text[position:]
        out, open_tags, position = [], [], 0
        for match in _TAG.finditer(text):
            out.append(escaped(text[position : match.start()], self._carry))
            char = marker(self.counter)
            self.counter += 1
            self.tags[char] = match.group()
            name = _name(match.group())
            if match.group().startswith("</"):
                opening = next((o for o in reversed(open_tags) if _name(self.tags[o]) == name), None)
                if opening is not None:
                    open_tags.remove(opening)
                    self.closing_of[opening] = char
            elif name:
                open_tags.append(char)
            out.append(char)
            position = match.end()
        out.append(escaped(text[position:], self._carry))
        return _StyledCue(prefix, "".join(out))

    def _carry(self, text: str) -> str:
        """A marker standing for `text` as it is (a character of the markers' range in the cue)."""
        char = marker(self.counter)
        self.counter += 1
        self.tags[char] = text
        return char

    def pairs(self, text: str) -> dict[str, str]:
        present = set(text)  # the segment's own markers: never a scan of the whole file's pairs
        return {o: self.closing_of[o] for o in text if o in self.closing_of and self.closing_of[o] in present}

    def words(self, text: str) -> str:
        """The text without its markers (what tells where a sentence ends)."""
        return " ".join("".join(c for c in text if c not in self.tags).split())

    def spread(self, translation: str, lengths: list[int]) -> list[str]:
        """The translation over the cues, each cue's tags balanced (a pair split between cues is
        closed at the end of one and opened again at the start of the next), as tags again."""
        parts = split_proportionally(translation, lengths)
        carried: list[str] = []  # openings still open at the end of the previous part
        out = []
        for part in parts:
            opened = list(carried)
            for char in part:
                if char in self.closing_of:
                    opened.append(char)
                    continue
                opening = next((o for o in reversed(opened) if self.closing_of[o] == char), None)
                if opening is not None:
                    opened.remove(opening)
            text = "".join(carried) + part + "".join(self.closing_of[o] for o in reversed(opened))
            carried = opened
            out.append("".join(self.tags.get(c, c) for c in text))
        return out


def _styled_groups(contents: list[str]) -> tuple[list[list[int]], list[_Styling], list[_StyledCue]]:
    """The cues grouped into sentences (the segments), each group's styling (its markers numbered
    afresh, so a file may hold any number of tags), and each cue styled."""
    def words(content: str) -> str:
        scratch = _Styling()
        return scratch.words(scratch.cue(content).text)

    try:
        groups = _sentences([words(content) for content in contents])
        stylings: list[_Styling] = []
        styled: dict[int, _StyledCue] = {}
        for group in groups:
            stylings.append(_Styling())
            styled.update((i, stylings[-1].cue(contents[i])) for i in group)
    except TooManyMarkers:
        raise DocumentError(f"not translated: a sentence of its cues holds more than {MAX_MARKERS} tags") from None
    return groups, stylings, [styled[i] for i in range(len(contents))]


def _name(tag: str) -> str:
    match = re.match(r"</?([A-Za-z]+)", tag)
    return match.group(1).lower() if match else ""


def _closing(tag: str) -> str | None:
    """The tag that closes `tag` (None: a closing tag, a timestamp or an override code)."""
    name = _name(tag)
    return f"</{name}>" if name and not tag.startswith("</") else None


class SrtFormat:
    name = "srt"
    suffixes = (".srt",)

    def extract(self, data: bytes) -> Extracted:
        srt = require("srt")
        try:
            text = data.decode("utf-8-sig")
            _check_timings(text)
            cues = list(srt.parse(text))
        except (UnicodeDecodeError, srt.SRTParseError, ValueError) as exc:
            raise DocumentError(f"not a readable SubRip file: {str(exc).splitlines()[0][:200]}") from None
        groups, stylings, styled = _styled_groups([cue.content for cue in cues])
        segments = [" ".join(styled[i].text for i in group) for group in groups]

        def rebuild(translations: list[str]) -> bytes:
            for group, styling, translation in zip(groups, stylings, translations):
                lengths = [len(styling.words(styled[i].text)) for i in group]
                for i, part in zip(group, styling.spread(translation, lengths)):
                    cues[i].content = styled[i].prefix + _rewrap(part, cues[i].content)
            composed = srt.compose(cues, reindex=False)
            if "\r\n" in text:  # the file's own line ends (srt writes \n)
                composed = composed.replace("\r\n", "\n").replace("\n", "\r\n")
            return composed.encode("utf-8")

        return Extracted(segments, rebuild, pairs=[styling.pairs(s) for styling, s in zip(stylings, segments)])


# A SubRip timing line: hours, minutes, seconds and milliseconds on both sides (a comma, or the
# full stop some players write), then optional position coordinates.
_SRT_TIMING = re.compile(r"[ \t]*\d{2,}:[0-5]\d:[0-5]\d[,.]\d{3}[ \t]+-->[ \t]+\d{2,}:[0-5]\d:[0-5]\d[,.]\d{3}(?:[ \t].*)?")


_TIMING_LIKE = re.compile(r"[ \t]*-?[\d:,.]+[ \t]*-->")  # not a line of dialogue holding an arrow


def _check_timings(text: str) -> None:
    """Every line that reads as a timing must be one, whole: the parser would take a malformed
    one ("00:02,500 --> 00:04,000", a negative time) as another time or as text, and the file would
    be written back with timings it never had."""
    for number, line in enumerate(text.splitlines(), 1):
        if "-->" in line and _TIMING_LIKE.match(line) and not _SRT_TIMING.fullmatch(line.rstrip()):
            raise ValueError(f"line {number}: malformed timing {line.strip()[:60]!r}")


_TIMING = re.compile(r"^\s*(?:\d+:)?\d{2}:\d{2}\.\d{3}\s+-->\s+(?:\d+:)?\d{2}:\d{2}\.\d{3}")


class VttFormat:
    name = "vtt"
    suffixes = (".vtt",)

    def extract(self, data: bytes) -> Extracted:
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise DocumentError(f"not a readable WebVTT file: not UTF-8 (byte {exc.start + 1})") from None
        if not text.startswith("WEBVTT"):
            raise DocumentError("not a readable WebVTT file: it does not start with WEBVTT")
        blocks = re.split(r"(\r?\n(?:[ \t]*\r?\n)+)", text)  # blocks and the blank lines between them, kept
        cues: list[tuple[int, list[str], int]] = []  # (block index, its lines, first payload line)
        for index in range(0, len(blocks), 2):
            lines = blocks[index].splitlines()
            timing = next((n for n, line in enumerate(lines[:2]) if _TIMING.match(line)), None)
            if timing is None or blocks[index].startswith(("NOTE", "STYLE", "REGION", "WEBVTT")):
                continue
            cues.append((index, lines, timing + 1))
        groups, stylings, styled = _styled_groups(["\n".join(lines[first:]) for _, lines, first in cues])
        segments = [" ".join(styled[i].text for i in group) for group in groups]

        def rebuild(translations: list[str]) -> bytes:
            for group, styling, translation in zip(groups, stylings, translations):
                lengths = [len(styling.words(styled[i].text)) for i in group]
                for i, part in zip(group, styling.spread(translation, lengths)):
                    index, lines, first = cues[i]
                    payload = (styled[i].prefix + _rewrap(part, "\n".join(lines[first:]))).split("\n")
                    ending = blocks[index][len(blocks[index].rstrip("\r\n")):]  # the file's last line end
                    blocks[index] = "\n".join([*lines[:first], *payload]) + ending
            return "".join(blocks).encode("utf-8")

        return Extracted(segments, rebuild, pairs=[styling.pairs(s) for styling, s in zip(stylings, segments)])


_OPENING = "«“‘„([{¿¡"  # punctuation that goes with the word after it


def _units(text: str) -> list[str]:
    """The words of `text`, each with the punctuation written apart after it (French "Bonjour !"):
    a cut never leaves a part of punctuation alone."""
    units: list[str] = []
    pending = ""  # punctuation before the first word ("« Oui")
    for word in text.split():
        if any(c.isalnum() for c in word):
            units.append(f"{pending} {word}".strip())
            pending = ""
        elif units and not all(c in _OPENING for c in word):
            units[-1] += " " + word
        else:
            pending = f"{pending} {word}".strip()
    if pending:  # opening marks with no word after them
        units = units[:-1] + [f"{units[-1]} {pending}"] if units else [pending]
    return units


def split_proportionally(text: str, lengths: list[int]) -> list[str]:
    """`text` cut at word boundaries into len(lengths) parts, each about its share of the whole;
    punctuation written apart stays with its word."""
    words = _units(text)
    if len(lengths) == 1 or not words:
        return [text] + [""] * (len(lengths) - 1)
    total = sum(lengths) or 1
    parts, start, consumed = [], 0, 0
    for k, length in enumerate(lengths[:-1]):
        consumed += length
        target = consumed / total * len(" ".join(words))
        end, position = start, len(" ".join(words[:start]))
        while end < len(words) and position + len(words[end]) / 2 <= target:
            position += len(words[end]) + 1
            end += 1
        end = max(end, min(start + 1, len(words) - (len(lengths) - 1 - k)))  # every cue keeps a word if it can
        parts.append(" ".join(words[start:end]))
        start = end
    parts.append(" ".join(words[start:]))
    return parts


def _rewrap(text: str, original: str) -> str:
    """Two lines where the cue had two (split at the middle word), else one."""
    if "\n" not in original.strip() or len(text.split()) < 2:
        return text
    words = text.split()
    half = len(text) / 2
    position, cut = 0, 1
    for cut in range(1, len(words)):
        position += len(words[cut - 1]) + 1
        if position >= half:
            break
    return " ".join(words[:cut]) + "\n" + " ".join(words[cut:])
