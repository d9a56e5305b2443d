"""JSON message files (i18next, Chrome extension messages, FormatJS, ...): every string value is
translated, keys, numbers and structure stay; format placeholders ({name}, %s) must come through
exactly (a translation that loses one keeps the source string). ICU plural and select messages
(`{count, plural, ...}`) are translated as the whole sentences of their branches (icu.py); one
that does not parse is left as it is."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

from . import DocumentError, Extracted, icu, require
from .placeholders import format_placeholders


class _Number(str):
    """A number as the file writes it: never converted, so it is written back digit for digit
    (1E400 stays 1E400, not Infinity; a 5,000-digit integer is no error)."""


class _Object(list):
    """A JSON object as its (key, value) pairs, in order, duplicates included: written back as read."""


class JsonMessagesFormat:
    name = "json"
    suffixes = (".json",)

    def extract(self, data: bytes) -> Extracted:
        try:
            text = data.decode("utf-8-sig")
            document = json.loads(text, parse_int=_Number, parse_float=_Number, parse_constant=_Number,
                                  object_pairs_hook=lambda pairs: _Object([list(pair) for pair in pairs]))
        except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as exc:
            raise DocumentError(f"not a readable JSON file: {str(exc).splitlines()[0][:200]}") from None
        # Each translated value: where it is, how many segments it takes, and how to write it back.
        values: list[tuple[list[Any], int, Callable[[list[str]], str]]] = []
        segments: list[str] = []
        required: list[list[str]] = []

        def walk(value: Any, path: list[Any]) -> None:
            if isinstance(value, _Object):
                for index, (_, item) in enumerate(value):
                    walk(item, [*path, index, 1])
            elif isinstance(value, list):
                for index, item in enumerate(value):
                    walk(item, [*path, index])
            elif isinstance(value, str) and not isinstance(value, _Number) and value.strip():
                if _SURROGATE.search(value):
                    return  # a lone surrogate is no text: left as it is (and written back escaped)
                if icu.is_message(value):
                    require("pyicumessageformat")
                    try:
                        texts, keep, write = icu.sentences(value)
                    except icu.Unsupported:
                        return  # left as it is
                    values.append((path, len(texts), write))
                    segments.extend(texts)
                    required.extend(keep)
                else:
                    values.append((path, 1, lambda translations: translations[0]))
                    segments.append(value)
                    required.append(format_placeholders(value))

        try:
            walk(document, [])
        except RecursionError:
            raise DocumentError("not a readable JSON file: nested too deep") from None
        indent = _indent_of(text)

        def rebuild(translations: list[str]) -> bytes:
            position = 0
            for path, count, write in values:
                parent = document
                for key in path[:-1]:
                    parent = parent[key]
                parent[path[-1]] = write(translations[position : position + count])
                position += count
            return (_dumps(document, indent) + "\n").encode("utf-8")

        return Extracted(segments, rebuild, required)


_SURROGATE = re.compile("[\ud800-\udfff]")


def _string(value: str) -> str:
    # Lone surrogates cannot be written as UTF-8: escaped (\ud800), as JSON allows.
    return json.dumps(value, ensure_ascii=bool(_SURROGATE.search(value)))


def _dumps(value: Any, indent: int | None, level: int = 0) -> str:
    """The document as json.dumps(ensure_ascii=False, indent=indent) writes it, numbers and
    duplicate keys as they were read."""
    if isinstance(value, _Number):
        return str(value)
    if isinstance(value, str):
        return _string(value)
    if value is True or value is False or value is None:
        return json.dumps(value)
    if isinstance(value, _Object):
        items = [f"{_string(key)}: {_dumps(item, indent, level + 1)}" for key, item in value]
        opening, closing = "{", "}"
    else:
        items = [_dumps(item, indent, level + 1) for item in value]
        opening, closing = "[", "]"
    if not items:
        return opening + closing
    if indent is None:
        return opening + ", ".join(items) + closing
    inner, outer = "\n" + " " * (indent * (level + 1)), "\n" + " " * (indent * level)
    return opening + inner + ("," + inner).join(items) + outer + closing


def _indent_of(text: str) -> int | None:
    match = re.search(r"\n([ \t]+)\S", text)
    return None if match is None else len(match.group(1).replace("\t", "    "))
