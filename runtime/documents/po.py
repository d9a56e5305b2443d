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
            return _with_source_header(str(catalogue), text).encode("utf-8")

        return Extracted(segments, rebuild, [format_placeholders(s) for s in segments])


_HEADER = re.compile(r'\A(?:#[^\n]*\n)*msgid ""\nmsgstr ""\n(?:"[^\n]*\n)*')


def _with_source_header(rendered: str, source: str) -> str:
    """`rendered` with its header as the source wrote it: the header is never changed, and polib
    writes it its own way (a lone "#" above a header without comments, its own line wrapping)."""
    theirs, ours = _HEADER.match(source), _HEADER.match(rendered)
    if theirs is None or ours is None or "\r" in source:
        return rendered
    return theirs.group() + rendered[ours.end():]


def _plural_count(catalogue) -> int:
    forms = catalogue.metadata.get("Plural-Forms", "")
    match = re.search(r"nplurals\s*=\s*(\d+)", forms)
    return max(2, min(int(match.group(1)), 6)) if match else 2
