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


class JsonMessagesFormat:
    name = "json"
    suffixes = (".json",)

    def extract(self, data: bytes) -> Extracted:
        try:
            text = data.decode("utf-8-sig")
            document = json.loads(text)
        except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as exc:
            raise DocumentError(f"not a readable JSON file: {str(exc).splitlines()[0][:200]}") from None
        # Each translated value: where it is, how many segments it takes, and how to write it back.
        values: list[tuple[list[Any], int, Callable[[list[str]], str]]] = []
        segments: list[str] = []
        required: list[list[str]] = []

        def walk(value: Any, path: list[Any]) -> None:
            if isinstance(value, dict):
                for key, item in value.items():
                    walk(item, [*path, key])
            elif isinstance(value, list):
                for index, item in enumerate(value):
                    walk(item, [*path, index])
            elif isinstance(value, str) and value.strip():
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

        walk(document, [])
        indent = _indent_of(text)

        def rebuild(translations: list[str]) -> bytes:
            position = 0
            for path, count, write in values:
                parent = document
                for key in path[:-1]:
                    parent = parent[key]
                parent[path[-1]] = write(translations[position : position + count])
                position += count
            return (json.dumps(document, ensure_ascii=False, indent=indent) + "\n").encode("utf-8")

        return Extracted(segments, rebuild, required)


def _indent_of(text: str) -> int | None:
    match = re.search(r"\n([ \t]+)\S", text)
    return None if match is None else len(match.group(1).replace("\t", "    "))
