"""Word documents (.docx): the paragraphs of the body, of table cells, headers and footers are
translated; every other part of the package is copied byte for byte.

The package is a zip; its text parts (word/document.xml, word/header*.xml, word/footer*.xml) are
edited with lxml, nothing else is parsed. In a paragraph, runs with the same formatting form a
span; when a paragraph mixes formats (bold, italic, a link), each span but the longest is wrapped
in private-use characters, put back around the words the attention aligns with its words
(alignment.py); runs that hold something other than text (a tab, a break, a picture) go through
the model as one piece the runtime protects. If the spans do not come back in order, the
paragraph keeps its text in the longest span's format, its pieces after it (counted:
`markup_dropped`). Paragraphs holding fields, comments or tracked changes are left as they are.
"""

from __future__ import annotations

import copy
import io
import re
import zipfile
import zlib
from dataclasses import dataclass, field

from . import DocumentError, Extracted, require
from .markers import TooManyMarkers, escaped, marker

W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
_Q = f"{{{W}}}"
_TEXT_PARTS = re.compile(r"word/(document|header\d*|footer\d*)\.xml")
# Children a translatable paragraph may have; anything else (fields, comments, tracked changes)
# leaves the paragraph untouched.
_PLAIN_CHILDREN = {_Q + n for n in ("pPr", "r", "hyperlink", "proofErr", "bookmarkStart", "bookmarkEnd")}
# A .docx is refused unread beyond these (a zip bomb: small file, gigabytes inflated).
MAX_UNPACKED_BYTES = 256 << 20
MAX_RATIO = 200


@dataclass
class _Span:
    runs: list  # the w:r elements of the span, in order
    parent: object  # the paragraph, or the w:hyperlink that holds the runs
    atomic: bool = False  # a run that holds something other than text


@dataclass
class _Paragraph:
    element: object
    spans: list[_Span]
    base: int  # the span whose format the unmarked text takes
    markers: dict[str, tuple[int, str]] = field(default_factory=dict)  # marker -> (span, "open"|"close"|"piece")
    # Markers standing for a character of the markers' range already in the text -> that character.
    literals: dict[str, str] = field(default_factory=dict)


class DocxFormat:
    name = "docx"
    suffixes = (".docx",)

    def extract(self, data: bytes) -> Extracted:
        etree = require("lxml.etree")
        try:
            archive = zipfile.ZipFile(io.BytesIO(data))
            members = archive.infolist()
        except (zipfile.BadZipFile, OSError, ValueError) as exc:
            raise DocumentError(f"not a readable Word document (not a zip: {exc})") from None
        unpacked = sum(m.file_size for m in members)
        if unpacked > MAX_UNPACKED_BYTES or unpacked > MAX_RATIO * max(len(data), 1):
            raise DocumentError(f"not translated: its parts unpack to {unpacked:,} bytes, more than a document "
                                f"holds (a zip bomb?)")
        # Every part is read (and so checked: its CRC, method, size and encryption) before any work,
        # so that a damaged one is an error now, not after the translation.
        parts: dict[str, bytes] = {}
        for member in members:
            try:
                parts[member.filename] = archive.read(member)
            except (zipfile.BadZipFile, NotImplementedError, RuntimeError, OSError, EOFError, ValueError,
                    zlib.error) as exc:
                raise DocumentError(f"not a readable Word document: part {member.filename[:100]!r} is damaged or "
                                    f"encrypted ({str(exc)[:120]})") from None
        names = [m.filename for m in members]
        if "word/document.xml" not in names:
            raise DocumentError("not a Word document: no word/document.xml")
        parser = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False)
        trees, paragraphs, segments = {}, [], []
        for name in names:
            if not _TEXT_PARTS.fullmatch(name):
                continue
            try:
                trees[name] = etree.fromstring(parts[name], parser)
            except etree.XMLSyntaxError as exc:
                raise DocumentError(f"not a readable Word document: {name}: {str(exc)[:200]}") from None
            for element in trees[name].iter(_Q + "p"):
                paragraph = _paragraph(element)
                if paragraph is None:
                    continue
                try:
                    segment = _marked_text(paragraph, [0])  # markers are numbered per paragraph
                except TooManyMarkers:
                    continue  # more runs than markers: the paragraph is left as it is
                paragraphs.append(paragraph)
                segments.append(segment)

        def rebuild(translations: list[str]) -> bytes:
            dropped = sum(not _rewrite(paragraph, translation) for paragraph, translation in zip(paragraphs, translations))
            extracted.counts["markup_dropped"] = dropped
            out = io.BytesIO()
            with zipfile.ZipFile(out, "w") as package:
                for member in members:
                    if member.filename in trees:
                        payload = etree.tostring(trees[member.filename], xml_declaration=True, encoding="UTF-8",
                                                 standalone=True)
                        package.writestr(member, payload, compress_type=member.compress_type)
                    else:  # byte for byte, its compression as it was
                        package.writestr(member, parts[member.filename], compress_type=member.compress_type)
            return out.getvalue()

        extracted = Extracted(segments, rebuild, pairs=[_pairs(paragraph) for paragraph in paragraphs])
        return extracted


def _text_of(run) -> str | None:
    """The text of a run that holds only text (and its format); None for any other run."""
    parts = []
    for child in run:
        if child.tag == _Q + "rPr":
            continue
        if child.tag != _Q + "t":
            return None
        # A comment or processing instruction inside the text is no text, but the text goes on
        # after it (in its tail): all of it is the run's text (it was cut at the comment).
        if any(isinstance(inner.tag, str) for inner in child):
            return None
        parts.append((child.text or "") + "".join(inner.tail or "" for inner in child))
    return "".join(parts)


def _format_key(run) -> bytes:
    from lxml import etree

    properties = run.find(_Q + "rPr")
    return b"" if properties is None else etree.tostring(properties)


def _paragraph(element) -> _Paragraph | None:
    if any(child.tag not in _PLAIN_CHILDREN for child in element):
        return None
    spans: list[_Span] = []
    for child in element:
        runs = [child] if child.tag == _Q + "r" else list(child.iter(_Q + "r")) if child.tag == _Q + "hyperlink" else []
        parent = element if child.tag == _Q + "r" else child
        for run in runs:
            if _text_of(run) is None:
                spans.append(_Span([run], parent, atomic=True))
            elif spans and not spans[-1].atomic and spans[-1].parent is parent \
                    and _format_key(spans[-1].runs[-1]) == _format_key(run):
                spans[-1].runs.append(run)
            else:
                spans.append(_Span([run], parent))
    texts = ["" if s.atomic else "".join(_text_of(r) for r in s.runs) for s in spans]
    if not "".join(texts).strip():
        return None
    base = max(range(len(spans)), key=lambda i: (not spans[i].atomic and spans[i].parent is element, len(texts[i])))
    return _Paragraph(element, spans, base)


def _marker(paragraph: _Paragraph, span: int, role: str, counter: list[int]) -> str:
    char = marker(counter[0])
    counter[0] += 1
    paragraph.markers[char] = (span, role)
    return char


def _literal(paragraph: _Paragraph, text: str, counter: list[int]) -> str:
    char = marker(counter[0])
    counter[0] += 1
    paragraph.literals[char] = text
    return char


def _pairs(paragraph: _Paragraph) -> dict[str, str]:
    """The paragraph's styled spans as (opening marker -> closing marker)."""
    opening: dict[int, str] = {}
    pairs = {}
    for char, (span, role) in paragraph.markers.items():
        if role == "open":
            opening[span] = char
        elif role == "close":
            pairs[opening[span]] = char
    return pairs


def _marked_text(paragraph: _Paragraph, counter: list[int]) -> str:
    out = []
    for index, span in enumerate(paragraph.spans):
        if span.atomic:
            out.append(_marker(paragraph, index, "piece", counter))
            continue
        text = escaped("".join(_text_of(r) for r in span.runs), lambda char: _literal(paragraph, char, counter))
        if index == paragraph.base:
            out.append(text)
        else:
            out += [_marker(paragraph, index, "open", counter), text, _marker(paragraph, index, "close", counter)]
    return "".join(out)


def _rewrite(paragraph: _Paragraph, translation: str) -> bool:
    """Put `translation` into the paragraph; False when its spans had to be given up."""
    order = [c for c in translation if c in paragraph.markers]
    ok = len(order) == len(set(order)) == len(paragraph.markers)
    current = None
    for char in order if ok else []:
        span, role = paragraph.markers[char]
        if role == "open":
            ok = ok and current is None
            current = span
        elif role == "close":
            ok = ok and current == span
            current = None
    ok = ok and current is None
    pieces: list[tuple[int, str]] = []  # (span, text or "" for an atomic run)
    span = paragraph.base
    buffer: list[str] = []
    placed_atomic = set()
    placed_literals: set[str] = set()

    def emit(target: int) -> None:
        if buffer:
            pieces.append((target, "".join(buffer)))
            buffer.clear()

    for char in translation:
        if char in paragraph.literals:
            if char not in placed_literals:
                buffer.append(paragraph.literals[char])
                placed_literals.add(char)
            continue
        if char not in paragraph.markers:
            buffer.append(char)
            continue
        index, role = paragraph.markers[char]
        if role == "piece" and index not in placed_atomic:
            emit(span)
            pieces.append((index, ""))
            placed_atomic.add(index)
        elif ok and role == "open":
            emit(span)
            span = index
        elif ok and role == "close":
            emit(span)
            span = paragraph.base
    # A character the model dropped goes after the words, never lost.
    buffer += [text for char, text in paragraph.literals.items() if char not in placed_literals]
    emit(span)
    for index, candidate in enumerate(paragraph.spans):
        if candidate.atomic and index not in placed_atomic:
            pieces.append((index, ""))  # a piece the model dropped: after the text, never lost
    _replace_runs(paragraph, pieces)
    return ok and len(placed_atomic) == sum(s.atomic for s in paragraph.spans)


def _replace_runs(paragraph: _Paragraph, pieces: list[tuple[int, str]]) -> None:
    from lxml import etree

    element = paragraph.element
    for span in paragraph.spans:
        for run in span.runs:
            run.getparent().remove(run)
    for child in list(element):  # emptied hyperlinks
        if child.tag == _Q + "hyperlink" and not len(child.findall(".//" + _Q + "r")):
            element.remove(child)
    containers: dict[int, object] = {}
    for index, text in pieces:
        span = paragraph.spans[index]
        if span.atomic:
            run = span.runs[0]
        else:
            run = etree.Element(_Q + "r")
            properties = span.runs[0].find(_Q + "rPr")
            if properties is not None:
                run.append(copy.deepcopy(properties))
            t = etree.SubElement(run, _Q + "t")
            t.text = text
            t.set("{http://www.w3.org/XML/1998/namespace}space", "preserve")
        if span.parent is element:
            element.append(run)
        else:  # inside its link again: one hyperlink element per span, its attributes as they were
            if index not in containers:
                container = copy.deepcopy(span.parent)
                for inner in list(container):
                    container.remove(inner)
                containers[index] = container
                element.append(container)
            containers[index].append(run)
