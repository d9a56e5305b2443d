"""gettext catalogues (.po, .pot) with polib: every entry without a translation gets one,
marked fuzzy for a translator's review; plural entries fill every plural form (the singular's
translation in form 0, the plural's in the others); entries already translated, obsolete ones
and the header are left alone; flags, comments, references and order are kept."""

from __future__ import annotations

import re

from . import DocumentError, Extracted, require
from .placeholders import format_placeholders


class PoFormat:
    name = "po"
    suffixes = (".po", ".pot")

    def extract(self, data: bytes) -> Extracted:
        polib = require("polib")
        try:
            text = data.decode("utf-8")
            _check_strings(text)
            catalogue = polib.pofile(text, wrapwidth=78)
        except (UnicodeDecodeError, OSError, ValueError) as exc:
            raise DocumentError(f"not a readable PO catalogue: {str(exc).splitlines()[0][:200]}") from None
        plurals = _plural_count(catalogue)
        todo = [e for e in catalogue if not e.obsolete and e.msgid and not e.translated() and "fuzzy" not in e.flags]
        segments: list[str] = []
        for entry in todo:
            segments.append(entry.msgid)
            if entry.msgid_plural:
                segments.append(entry.msgid_plural)

        def rebuild(translations: list[str]) -> bytes:
            position = 0
            for entry in todo:
                singular = translations[position]
                position += 1
                if entry.msgid_plural:
                    plural = translations[position]
                    position += 1
                    entry.msgstr_plural = {0: singular, **{n: plural for n in range(1, plurals)}}
                else:
                    entry.msgstr = singular
                if "fuzzy" not in entry.flags:
                    entry.flags.insert(0, "fuzzy")  # machine translated: for review (first, as msgmerge writes it)
            written = _with_source_header(str(catalogue), text)
            return (_for_language(written, language[0]) if language else written).encode("utf-8")

        language: list[str] = []  # the target language, once the translation says it
        return Extracted(segments, rebuild, [format_placeholders(s) for s in segments],
                         set_language=language.append)


# A line holding a string: a keyword (msgctxt, msgid, msgid_plural, msgstr, msgstr[N]) or a
# continuation, after an optional obsolete or previous-string comment mark.
_STRING_LINE = re.compile(r'(?:#[~|]\s*)?(?:(?:msgctxt|msgid|msgid_plural|msgstr(?:\[\d+\])?)\s+)?(")')
# A complete string whose escapes are the ones written back as they were read.
_KEPT_STRING = re.compile(r'"(?:[^"\\]|\\[\\"ntr])*"\s*')


def _check_strings(text: str) -> None:
    """Every string whole (msgfmt refuses an unterminated one, which polib would cut short) and
    written only with escapes that come back as written (\\\\, \\", \\n, \\t, \\r): polib rewrites
    others (\\x41, \\101, \\a), which would change msgids and lose the program its strings."""
    for number, line in enumerate(text.splitlines(), 1):
        start = _STRING_LINE.match(line)
        if start is not None and not _KEPT_STRING.fullmatch(line, start.start(1)):
            raise ValueError(f"line {number}: a string that is not closed, or holds an escape other than "
                             f"\\\\ \\\" \\n \\t \\r: {line.strip()[:60]}")


_HEADER = re.compile(r'\A(?:#[^\n]*\n)*msgid ""\nmsgstr ""\n(?:"[^\n]*\n)*')


def _with_source_header(rendered: str, source: str) -> str:
    """`rendered` with its header as the source wrote it: the header is never changed, and polib
    writes it its own way (a lone "#" above a header without comments, its own line wrapping)."""
    theirs, ours = _HEADER.match(source), _HEADER.match(rendered)
    if theirs is None or ours is None or "\r" in source:
        return rendered
    return theirs.group() + rendered[ours.end():]


# The plural rules gettext writes for the languages the shipped models translate into.
PLURAL_FORMS = {"fr": "nplurals=2; plural=(n > 1);", "de": "nplurals=2; plural=(n != 1);",
                "en": "nplurals=2; plural=(n != 1);"}
_FIELD = r'(^"{name}: )([^"\n]*?)(\\n"$)'


def _for_language(written: str, language: str) -> str:
    """A template's header made a catalogue's (`-i app.pot -o app.fr.po`): its Language, plural
    rule and charset filled in (or added) where they are still the template's placeholders, as
    msgfmt -c asks; a catalogue's own header (none of those placeholders) is left as it is."""
    header = _HEADER.match(written)
    if header is None:
        return written
    text = header.group()
    if not re.search(r'^"(?:Language: *\\n|Plural-Forms:.*(?:INTEGER|EXPRESSION)|Content-Type:.*CHARSET)', text,
                     re.MULTILINE):
        return written  # a catalogue's own header, not a template's
    fields = {"Language": (lambda v: not v.strip(), language),
              "Plural-Forms": (lambda v: "INTEGER" in v or "EXPRESSION" in v, PLURAL_FORMS.get(language[:2])),
              "Content-Type": (lambda v: "CHARSET" in v, "text/plain; charset=UTF-8")}
    for name, (template, value) in fields.items():
        if value is None:
            continue
        pattern = re.compile(_FIELD.format(name=re.escape(name)), re.MULTILINE)
        found = pattern.search(text)
        if found is None:
            text = text.rstrip("\n") + f'\n"{name}: {value}\\n"\n'
        elif template(found.group(2)):
            text = text[: found.start(2)] + value + text[found.end(2):]
    return text + written[header.end():]


def _plural_count(catalogue) -> int:
    forms = catalogue.metadata.get("Plural-Forms", "")
    match = re.search(r"nplurals\s*=\s*(\d+)", forms)
    return max(2, min(int(match.group(1)), 6)) if match else 2
