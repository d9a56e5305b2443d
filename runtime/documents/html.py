"""Web pages (.html, .htm, .xhtml) with Beautiful Soup: only text is translated, block by block,
with the inline markup inside a sentence put back around the right words; everything else is
left as it was.

- Segments: the text of each block element (p, li, td, h1...), split at nested blocks; and the
  attributes people read (alt, title, placeholder, aria-label).
- Untouched: script, style, pre, textarea, code, kbd, samp, var, svg, math, comments, and any
  element marked translate="no" (with all it holds).
- Inline markup (b, i, em, strong, a, span, br, ... and inline code as one piece) becomes
  private-use characters, one per tag. Paired tags are put back around the target words the
  attention aligns with their words (alignment.py); the others (br, img, inline code) are
  protected as items the model carries as placeholders. A translation whose tags do not come back
  well nested keeps its text without the inline tags (counted: `markup_dropped`); the page stays
  valid.
- `<html lang>` becomes the target language.
- The page's character encoding is kept: its byte order mark, else its declared charset (`<meta
  charset>`), else UTF-8; a character the encoding cannot hold is written as a numeric reference.
  So are its entities: a character the page wrote as an entity (&eacute;, &nbsp;, &#8217;) is
  written with that entity wherever it appears, translations included; & < > are always escaped.
"""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass, field

from . import DocumentError, Extracted, require
from .markers import TooManyMarkers, escaped, is_marker, marker, well_nested

BLOCKS = frozenset("""address article aside blockquote body caption dd details dialog div dl dt fieldset figcaption
figure footer form h1 h2 h3 h4 h5 h6 header hr html legend li main nav ol option p section summary table tbody
td tfoot th thead title tr ul button label""".split())
UNTOUCHED = frozenset("script style pre textarea code kbd samp var svg math noscript template".split())
VOID = frozenset("br img wbr".split())
READ_ATTRIBUTES = ("alt", "title", "placeholder", "aria-label")
# The head's metadata: a stylesheet's title names it for the browser, not for a reader.
METADATA = frozenset("link meta base".split())
# Blocks and inline elements are read recursively: deeper nesting than this (real pages stay far
# below a hundred) is refused in one line rather than running out of stack.
MAX_NESTING = 256


@dataclass
class _Run:
    nodes: list  # consecutive inline nodes of one block
    markers: dict[str, str] = field(default_factory=dict)  # marker character -> the HTML it stands for
    pairs: list[tuple[str, str]] = field(default_factory=list)  # (opening, closing) markers
    # Markers whose HTML is written again at rebuild, after the element's attributes (a link's
    # title, an image's alt) are translated: marker -> (element, "open" | "whole").
    elements: dict[str, tuple[object, str]] = field(default_factory=dict)
    before: str = ""
    after: str = ""


class HtmlFormat:
    name = "html"
    suffixes = (".html", ".htm", ".xhtml")

    def extract(self, data: bytes) -> Extracted:
        bs4 = require("bs4")
        text, encoding, bom = _decoded(data)
        formatter = _entity_formatter(_entities_of(text))
        soup = bs4.BeautifulSoup(text, "html.parser")
        depth = _nesting(soup)
        if depth > MAX_NESTING:
            raise DocumentError(f"not translated: elements nested {depth} deep, more than the {MAX_NESTING} "
                                "a page is read to")
        runs: list[_Run] = []
        attributes: list[tuple] = []  # (element, attribute name)
        segments: list[str] = []
        counter = [0]

        def carry(html: str, run: _Run) -> str:
            char = marker(counter[0])
            counter[0] += 1
            run.markers[char] = html
            return char

        def inline_text(node, run: _Run) -> str:
            if isinstance(node, bs4.CData):
                return carry(node.output_ready(), run)  # hidden in HTML: carried, never translated
            if isinstance(node, bs4.NavigableString):
                return "" if isinstance(node, bs4.Comment) else escaped(str(node), lambda char: carry(char, run))
            if node.name in VOID:
                char = carry(str(node), run)
                run.elements[char] = (node, "whole")
                return char
            if node.name in UNTOUCHED or node.get("translate") == "no":
                return carry(str(node), run)  # one piece, carried as it is
            opening = carry(_opening_tag(node), run)
            run.elements[opening] = (node, "open")
            inner = "".join(inline_text(child, run) for child in node.children)
            closing = carry(f"</{node.name}>", run)
            run.pairs.append((opening, closing))
            return opening + inner + closing

        def visit(element) -> None:
            if element.name in UNTOUCHED or element.get("translate") == "no":
                return
            for name in READ_ATTRIBUTES if element.name not in METADATA else ():
                if isinstance(element.get(name), str) and element[name].strip():
                    attributes.append((element, name))
            current: list = []
            for child in list(element.children):
                if isinstance(child, (bs4.Comment, bs4.CData, bs4.Doctype, bs4.Declaration, bs4.ProcessingInstruction)):
                    flush(current)
                    current = []
                elif isinstance(child, bs4.NavigableString) or (child.name not in BLOCKS and not _holds_block(child)):
                    current.append(child)
                else:
                    flush(current)
                    current = []
                    visit(child)
            flush(current)

        def collect_attributes(node) -> None:
            if isinstance(node, bs4.NavigableString) or node.name in UNTOUCHED or node.get("translate") == "no":
                return
            for name in READ_ATTRIBUTES if node.name not in METADATA else ():
                if isinstance(node.get(name), str) and node[name].strip():
                    attributes.append((node, name))
            for child in node.children:
                collect_attributes(child)

        def flush(nodes: list) -> None:
            if not nodes:
                return
            run = _Run(nodes)
            counter[0] = 0  # markers are numbered per segment
            try:
                content = "".join(inline_text(node, run) for node in nodes)
            except TooManyMarkers:
                return  # more inline tags in one block than markers: the block is left as it is
            for child in nodes:
                collect_attributes(child)
            words = "".join(c for c in content if not is_marker(c))
            if not words.strip():
                return
            stripped = content.strip()
            run.before = content[: len(content) - len(content.lstrip())]
            run.after = content[len(content.rstrip()):]
            runs.append(run)
            segments.append(" ".join(stripped.split()))  # a block's line breaks are layout, not text

        visit(soup)
        segments += [element[name] for element, name in attributes]

        def rebuild(translations: list[str]) -> bytes:
            dropped = kept = 0
            # Attributes first, so that the tags written back around the text carry their translations.
            for (element, name), translation in zip(attributes, translations[len(runs):]):
                element[name] = translation
            for run, translation in zip(runs, translations):
                for char, (element, kind) in run.elements.items():
                    run.markers[char] = _opening_tag(element) if kind == "open" else str(element)
                anchor = run.nodes[0]
                if not run.markers:  # text alone (most blocks): no markup to parse back
                    anchor.insert_before(bs4.NavigableString(run.before + translation + run.after))
                else:
                    html, ok = _with_markup(translation, run)
                    if not ok and _holds_link(run):
                        # A link or an anchor is never lost: one goes around the whole translation;
                        # a block of several keeps its source (counted with the kept segments).
                        html = _around_whole(translation, run)
                        if html is None:
                            kept += 1
                            continue
                        ok = True  # the pair is whole, around the whole translation
                    dropped += not ok
                    fragment = bs4.BeautifulSoup(run.before + html + run.after, "html.parser")
                    for node in list(fragment.contents):
                        anchor.insert_before(node.extract())
                for node in run.nodes:
                    node.extract()
            extracted.counts["markup_dropped"] = dropped
            extracted.counts["kept_source"] = kept
            # eventual_encoding=None: the page's charset declaration stays as written (it is still true).
            return bom + soup.decode(eventual_encoding=None, formatter=formatter).encode(encoding,
                                                                                         errors="xmlcharrefreplace")

        def set_language(language: str) -> None:
            for name in ("lang", "xml:lang"):  # XHTML says it twice
                if soup.html is not None and soup.html.get(name):
                    soup.html[name] = language

        extracted = Extracted(segments, rebuild, set_language=set_language,
                              pairs=[dict(run.pairs) for run in runs] + [{} for _ in attributes])
        return extracted


def _decoded(data: bytes) -> tuple[str, str, bytes]:
    """(text, encoding, byte order mark) of a page: by its byte order mark, else the charset it
    declares, else UTF-8; bytes the encoding cannot read are a DocumentError."""
    from bs4.dammit import EncodingDetector

    body, bom_encoding = EncodingDetector.strip_byte_order_mark(data)
    bom = data[: len(data) - len(body)]
    declared = EncodingDetector.find_declared_encoding(body, is_html=True)
    encoding = bom_encoding or declared or "utf-8"
    try:
        encoding = codecs.lookup(encoding).name
    except LookupError:
        raise DocumentError(f"not a readable HTML file: unknown character encoding {encoding!r}") from None
    if not bom_encoding and not _ascii_compatible(encoding):
        # As browsers read pages (the WHATWG encoding rules): a page that could declare its
        # encoding in ASCII is ASCII-compatible, so a declared UTF-16 means UTF-8, and an encoding
        # such as UTF-7, which turns inert text into markup, is not taken from a declaration.
        encoding = "utf-8"
    try:
        return body.decode(encoding), encoding, bom
    except UnicodeDecodeError as exc:
        raise DocumentError(f"not a readable HTML file: not {encoding} (byte {exc.start + 1})") from None


def _ascii_compatible(encoding: str) -> bool:
    sample = "<meta charset=x> &amp; +ADw- ~{}"
    try:
        return sample.encode(encoding) == sample.encode("ascii") and b"+ADw-".decode(encoding) == "+ADw-"
    except (UnicodeError, LookupError):
        return False


_ENTITY = re.compile(r"&(?:#[0-9]+|#[xX][0-9a-fA-F]+|[A-Za-z][A-Za-z0-9]*);")


def _entities_of(text: str) -> dict[str, str]:
    """Each character the page writes as an entity (but & < >, always escaped), with the first
    entity it uses for it."""
    import html

    written: dict[str, str] = {}
    for match in _ENTITY.finditer(text):
        char = html.unescape(match.group(0))
        if len(char) == 1 and char not in "&<>" and char not in written:
            written[char] = match.group(0)
    return written


def _entity_formatter(written: dict[str, str]):
    """Beautiful Soup's minimal formatter (& < > escaped), writing `written`'s characters as the
    page's own entities."""
    from bs4.dammit import EntitySubstitution
    from bs4.formatter import HTMLFormatter

    def substitute(value: str) -> str:
        value = EntitySubstitution.substitute_xml(value)
        return "".join(written.get(char, char) for char in value) if written else value

    return HTMLFormatter(entity_substitution=substitute)


def _nesting(soup) -> int:
    """How deep the page's elements nest (without recursion)."""
    deepest, stack = 0, [(soup, 0)]
    while stack:
        element, depth = stack.pop()
        deepest = max(deepest, depth)
        stack.extend((child, depth + 1) for child in getattr(element, "contents", ()) if hasattr(child, "contents"))
    return deepest


def _holds_block(element) -> bool:
    return any(getattr(child, "name", None) in BLOCKS for child in element.find_all(True))


def _opening_tag(element) -> str:
    import html

    attributes = "".join(
        f' {name}="{html.escape(" ".join(value) if isinstance(value, list) else str(value), quote=True)}"'
        for name, value in element.attrs.items())
    return f"<{element.name}{attributes}>"


def _holds_link(run: _Run) -> bool:
    return any(run.markers[opening].startswith("<a") and run.markers[opening][2:3] in (" ", ">")
               for opening, _ in run.pairs)


def _around_whole(translation: str, run: _Run) -> str | None:
    """The translation inside the block's one pair of tags (its other markup as _with_markup puts
    it); None for a block of several pairs, which no single place can hold."""
    if len(run.pairs) != 1:
        return None
    opening, closing = run.pairs[0]
    inner = _Run(run.nodes, {c: h for c, h in run.markers.items() if c not in (opening, closing)}, [])
    html, _ = _with_markup("".join(c for c in translation if c not in (opening, closing)), inner)
    return run.markers[opening] + html + run.markers[closing]


def _with_markup(translation: str, run: _Run) -> tuple[str, bool]:
    """The translation as HTML with its markers replaced by their tags (True), if the paired tags
    came back once each and well nested; else its text with the pieces alone (inline code, line
    breaks, images) and the paired tags left out (False). A piece the model dropped is put at the
    end of the block: what was not to be translated is never lost."""
    import html

    paired = {c for pair in run.pairs for c in pair}
    nested = well_nested(translation, dict(run.pairs))
    out, used = [], set()
    for char in translation:
        if char not in run.markers:
            out.append(html.escape(char, quote=False))
        elif char not in used and (nested or char not in paired):
            used.add(char)
            out.append(run.markers[char])
    pieces = [c for c in run.markers if c not in paired and c not in used]
    out += [run.markers[c] for c in pieces]
    return "".join(out), nested and not pieces
