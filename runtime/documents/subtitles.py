"""Subtitles: SubRip (.srt, with the `srt` library) and WebVTT (.vtt). Numbering, identifiers,
timings, cue settings and every block that is not a cue (WebVTT's header, NOTE, STYLE, REGION)
stay as they are; a sentence running over several cues is translated as one sentence and its
translation split back over the same cues, in proportion to their lengths, at word boundaries.

WebVTT is read here (its blocks are lines between blank lines, which round-trip exactly), because
the Python WebVTT libraries rewrite what they do not model (notes, styles, settings)."""

from __future__ import annotations

import re

from . import DocumentError, Extracted, require

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


class SrtFormat:
    name = "srt"
    suffixes = (".srt",)

    def extract(self, data: bytes) -> Extracted:
        srt = require("srt")
        try:
            cues = list(srt.parse(data.decode("utf-8-sig")))
        except (UnicodeDecodeError, srt.SRTParseError, ValueError) as exc:
            raise DocumentError(f"not a readable SubRip file: {str(exc).splitlines()[0][:200]}") from None
        groups = _sentences([cue.content for cue in cues])
        segments = [" ".join(" ".join(cues[i].content.split()) for i in group) for group in groups]

        def rebuild(translations: list[str]) -> bytes:
            for group, translation in zip(groups, translations):
                lengths = [len(" ".join(cues[i].content.split())) for i in group]
                for i, part in zip(group, split_proportionally(translation, lengths)):
                    cues[i].content = _rewrap(part, cues[i].content)
            return srt.compose(cues, reindex=False).encode("utf-8")

        return Extracted(segments, rebuild)


_TIMING = re.compile(r"^\s*(?:\d+:)?\d{2}:\d{2}\.\d{3}\s+-->\s+(?:\d+:)?\d{2}:\d{2}\.\d{3}")
_VOICE_OR_TAG = re.compile(r"<[^>]+>")


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
            if any(_VOICE_OR_TAG.search(line) for line in lines[timing + 1:]):
                continue  # styled cues (<v Name>, <b>): left as they are
            cues.append((index, lines, timing + 1))
        texts = [" ".join(" ".join(lines[first:]).split()) for _, lines, first in cues]
        groups = _sentences(texts)
        segments = [" ".join(texts[i] for i in group) for group in groups]

        def rebuild(translations: list[str]) -> bytes:
            for group, translation in zip(groups, translations):
                for i, part in zip(group, split_proportionally(translation, [len(texts[i]) for i in group])):
                    index, lines, first = cues[i]
                    payload = _rewrap(part, "\n".join(lines[first:])).split("\n")
                    ending = blocks[index][len(blocks[index].rstrip("\r\n")):]  # the file's last line end
                    blocks[index] = "\n".join([*lines[:first], *payload]) + ending
            return "".join(blocks).encode("utf-8")

        return Extracted(segments, rebuild)


def split_proportionally(text: str, lengths: list[int]) -> list[str]:
    """`text` cut at word boundaries into len(lengths) parts, each about its share of the whole."""
    words = text.split()
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
