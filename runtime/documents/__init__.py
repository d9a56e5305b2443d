"""Documents in, documents out: a format extracts the translatable segments of a file and puts
their translations back; everything else in the file is left as it was.

A format is a small plug-in (`DocumentFormat`): `extract(data)` returns the segments and a
`rebuild(translations)` that writes the file again. `translate_document` is the one driver every
caller uses (the CLI, the API); the parsing libraries are an optional extra,
`pip install 's2s-onnx[documents]'`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from ..decoding.options import DecodeOptions
from ..errors import InputError, S2SRuntimeError
from ..line_reader import read_bounded
from . import markers

if TYPE_CHECKING:
    from ..decoding.translator import Translator

# A document larger than this is refused before it is parsed (parsers hold it whole).
MAX_DOCUMENT_BYTES = 64 << 20


class DocumentError(S2SRuntimeError):
    """A document its format cannot read (malformed, or not that format)."""


@dataclass
class Extracted:
    segments: list[str]  # what to translate, in document order
    rebuild: Callable[[list[str]], bytes]  # the document with these translations put back
    # Strings each segment's translation must hold exactly as its source does (format
    # placeholders such as %s or {name}); a translation missing one keeps the source text.
    required: list[list[str]] = field(default_factory=list)
    set_language: Callable[[str], None] | None = None  # the document says its language (HTML lang)
    counts: dict[str, int] = field(default_factory=dict)  # what rebuild had to give up, by kind
    # Each segment's paired markers (opening -> closing), put back by the attention alignment
    # rather than carried through the model (alignment.py); empty: none, or a format without pairs.
    pairs: list[dict[str, str]] = field(default_factory=list)


class DocumentFormat(Protocol):
    name: str
    suffixes: tuple[str, ...]

    def extract(self, data: bytes) -> Extracted: ...


# name -> (module, class, suffixes): a format's module (and its parser) is imported only when a
# document of that format is read, so translating plain text never pays for them.
FORMATS: dict[str, tuple[str, str, tuple[str, ...]]] = {
    "po": ("po", "PoFormat", (".po", ".pot")),
    "srt": ("subtitles", "SrtFormat", (".srt",)),
    "vtt": ("subtitles", "VttFormat", (".vtt",)),
    "json": ("json_messages", "JsonMessagesFormat", (".json",)),
    "html": ("html", "HtmlFormat", (".html", ".htm", ".xhtml")),
    "markdown": ("markdown", "MarkdownFormat", (".md", ".markdown")),
    "docx": ("docx", "DocxFormat", (".docx",)),
    "xliff": ("xliff", "XliffFormat", (".xlf", ".xliff")),
}


def _load(name: str) -> DocumentFormat:
    import importlib

    module, cls, _ = FORMATS[name]
    return getattr(importlib.import_module(f"{__name__}.{module}"), cls)()


def format_for(path: Path | None, name: str | None = None) -> DocumentFormat | None:
    """The format named `name`, else the one of `path`'s suffix; None: plain text lines."""
    if name is not None:
        if name == "text":
            return None
        if name not in FORMATS:
            raise InputError(f"unknown input format {name!r}; known: text, {', '.join(FORMATS)}")
        return _load(name)
    if path is None:
        return None
    suffix = path.suffix.lower()
    return next((_load(n) for n, (_, _, suffixes) in FORMATS.items() if suffix in suffixes), None)


@dataclass
class DocumentResult:
    data: bytes
    segments: int
    kept_source: int  # segments left as their source: a format placeholder or a link their translation lost
    markup_dropped: int = 0  # HTML blocks whose inline tags did not come back well nested: text alone


def document_notes(result: DocumentResult) -> list[str]:
    """What a document's translation had to give up, a line each (the CLI's warnings, for a file
    alone and for each file of a folder)."""
    notes = []
    if result.markup_dropped:
        notes.append(f"{result.markup_dropped} block(s) lost their inline markup: the model did not carry its tags "
                     "back in order")
    if result.kept_source:
        notes.append(f"{result.kept_source} segment(s) kept their source text: their translation lost a format "
                     "placeholder or a link")
    return notes


def translate_document(translator: "Translator", source: bytes | str | Path, format: str | None = None,
                       options: DecodeOptions | None = None) -> DocumentResult:
    """Translate a document (its bytes, or a path) with `translator`: its format named (`po`,
    `srt`, `json`) or taken from the path's suffix; returns the translated document's bytes."""
    path = None if isinstance(source, bytes) else Path(source)
    document_format = format_for(path, format)
    if document_format is None:
        raise InputError(f"name the document's format (format= one of {', '.join(FORMATS)}): plain text goes to "
                         "Translator.translate")
    data = source if path is None else read_bounded(path, MAX_DOCUMENT_BYTES, f"{document_format.name} document")
    if len(data) > MAX_DOCUMENT_BYTES:
        raise InputError(f"a {document_format.name} document of more than {MAX_DOCUMENT_BYTES >> 20} MiB")
    extracted = document_format.extract(data)
    options = options or DecodeOptions()
    required = extracted.required or [[] for _ in extracted.segments]
    keep = sorted({text for strings in required for text in strings})
    if keep and translator.bundle.manifest.protects and options.protect:
        # Format placeholders go through the model as placeholders and come back unchanged.
        options = DecodeOptions.of(options, keep=(*options.keep, *keep))
    translations = _translated_segments(translator, extracted, options)
    kept_source = 0
    for index, (source, strings) in enumerate(zip(extracted.segments, required)):
        if any(translations[index].count(s) != source.count(s) for s in strings):
            translations[index] = source
            kept_source += 1
    target = translator.bundle.manifest.target_language
    if extracted.set_language is not None and target:
        extracted.set_language(target)
    data = extracted.rebuild(translations)
    kept_source += extracted.counts.get("kept_source", 0)  # what the format itself had to leave as it was
    return DocumentResult(data, len(extracted.segments), kept_source, extracted.counts.get("markup_dropped", 0))


def _translated_segments(translator: "Translator", extracted: Extracted, options: DecodeOptions) -> list[str]:
    """The segments' translations. A segment holding markup goes through alignment.py: its pairs
    are put back by the attention alignment (a model without attention carries them), its other
    markers stand apart from the words they touch while the model reads them. Text alone goes to
    the translator as it is."""
    from .alignment import can_align, translate_with_pairs

    pairs = extracted.pairs if extracted.pairs and can_align(translator) else [{} for _ in extracted.segments]
    marked = [i for i, segment in enumerate(extracted.segments) if markers.holds_marker(segment)]
    translations = [""] * len(extracted.segments)
    for i, text in zip(marked, translate_with_pairs(translator, [extracted.segments[i] for i in marked],
                                                    [pairs[i] for i in marked], options) if marked else []):
        translations[i] = text
    chosen = set(marked)
    rest = [i for i in range(len(extracted.segments)) if i not in chosen]
    for i, text in zip(rest, translator.translate([extracted.segments[i] for i in rest], options) if rest else []):
        translations[i] = text
    return translations


def require(module: str):
    """Import a parsing library of the documents extra, or say how to install it."""
    import importlib

    try:
        return importlib.import_module(module)
    except ImportError:
        raise InputError(f"documents need {module}: pip install 's2s-onnx[documents]'") from None
