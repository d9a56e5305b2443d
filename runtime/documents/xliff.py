"""XLIFF 1.2 and 2.0 (.xlf, .xliff) with lxml: every source without a translation gets a target
(1.2: `state="needs-review-translation"`, 2.0: the segment's `state="translated"`); units marked
translate="no" and existing targets are left alone; everything else in the file is kept.

Inline codes become private-use characters: paired ones (1.2 `g`, `mrk`; 2.0 `pc`, `mrk`) are
put back around the words the attention aligns with the words they hold (alignment.py), the
others (`x`, `ph`, `bx`, `ex`, `bpt`, `ept`, `it`, `sc`, `ec`) go through the model as pieces the
runtime protects. A target whose paired codes do not come back in order
keeps its words with the pieces only (counted: `markup_dropped`).
"""

from __future__ import annotations

import copy
import io
from dataclasses import dataclass, field

from . import DocumentError, Extracted, icu, require
from .markers import TooManyMarkers, escaped, marker, well_nested

XLIFF_12 = "urn:oasis:names:tc:xliff:document:1.2"
XLIFF_20 = "urn:oasis:names:tc:xliff:document:2.0"
_PAIRED = {"g", "mrk", "pc"}


@dataclass
class _Entry:
    source: object  # the <source> element
    place: object  # where the new <target> goes: the trans-unit (1.2) or the segment (2.0)
    after: object  # the element the new target follows
    markers: dict[str, tuple[str, object]] = field(default_factory=dict)  # marker -> (role, element)
    paired: dict[str, str] = field(default_factory=dict)  # opening marker -> closing marker


class XliffFormat:
    name = "xliff"
    suffixes = (".xlf", ".xliff")

    def extract(self, data: bytes) -> Extracted:
        etree = require("lxml.etree")
        parser = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False)
        try:
            root = etree.parse(io.BytesIO(data), parser).getroot()
        except etree.XMLSyntaxError as exc:
            raise DocumentError(f"not a readable XLIFF file: {str(exc)[:200]}") from None
        namespace = etree.QName(root).namespace
        if etree.QName(root).localname != "xliff" or namespace not in (XLIFF_12, XLIFF_20):
            raise DocumentError("not an XLIFF 1.2 or 2.0 file (its root is not <xliff> of either namespace)")
        q = lambda name: f"{{{namespace}}}{name}"  # noqa: E731
        entries: list[_Entry] = []
        if namespace == XLIFF_12:
            for unit in root.iter(q("trans-unit")):
                target = unit.find(q("target"))
                if unit.get("translate") == "no" or unit.find(q("source")) is None or _has_text(target):
                    continue
                entries.append(_Entry(unit.find(q("source")), unit, unit.find(q("source")), {}))
        else:
            for unit in root.iter(q("unit")):
                if unit.get("translate") == "no":
                    continue
                for segment in unit.iter(q("segment")):
                    source = segment.find(q("source"))
                    if source is not None and not _has_text(segment.find(q("target"))):
                        entries.append(_Entry(source, segment, source, {}))
        segments = [_segment(entry) for entry in entries]
        keep = [i for i, s in enumerate(segments) if s]
        entries, segments = [entries[i] for i in keep], [segments[i] for i in keep]

        def rebuild(translations: list[str]) -> bytes:
            dropped = 0
            for entry, translation in zip(entries, translations):
                old = entry.place.find(q("target"))
                target = etree.Element(q("target"))
                if old is not None:
                    target.attrib.update(old.attrib)
                    entry.place.replace(old, target)
                else:
                    target.tail = entry.after.tail
                    entry.after.addnext(target)
                dropped += not _fill(target, translation, entry)
                if namespace == XLIFF_12:
                    target.set("state", "needs-review-translation")
                else:
                    entry.place.set("state", "translated")
            extracted.counts["markup_dropped"] = dropped
            return etree.tostring(root.getroottree(), xml_declaration=True, encoding="UTF-8")

        def set_language(language: str) -> None:
            if namespace == XLIFF_12:
                for file in root.iter(q("file")):
                    file.set("target-language", file.get("target-language") or language)
            elif not root.get("trgLang"):
                root.set("trgLang", language)

        extracted = Extracted(segments, rebuild, set_language=set_language,
                              pairs=[dict(entry.paired) for entry in entries])
        return extracted


def _has_text(element) -> bool:
    return element is not None and bool("".join(element.itertext()).strip())


def _marker(entry: _Entry, role: str, element, counter: list[int]) -> str:
    char = marker(counter[0])
    counter[0] += 1
    entry.markers[char] = (role, element)
    return char


def _segment(entry: _Entry) -> str:
    """The unit's source text with its codes as markers, numbered from the first for each unit; ""
    (left untranslated) for a unit with more codes than markers, or an ICU message."""
    try:
        text = _marked(entry, entry.source, [0]).strip()
    except TooManyMarkers:
        return ""
    # An ICU plural or select message (Angular's {VAR_PLURAL, plural, ...}) is not prose: a
    # translation as one sentence would break it, so the unit is left for its source.
    return "" if icu.is_message(text) else text


def _marked(entry: _Entry, element, counter: list[int]) -> str:
    from lxml import etree

    # Characters of the markers' range already in the text stand for themselves ("text" markers).
    carry = lambda char: _marker(entry, "text", char, counter)  # noqa: E731
    out = [escaped(element.text or "", carry)]
    for child in element:
        if not isinstance(child.tag, str):  # a comment or processing instruction: a piece
            out.append(_marker(entry, "piece", child, counter))
        elif etree.QName(child).localname in _PAIRED:
            opening = _marker(entry, "open", child, counter)
            inner = _marked(entry, child, counter)
            closing = _marker(entry, "close", child, counter)
            entry.paired[opening] = closing
            out.append(opening + inner + closing)
        else:
            out.append(_marker(entry, "piece", child, counter))
        out.append(escaped(child.tail or "", carry))
    return "".join(out)


def _fill(target, translation: str, entry: _Entry) -> bool:
    """Build the target's content from `translation`; False when the paired codes were given up."""
    order = [c for c in translation if c in entry.markers]
    ok = len(order) == len(set(order)) == len(entry.markers) and well_nested(order, entry.paired)
    used: set[str] = set()
    # [element, the last child appended to it]: text goes to that child's tail, or the element's
    # text. Kept here because lxml counts an element's children by walking them, and text is
    # gathered into runs, so that filling is linear in the translation.
    stack: list[list] = [[target, target[-1] if len(target) else None]]
    pending: list[str] = []

    def flush() -> None:
        if pending:
            text = "".join(pending)
            pending.clear()
            element, last = stack[-1]
            if last is not None:
                last.tail = (last.tail or "") + text
            else:
                element.text = (element.text or "") + text

    def append(child) -> None:
        flush()
        stack[-1][0].append(child)
        stack[-1][1] = child

    for char in translation:
        role, element = entry.markers.get(char, (None, None))
        if role is None:
            pending.append(char)
        elif char in used:
            continue
        elif role == "text":
            used.add(char)
            pending.append(element)
            continue
        elif role == "piece":
            used.add(char)
            piece = copy.deepcopy(element)
            piece.tail = None
            append(piece)
        elif ok and role == "open":
            used.add(char)
            shell = copy.deepcopy(element)
            for child in list(shell):
                shell.remove(child)
            shell.text, shell.tail = None, None
            append(shell)
            stack.append([shell, None])
        elif ok and role == "close":
            used.add(char)
            flush()
            stack.pop()
    for char, (role, element) in entry.markers.items():
        if role == "text" and char not in used:  # dropped by the model: after the words, never lost
            pending.append(element)
    flush()
    for char, (role, element) in entry.markers.items():
        if role == "piece" and char not in used:  # dropped by the model: after the words, never lost
            piece = copy.deepcopy(element)
            piece.tail = None
            target.append(piece)
    return ok and all(c in used for c, (role, _) in entry.markers.items() if role in ("piece", "text"))
