"""SubRip subtitles (.srt) with the `srt` library: numbering, timings and positions stay as
they are; a sentence running over several cues is translated as one sentence and its
translation split back over the same cues, in proportion to their lengths, at word boundaries."""

from __future__ import annotations

import re

from . import DocumentError, Extracted, require

# A cue whose text ends like this closes a sentence; otherwise the sentence runs on.
_SENTENCE_END = re.compile(r"[.!?…♪][\"'»”’)\]]*\s*$")


class SrtFormat:
    name = "srt"
    suffixes = (".srt",)

    def extract(self, data: bytes) -> Extracted:
        srt = require("srt")
        try:
            cues = list(srt.parse(data.decode("utf-8-sig")))
        except (UnicodeDecodeError, srt.SRTParseError, ValueError) as exc:
            raise DocumentError(f"not a readable SubRip file: {str(exc).splitlines()[0][:200]}") from None
        groups: list[list[int]] = []  # cue indices whose texts form one segment
        current: list[int] = []
        for index, cue in enumerate(cues):
            current.append(index)
            if _SENTENCE_END.search(cue.content) or index == len(cues) - 1:
                groups.append(current)
                current = []
        segments = [" ".join(" ".join(cues[i].content.split()) for i in group) for group in groups]

        def rebuild(translations: list[str]) -> bytes:
            for group, translation in zip(groups, translations):
                lengths = [len(" ".join(cues[i].content.split())) for i in group]
                for i, part in zip(group, split_proportionally(translation, lengths)):
                    cues[i].content = _rewrap(part, cues[i].content)
            return srt.compose(cues, reindex=False).encode("utf-8")

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
